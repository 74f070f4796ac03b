import { z } from 'zod';
import { spaceSchema } from '../core/spaces.ts';
import { mlpSchema } from '../numeric/mlp.ts';
import { epsilonScheduleSchema } from './exploration.ts';

/** Keys every agent config has (DESIGN.md: these four suffice, everything else has a default). */
const common = {
  observationSpace: spaceSchema,
  actionSpace: spaceSchema,
  seed: z.number().int().min(0).default(0),
  gamma: z.number().min(0).max(1).default(0.99),
};

export const tabularQConfigSchema = z
  .object({
    algorithm: z.literal('tabular-q'),
    ...common,
    /** α in Q ← Q + α[r + γ max Q' − Q]. */
    learningRate: z.number().gt(0).max(1).default(0.1),
    /** `visits`: α_t = learningRate / n(s,a)^ω (Even-Dar & Mansour 2003), converges with stochastic transitions. */
    learningRateSchedule: z.enum(['constant', 'visits']).default('constant'),
    visitExponent: z.number().gt(0.5).max(1).default(0.8),
    initialValue: z.number().default(0),
    epsilon: epsilonScheduleSchema.default({ start: 1, end: 0.05, decaySteps: 10_000, shape: 'linear' }),
  })
  .strict();

export const dqnConfigSchema = z
  .object({
    algorithm: z.literal('dqn'),
    ...common,
    network: mlpSchema.default({ hidden: [256, 256], activation: 'relu', head: 'linear' }),
    /** Double DQN targets (van Hasselt et al. 2016). */
    double: z.boolean().default(true),
    /** Dueling heads (Wang et al. 2016); same as network.head = 'dueling'. */
    dueling: z.boolean().default(false),
    /** n-step returns (Sutton 1988; Hessel et al. 2018). */
    nStep: z.number().int().min(1).max(100).default(1),
    prioritizedReplay: z.boolean().default(false),
    priorityAlpha: z.number().min(0).max(1).default(0.6),
    priorityBetaStart: z.number().min(0).max(1).default(0.4),
    /** Steps over which β anneals to 1. */
    priorityBetaSteps: z.number().int().positive().default(100_000),
    priorityEpsilon: z.number().positive().default(1e-6),
    learningRate: z.number().positive().default(5e-4),
    adamEpsilon: z.number().positive().default(1e-8),
    batchSize: z.number().int().positive().max(65_536).default(64),
    bufferSize: z.number().int().positive().default(100_000),
    /** Steps of experience collected before the first update. */
    learningStarts: z.number().int().min(0).default(1_000),
    /** Environment steps between updates, and updates per such step. */
    trainFrequency: z.number().int().positive().default(1),
    gradientSteps: z.number().int().positive().default(1),
    /** Target network: every `targetUpdateInterval` updates, θ⁻ ← θ⁻ + τ(θ − θ⁻); τ = 1 is a hard copy. */
    targetUpdateInterval: z.number().int().positive().default(500),
    tau: z.number().gt(0).max(1).default(1),
    loss: z.enum(['huber', 'mse']).default('huber'),
    huberDelta: z.number().positive().default(1),
    maxGradNorm: z.number().min(0).default(10),
    epsilon: epsilonScheduleSchema.default({ start: 1, end: 0.05, decaySteps: 10_000, shape: 'linear' }),
    /**
     * Parametric Q(s, a): score each candidate from [observation; action features] (dynamic catalogues).
     * Requires actionFeatureSize; actions are then passed as info.actionFeatures.
     */
    parametric: z.boolean().default(false),
    actionFeatureSize: z.number().int().min(0).default(0),
    kernels: z.enum(['auto', 'wasm', 'reference']).default('auto'),
  })
  .strict()
  .superRefine((config, context) => {
    if (config.parametric && config.actionFeatureSize === 0) {
      context.addIssue({
        code: 'custom',
        path: ['actionFeatureSize'],
        message: 'parametric DQN needs actionFeatureSize > 0 (the length of each action feature vector)',
      });
    }
    if (config.parametric && (config.dueling || config.network.head === 'dueling')) {
      context.addIssue({
        code: 'custom',
        path: ['dueling'],
        message: 'parametric DQN scores one action at a time: a dueling head does not apply',
      });
    }
    if (config.parametric && config.prioritizedReplay) {
      context.addIssue({
        code: 'custom',
        path: ['prioritizedReplay'],
        message: 'parametric DQN does not support prioritised replay yet',
      });
    }
    if (config.learningStarts < config.batchSize && config.learningStarts > 0) {
      context.addIssue({
        code: 'custom',
        path: ['learningStarts'],
        message: `learningStarts (${config.learningStarts}) must be at least batchSize (${config.batchSize})`,
      });
    }
  });

export const reinforceConfigSchema = z
  .object({
    algorithm: z.literal('reinforce'),
    ...common,
    network: mlpSchema.default({ hidden: [64, 64], activation: 'tanh', head: 'linear' }),
    learningRate: z.number().positive().default(1e-3),
    /** Learned state-value baseline (Williams 1992; Sutton & Barto 2018 §13.4). */
    baseline: z.boolean().default(true),
    baselineLearningRate: z.number().positive().default(1e-3),
    entropyCoefficient: z.number().min(0).default(0.01),
    /** Episodes collected per policy update. */
    episodesPerUpdate: z.number().int().positive().default(1),
    normalizeAdvantages: z.boolean().default(true),
    maxGradNorm: z.number().min(0).default(1),
    kernels: z.enum(['auto', 'wasm', 'reference']).default('auto'),
  })
  .strict();

export type TabularQConfig = z.output<typeof tabularQConfigSchema>;
export type DqnConfig = z.output<typeof dqnConfigSchema>;
export type ReinforceConfig = z.output<typeof reinforceConfigSchema>;
export type DqnConfigInput = z.input<typeof dqnConfigSchema>;
