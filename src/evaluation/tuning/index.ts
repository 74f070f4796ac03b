export { effectsByRung, etaSquared, type ParameterEffect, parameterEffects, spearman } from './importance.ts';
export { RunLog, runKey } from './run-log.ts';
export {
  applyParameters,
  type CheckedSpace,
  checkSearchSpace,
  type DrawnTrial,
  drawTrials,
  getPath,
  type Parameter,
  type ParameterValues,
  type SearchSpace,
  sampleTrial,
  setPath,
} from './space.ts';
export { plannedTrainSteps, planRungs, promote, type Rung, type Strategy } from './strategies.ts';
