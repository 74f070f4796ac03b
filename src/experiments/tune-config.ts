import { z } from 'zod';
import { parseConfig } from '../core/config.ts';
import { EngineError } from '../core/engine-error.ts';
import { listEnvironments } from '../environments/registry.ts';
import { SEQUENTIAL_ESTIMATORS, type SequentialEstimatorName } from '../evaluation/ope/index.ts';
import {
  type CheckedSpace,
  checkSearchSpace,
  getPath,
  searchSpaceSchema,
} from '../evaluation/tuning/space.ts';
import { BASELINES } from './baselines.ts';

/** The seeds of the check after a search: 0 (none) or at least 2, counting up from `firstSeed`. */
export const FRESH_SEEDS = {
  seeds: z
    .number()
    .int()
    .min(0)
    .max(1000)
    .refine(
      (n) => n !== 1,
      'needs 0 (no check) or at least 2 seeds for an interval (5 for the house standard)',
    )
    .default(5),
  firstSeed: z.number().int().min(0).default(1001),
};

/**
 * A tuning config: the environment and agent entry of an experiment config, plus the search space
 * over that agent's hyper-parameters, the search strategy, the objective and the final check on fresh
 * seeds. See configs/tune-cartpole.json.
 */
export const tuneConfigSchema = z
  .object({
    name: z.string().min(1).max(80).default('tuning'),
    environment: z
      .object({ id: z.string(), options: z.record(z.string(), z.unknown()).default({}) })
      .strict(),
    /** The agent config every trial starts from ("the defaults" the tuned one is compared with). */
    agent: z.record(z.string(), z.unknown()),
    /** The full training budget: environment steps per run at the last rung. */
    steps: z.number().int().positive().max(100_000_000),
    /** Hyper-parameters to vary: dotted paths into the agent config (see src/evaluation/tuning/space.ts). */
    space: searchSpaceSchema,
    search: z
      .object({
        strategy: z.enum(['random', 'successive-halving']).default('successive-halving'),
        /** Configurations drawn (all start; successive halving stops most of them early). */
        trials: z.number().int().min(1).max(10_000).default(27),
        /** Successive halving keeps the best 1/eta of each rung and gives them eta times the budget. */
        eta: z.number().int().min(2).max(10).default(3),
        /** Smallest budget (steps) of a successive-halving rung; default steps / eta². */
        minSteps: z.number().int().positive().optional(),
        /** Seed of the configurations drawn. */
        seed: z.number().int().min(0).default(1),
        /**
         * Integer paths (schedule lengths such as `epsilon.decaySteps`) scaled with a run's budget, so a
         * short run is a compressed full run rather than one that never finishes exploring.
         */
        scaleWithBudget: z.array(z.string()).default([]),
      })
      .strict()
      .prefault({}),
    objective: z
      .object({
        /**
         * simulator: train in the environment, score by the greedy return there. offline: train on a
         * log the environment writes under a known behaviour policy, score by an off-policy estimate on
         * held-out logged episodes (see `log`); the simulator's true return is recorded beside it, never
         * used to rank.
         */
        kind: z.enum(['simulator', 'offline']).default('simulator'),
        log: z
          .object({
            /** The environment baseline that writes the log (made ε-soft). */
            behaviour: z.string().default('random'),
            /**
             * Share of uniformly random decisions mixed into the behaviour policy, so every action is
             * logged (ignored for `random`, which is uniform already).
             */
            epsilon: z.number().min(0).max(1).default(0.5),
            episodes: z.number().int().min(2).max(10_000_000).default(10_000),
            seed: z.number().int().min(0).default(7),
            /** The newest share of the logged episodes, held out for the estimate. */
            heldOut: z.number().gt(0).lt(1).default(0.3),
            estimator: z
              .enum(SEQUENTIAL_ESTIMATORS as [SequentialEstimatorName, ...SequentialEstimatorName[]])
              .default('wpdis'),
            /** Discount of the estimated return; 1 is the undiscounted return the simulator reports. */
            discount: z.number().min(0).max(1).default(1),
            resamples: z.number().int().min(50).max(5000).default(500),
          })
          .strict()
          .optional(),
        /** Training seeds per configuration; the score is over these. */
        seeds: z.number().int().min(1).max(100).default(3),
        firstSeed: z.number().int().min(0).default(1),
        /** Greedy episodes after training, per seed. */
        evaluationEpisodes: z.number().int().positive().max(1_000_000).default(20),
        evaluationSeed: z.number().int().min(0).default(1_000_000),
        /**
         * simulator: the mean return over seeds, or its 95% lower bound (needs ≥ 2 seeds). offline: the
         * mean over seeds of each run's estimate, or of its 95% lower bound (the default, so that noisy
         * wins on a small held-out log do not count).
         */
        rankBy: z.enum(['mean', 'lower']).optional(),
      })
      .strict()
      .prefault({}),
    /** The winner and the base config, retrained on seeds the search never used. */
    validation: z
      .object({
        ...FRESH_SEEDS,
        evaluationEpisodes: z.number().int().positive().max(1_000_000).default(100),
        evaluationSeed: z.number().int().min(0).default(5_000_000),
      })
      .strict()
      .prefault({}),
    curvePoints: z.number().int().min(2).max(500).default(20),
  })
  .strict();

export type TuneConfig = z.output<typeof tuneConfigSchema>;

/** What the search ranks by: as configured, else the mean (simulator) or the lower bound (offline). */
export function rankByOf(config: TuneConfig): 'mean' | 'lower' {
  return config.objective.rankBy ?? (config.objective.kind === 'offline' ? 'lower' : 'mean');
}

export interface CheckedTuneConfig {
  config: TuneConfig;
  space: CheckedSpace;
}

/** Parse a tuning config and cross-check its parts; every error names its field path. */
export function parseTuneConfig(input: unknown): CheckedTuneConfig {
  const config = parseConfig(tuneConfigSchema, input, 'tuning config');
  const known = listEnvironments();
  if (!known.includes(config.environment.id)) {
    throw new EngineError('E_CONFIG_INVALID', `unknown environment '${config.environment.id}'`, {
      path: 'environment.id',
      hint: `choose one of: ${known.join(', ')}`,
    });
  }
  const space = checkSearchSpace(config.space, config.agent);
  const { objective } = config;
  if (objective.kind === 'offline') {
    if (!objective.log) {
      throw new EngineError('E_CONFIG_INVALID', 'an offline objective needs objective.log', {
        path: 'objective.log',
        hint: 'e.g. {"behaviour": "most-popular", "epsilon": 0.5, "episodes": 10000}',
      });
    }
    const baselines = Object.keys(BASELINES[config.environment.id] ?? {});
    if (!baselines.includes(objective.log.behaviour) && objective.log.behaviour !== 'random') {
      throw new EngineError('E_CONFIG_INVALID', `unknown behaviour '${objective.log.behaviour}'`, {
        path: 'objective.log.behaviour',
        hint: `a baseline of ${config.environment.id}: ${['random', ...baselines.filter((b) => b !== 'random')].join(', ')}`,
      });
    }
    if (BASELINES[config.environment.id]?.[objective.log.behaviour]?.oracle) {
      throw new EngineError(
        'E_CONFIG_INVALID',
        `'${objective.log.behaviour}' reads the simulator's hidden truth; a shop could not have logged it`,
        {
          path: 'objective.log.behaviour',
          hint: 'choose a baseline a shop could run, such as most-popular or random',
        },
      );
    }
  } else if (objective.log) {
    throw new EngineError('E_CONFIG_INVALID', 'objective.log is only read by an offline objective', {
      path: 'objective.kind',
      hint: 'set objective.kind to "offline", or remove objective.log',
    });
  }
  if (rankByOf(config) === 'lower' && objective.kind === 'simulator' && objective.seeds < 2) {
    throw new EngineError('E_CONFIG_INVALID', 'ranking by the lower bound needs at least 2 seeds', {
      path: 'objective.seeds',
      hint: 'set objective.seeds to 2 or more, or objective.rankBy to "mean"',
    });
  }
  config.search.scaleWithBudget.forEach((path, i) => {
    const inBase = getPath(config.agent, path);
    const p = space.space[path];
    const numeric = p
      ? p.type === 'int' || (p.type === 'choice' && p.values.every(Number.isInteger))
      : Number.isInteger(inBase);
    if (!numeric || (p === undefined && inBase === undefined)) {
      throw new EngineError(
        'E_CONFIG_INVALID',
        `search.scaleWithBudget names '${path}', which is not an integer set in the agent config or the space`,
        {
          path: `search.scaleWithBudget.${i}`,
          hint: `set '${path}' in the agent config (e.g. epsilon.decaySteps)`,
        },
      );
    }
  });
  return { config, space };
}
