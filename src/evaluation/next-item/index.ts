export { PopularityModel, SessionKnnModel, type SessionKnnOptions } from './baselines.ts';
export {
  evaluateNextItem,
  type Interval,
  type NextItemEvaluation,
  type NextItemEvaluationOptions,
} from './evaluate-next-item.ts';
export type { NextItemModel, SessionPrefix } from './next-item-model.ts';
export { hitRatio, ndcg, rankOf, type TargetRank } from './ranking-metrics.ts';
export {
  type EpochReport,
  SequenceRecommender,
  type SequenceRecommenderOptions,
  sequenceModelName,
} from './sequence-recommender.ts';
