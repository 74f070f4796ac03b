export { type CollectedEpisodes, collectEpisodes, type DistributionPolicy } from './collect-episodes.ts';
export {
  prepareSimulatorLog,
  replayLoggedPeriod,
  SIMULATED_EVENT_TYPES,
  type SimulatorLog,
  simulatorEventLog,
} from './simulator-log.ts';
export {
  actOptionsFrom,
  type EvaluateOptions,
  type EvaluateResult,
  evaluate,
  type TrainOptions,
  type TrainProgress,
  type TrainResult,
  train,
} from './train.ts';
export {
  type CurvePoint,
  type SolveOptions,
  type SolveResult,
  trainUntilSolved,
} from './train-until-solved.ts';
