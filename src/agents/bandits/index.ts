export { HybridLinUcbAgent, hybridLinUcbConfigSchema } from './hybrid-linucb.ts';
export {
  epsilonGreedyConfigSchema,
  LinearBanditAgent,
  linearThompsonConfigSchema,
  linUcbConfigSchema,
} from './linear-bandit.ts';
export { RidgeModel } from './ridge-model.ts';
export { SoftmaxPolicy, type SoftmaxPolicyOptions } from './softmax-policy.ts';
