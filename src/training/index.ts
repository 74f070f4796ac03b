export {
  type EvaluateOptions,
  type EvaluateResult,
  evaluate,
  type TrainOptions,
  type TrainProgress,
  type TrainResult,
  train,
} from './train.ts';
