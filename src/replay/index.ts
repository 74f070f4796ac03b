export { NStepAccumulator } from './n-step.ts';
export { PrioritizedReplay } from './prioritized-replay.ts';
export { createBatch, type ReplayBatch, type StoredTransition } from './replay-batch.ts';
export { SumTree } from './sum-tree.ts';
export { UniformReplay } from './uniform-replay.ts';
