export { bootstrapInterval } from './bootstrap.ts';
export {
  ESTIMATORS,
  type EstimatorName,
  type EstimatorOptions,
  estimate,
  importanceWeights,
  type LoggedBandit,
  modelValues,
  roundTerms,
} from './estimators.ts';
export {
  type EstimateWithInterval,
  type OffPolicyEvaluateInput,
  type OverlapDiagnostics,
  offPolicyEvaluate,
  overlapDiagnostics,
} from './off-policy-evaluate.ts';
export { fitRewardModel, type RewardModelInput } from './reward-model.ts';
export {
  effectiveEpisodes,
  type LoggedEpisodes,
  SEQUENTIAL_ESTIMATORS,
  type SequentialEstimatorName,
  sequentialEstimate,
  sequentialOffPolicyEvaluate,
} from './sequential.ts';
export {
  type LoggedSlates,
  type SlateEstimatorName,
  slateEstimate,
  slateOffPolicyEvaluate,
} from './slate.ts';
export { type SyntheticBandit, type SyntheticBanditOptions, syntheticBandit } from './synthetic-bandit.ts';
