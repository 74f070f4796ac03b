/**
 * NextBest: a self-hostable reinforcement-learning decision engine for commerce.
 * The library's public face (DESIGN.md, "Library entry points").
 */
export * from './agents/index.ts';
export * from './core/index.ts';
export * from './environments/index.ts';
export * from './evaluation/index.ts';
export {
  runTuning,
  type Trial,
  type TuneEvents,
  type TuneResult,
  type Validation,
  winnerOf,
} from './experiments/tune.ts';
export { parseTuneConfig, type TuneConfig, tuneConfigSchema } from './experiments/tune-config.ts';
export { renderTuneReport } from './experiments/tune-report.ts';
export {
  parseSequenceTuneConfig,
  runSequenceTuning,
  type SequenceOptionsFile,
  type SequenceTuneConfig,
  type SequenceTuneEvents,
  type SequenceTuneResult,
  sequenceTuneConfigSchema,
} from './experiments/tune-sequence.ts';
export { renderSequenceTuneReport } from './experiments/tune-sequence-report.ts';
export {
  Activation,
  getHeap,
  Heap,
  type KernelChoice,
  Mlp,
  type MlpOptions,
  Optimizer,
  type OptimizerConfig,
  Tensor,
} from './numeric/index.ts';
export * from './replay/index.ts';
export * from './training/index.ts';
