export * from './bandits/index.ts';
export {
  type DqnConfig,
  dqnConfigSchema,
  type ReinforceConfig,
  reinforceConfigSchema,
  type TabularQConfig,
  tabularQConfigSchema,
} from './config.ts';
export { createAgent, listAlgorithms, loadAgent, registerAgent } from './create-agent.ts';
export { DqnAgent } from './dqn.ts';
export { epsilonAt, epsilonGreedy, requireAllowedAction, softmaxProbabilities } from './exploration.ts';
export { ParametricDqnAgent } from './parametric-dqn.ts';
export { EpsilonSoftPolicy, UniformRandomPolicy } from './random-policy.ts';
export { ReinforceAgent } from './reinforce.ts';
export {
  emptyBatch,
  SqnAgent,
  type SqnConfig,
  type SqnConfigInput,
  sqnConfigSchema,
} from './sqn.ts';
export { TabularQAgent } from './tabular-q.ts';
export * from './update-rules.ts';
