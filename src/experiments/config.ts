import { z } from 'zod';
import { parseConfig } from '../core/config.ts';
import { EngineError } from '../core/engine-error.ts';
import { listEnvironments } from '../environments/registry.ts';
import { BASELINES } from './baselines.ts';

const name = z
  .string()
  .min(1)
  .max(60)
  .regex(/^[A-Za-z0-9][\w .()-]*$/, 'letters, digits, spaces and . _ ( ) - only');

export const baselineEntrySchema = z
  .object({
    name,
    /** A fixed policy from the environment's baselines (see `nextbest experiment --list-baselines`). */
    baseline: z.string(),
  })
  .strict();

export const agentEntrySchema = z
  .object({
    name,
    /**
     * An agent config (as for `nextbest train --config`); observationSpace, actionSpace and seed are
     * filled in from the environment and the run's seed, and actionFeatureSize from environments that
     * describe each action (ecommerce) when absent.
     */
    agent: z.record(z.string(), z.unknown()),
    /** Environment steps of training per seed. */
    steps: z.number().int().positive().max(100_000_000),
  })
  .strict();

export const experimentConfigSchema = z
  .object({
    name: z.string().min(1).default('experiment'),
    /** Independent runs per (environment, entry); the report's intervals are over these. */
    seeds: z.number().int().min(2).max(1000).default(5),
    firstSeed: z.number().int().min(0).default(1),
    /** Greedy episodes after training per seed; every entry's seed-s run sees the same episodes. */
    evaluationEpisodes: z.number().int().positive().max(1_000_000).default(500),
    evaluationSeed: z.number().int().min(0).default(1_000_000),
    /** Points on each learning curve. */
    curvePoints: z.number().int().min(2).max(500).default(20),
    environments: z
      .array(
        z
          .object({
            id: z.string(),
            options: z.record(z.string(), z.unknown()).default({}),
            entries: z.array(z.union([agentEntrySchema, baselineEntrySchema])).min(1),
          })
          .strict(),
      )
      .min(1),
  })
  .strict();

export type ExperimentConfig = z.output<typeof experimentConfigSchema>;
export type AgentEntry = z.output<typeof agentEntrySchema>;
export type BaselineEntry = z.output<typeof baselineEntrySchema>;
export type Entry = AgentEntry | BaselineEntry;

export const isBaseline = (entry: Entry): entry is BaselineEntry => 'baseline' in entry;

/**
 * Parse and cross-check an experiment config: known environments and baselines, unique entry names
 * per environment. Errors carry the field path (`environments.0.entries.2.baseline`).
 */
export function parseExperimentConfig(input: unknown): ExperimentConfig {
  const config = parseConfig(experimentConfigSchema, input, 'experiment config');
  const known = listEnvironments();
  config.environments.forEach((environment, e) => {
    if (!known.includes(environment.id)) {
      throw new EngineError('E_CONFIG_INVALID', `unknown environment '${environment.id}'`, {
        path: `environments.${e}.id`,
        hint: `choose one of: ${known.join(', ')}`,
      });
    }
    const seen = new Set<string>();
    environment.entries.forEach((entry, i) => {
      if (seen.has(entry.name)) {
        throw new EngineError(
          'E_CONFIG_INVALID',
          `entry name '${entry.name}' is used twice in ${environment.id}`,
          {
            path: `environments.${e}.entries.${i}.name`,
            hint: 'give each entry its own name',
          },
        );
      }
      seen.add(entry.name);
      if (isBaseline(entry)) {
        const available = Object.keys(BASELINES[environment.id] ?? { random: null });
        if (!available.includes(entry.baseline)) {
          throw new EngineError(
            'E_CONFIG_INVALID',
            `no baseline '${entry.baseline}' for environment '${environment.id}'`,
            {
              path: `environments.${e}.entries.${i}.baseline`,
              hint: `choose one of: ${available.join(', ')}`,
            },
          );
        }
      }
    });
  });
  return config;
}
