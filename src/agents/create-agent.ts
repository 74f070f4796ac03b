import { z } from 'zod';
import { parseConfig } from '../core/config.ts';
import { EngineError } from '../core/engine-error.ts';
import type { Agent, AgentSnapshot } from '../core/types.ts';
import { HybridLinUcbAgent, hybridLinUcbConfigSchema } from './bandits/hybrid-linucb.ts';
import {
  epsilonGreedyConfigSchema,
  LinearBanditAgent,
  linearThompsonConfigSchema,
  linUcbConfigSchema,
} from './bandits/linear-bandit.ts';
import { dqnConfigSchema, reinforceConfigSchema, tabularQConfigSchema } from './config.ts';
import { DqnAgent } from './dqn.ts';
import { ParametricDqnAgent } from './parametric-dqn.ts';
import { ReinforceAgent } from './reinforce.ts';
import { SqnAgent, sqnConfigSchema } from './sqn.ts';
import { TabularQAgent } from './tabular-q.ts';

interface Restorable extends Agent {
  restore(state: Record<string, unknown>): void;
}

interface AgentFactory {
  schema: z.ZodType;
  create(config: unknown): Restorable;
}

const factories = new Map<string, AgentFactory>([
  ['tabular-q', { schema: tabularQConfigSchema, create: (c) => new TabularQAgent(c as never) }],
  [
    'dqn',
    {
      schema: dqnConfigSchema,
      create: (c) =>
        (c as { parametric: boolean }).parametric
          ? new ParametricDqnAgent(c as never)
          : new DqnAgent(c as never),
    },
  ],
  ['reinforce', { schema: reinforceConfigSchema, create: (c) => new ReinforceAgent(c as never) }],
  ['linucb', { schema: linUcbConfigSchema, create: (c) => new LinearBanditAgent(c as never) }],
  [
    'linear-thompson',
    { schema: linearThompsonConfigSchema, create: (c) => new LinearBanditAgent(c as never) },
  ],
  ['epsilon-greedy', { schema: epsilonGreedyConfigSchema, create: (c) => new LinearBanditAgent(c as never) }],
  ['sqn', { schema: sqnConfigSchema, create: (c) => new SqnAgent(c as never) }],
  ['hybrid-linucb', { schema: hybridLinUcbConfigSchema, create: (c) => new HybridLinUcbAgent(c as never) }],
]);

/** Add an algorithm (bandits and offline learners register themselves the same way). */
export function registerAgent(
  algorithm: string,
  schema: z.ZodType,
  create: (config: unknown) => Agent & { restore(state: Record<string, unknown>): void },
): void {
  factories.set(algorithm, { schema, create });
}

export function listAlgorithms(): string[] {
  return [...factories.keys()];
}

/**
 * Build an agent from a config: `{ algorithm, observationSpace, actionSpace, seed?, gamma?, ... }`.
 * The config is parsed once here; a bad field is an EngineError naming it.
 */
export function createAgent(config: unknown): Agent {
  const algorithm = z.object({ algorithm: z.string() }).safeParse(config);
  if (!algorithm.success) {
    throw new EngineError('E_CONFIG_INVALID', 'agent config needs an algorithm', {
      path: 'algorithm',
      hint: `set algorithm to one of: ${listAlgorithms().join(', ')}`,
    });
  }
  const factory = factories.get(algorithm.data.algorithm);
  if (!factory) {
    throw new EngineError('E_UNKNOWN_ALGORITHM', `unknown algorithm '${algorithm.data.algorithm}'`, {
      path: 'algorithm',
      hint: `use one of: ${listAlgorithms().join(', ')}`,
    });
  }
  return factory.create(parseConfig(factory.schema, config, `${algorithm.data.algorithm} config`));
}

/** Restore an agent from `agent.toJSON()` (also after a JSON round-trip). */
export function loadAgent(snapshot: AgentSnapshot | string): Agent {
  const data: unknown = typeof snapshot === 'string' ? JSON.parse(snapshot) : snapshot;
  const parsed = z
    .object({
      format: z.literal('nextbest.agent'),
      version: z.literal(1),
      algorithm: z.string(),
      config: z.record(z.string(), z.unknown()),
      state: z.record(z.string(), z.unknown()),
    })
    .safeParse(data);
  if (!parsed.success) {
    throw new EngineError('E_SNAPSHOT_INVALID', 'not a NextBest agent snapshot', {
      hint: 'pass what agent.toJSON() returned (format "nextbest.agent", version 1)',
    });
  }
  const factory = factories.get(parsed.data.algorithm);
  if (!factory) {
    throw new EngineError('E_UNKNOWN_ALGORITHM', `snapshot of unknown algorithm '${parsed.data.algorithm}'`);
  }
  const agent = factory.create(parseConfig(factory.schema, parsed.data.config, 'snapshot config'));
  agent.restore(parsed.data.state);
  return agent;
}
