import { UniformRandomPolicy } from '../agents/random-policy.ts';
import { maskedArgmax } from '../agents/update-rules.ts';
import { EngineError } from '../core/engine-error.ts';
import { actionCount } from '../core/spaces.ts';
import type { ActOptions, Decision, Environment, Policy, StepInfo } from '../core/types.ts';
import { AdsEnvironment, pacingPolicy } from '../environments/ads.ts';
import { CrmEnvironment, crmPlaybookPolicy } from '../environments/crm.ts';
import { EcommerceEnvironment } from '../environments/ecommerce.ts';
import { InventoryEnvironment, sSPolicy } from '../environments/inventory.ts';

/**
 * A fixed (non-learning) baseline: built for one environment instance, because heuristics and oracles
 * read that instance's visible (or, for oracles, latent) state.
 */
export interface BaselineSpec {
  description: string;
  /** Reads the simulator's latent truth: an upper reference, never "the best baseline". */
  oracle?: boolean;
  make(environment: Environment, seed: number): Policy;
}

/**
 * Picks the allowed action with the highest score; ties go to the first. `scorer` is called once per
 * decision (to read per-decision state once), and its result once per allowed action.
 */
function argmaxPolicy(scorer: (options: ActOptions) => (action: number) => number): Policy {
  return {
    act(_observation, options = {}): Decision {
      const mask = options.actionMask;
      const n = mask?.length ?? options.actionFeatures?.length ?? 0;
      const score = scorer(options);
      const values = new Float64Array(n);
      for (let a = 0; a < n; a++) values[a] = mask && !mask[a] ? Number.NEGATIVE_INFINITY : score(a);
      const best = maskedArgmax(values, 0, n, mask);
      if (best < 0) throw new EngineError('E_NO_ALLOWED_ACTION', 'no allowed action to choose from');
      return { action: best, propensity: 1 };
    },
  };
}

/** The immediate expected shaped reward of showing an item, plus `farsight` × the satisfaction it leaves. */
function ecommerceOracle(env: EcommerceEnvironment, farsight: number): Policy {
  const { purchase, click } = env.options.reward;
  return argmaxPolicy(() => {
    const items = env.actionItems();
    return (a) => {
      const p = env.outcomeProbabilities(items[a]);
      const buy = p.click * p.cartGivenClick * p.purchaseGivenCart;
      return click * (p.click - buy) + purchase * buy + farsight * p.click * p.satisfactionChange;
    };
  });
}

/** A baseline that first learns from `warmup` steps of its own decisions (rewards fed to `learn`). */
export interface WarmupPolicy extends Policy {
  warmup: number;
  learn(action: number, reward: number): void;
}

/**
 * Context-free "most popular": the first `warmup` decisions are uniformly random, then it always takes
 * the action with the highest mean immediate reward seen (what a shop does with a global best-seller list).
 */
function mostRewardedAction(environment: Environment, seed: number, warmup = 2_000): WarmupPolicy {
  const n = actionCount(environment.actionSpace);
  const sums = new Float64Array(n);
  const counts = new Float64Array(n);
  const random = new UniformRandomPolicy(n, seed);
  let decisions = 0;
  return {
    warmup,
    learn(action, reward) {
      sums[action] += reward;
      counts[action]++;
    },
    act(observation, options = {}): Decision {
      decisions++;
      if (decisions <= warmup) return random.act(observation, options);
      let best = -1;
      let bestValue = Number.NEGATIVE_INFINITY;
      for (let a = 0; a < n; a++) {
        if (options.actionMask && !options.actionMask[a]) continue;
        const v = counts[a] > 0 ? sums[a] / counts[a] : Number.NEGATIVE_INFINITY;
        if (v > bestValue || best < 0) {
          best = a;
          bestValue = v;
        }
      }
      return { action: best, propensity: 1 };
    },
  };
}

const mostPopular = (what: string): BaselineSpec => ({
  description: `the ${what} with the best mean immediate reward after 2,000 random decisions`,
  make: (environment, seed) => mostRewardedAction(environment, seed),
});

/** A heuristic that reads one environment class's visible state. */
function heuristic<E extends Environment>(
  type: new (...args: never[]) => E,
  description: string,
  make: (environment: E) => Policy,
): BaselineSpec {
  return {
    description,
    make: (environment) => {
      if (!(environment instanceof type)) {
        throw new EngineError(
          'E_BASELINE_ENVIRONMENT',
          `this baseline needs an ${type.name}, got ${environment.id}`,
        );
      }
      return make(environment);
    },
  };
}

const random: BaselineSpec = {
  description: 'uniformly random allowed action',
  make: (environment, seed) => new UniformRandomPolicy(actionCount(environment.actionSpace), seed),
};

export const BASELINES: Record<string, Record<string, BaselineSpec>> = {
  ecommerce: {
    random,
    'most-popular': heuristic(
      EcommerceEnvironment,
      'the offered item with the most sales so far (the shop-visible popularity)',
      (env) => {
        const popularity = env.options.categories + 2;
        return argmaxPolicy((options) => (a) => options.actionFeatures?.[a][popularity] ?? 0);
      },
    ),
    'myopic-oracle': {
      ...heuristic(
        EcommerceEnvironment,
        'reads the latent truth; maximises the immediate expected reward',
        (env) => ecommerceOracle(env, 0),
      ),
      oracle: true,
    },
    'far-sighted-oracle': {
      ...heuristic(
        EcommerceEnvironment,
        'reads the latent truth; also values the satisfaction a click leaves behind',
        (env) => ecommerceOracle(env, 2),
      ),
      oracle: true,
    },
  },
  crm: {
    random,
    'most-popular': mostPopular('action'),
    playbook: heuristic(
      CrmEnvironment,
      'email weekly, call after an open, meeting after an answered call',
      crmPlaybookPolicy,
    ),
  },
  inventory: {
    random,
    'most-popular': mostPopular('order size'),
    's-S': heuristic(InventoryEnvironment, '(s, S) reorder policy from the demand forecast', (e) =>
      sSPolicy(e),
    ),
  },
  ads: {
    random,
    'most-popular': mostPopular('bid multiplier'),
    pacing: heuristic(AdsEnvironment, 'budget pacing: shade bids when spending ahead of the day', (e) =>
      pacingPolicy(e),
    ),
  },
};

export function baselineFor(environmentId: string, name: string): BaselineSpec {
  const spec = BASELINES[environmentId]?.[name] ?? (name === 'random' ? random : undefined);
  if (!spec) {
    const known = Object.keys(BASELINES[environmentId] ?? { random });
    throw new EngineError('E_UNKNOWN_BASELINE', `no baseline '${name}' for environment '${environmentId}'`, {
      hint: `choose one of: ${known.join(', ')}`,
    });
  }
  return spec;
}

/**
 * Per-episode metrics read from `info`, beside the return: what each environment's report shows.
 * Each metric is a ratio of two per-episode sums (the report averages the ratio of totals).
 */
export interface MetricSpec {
  label: string;
  /** Added up over the episode's steps. */
  numerator: (info: StepInfo) => number;
  /** Added up too; 'episode' counts 1 per episode, 'step' 1 per step. */
  denominator: 'episode' | 'step' | ((info: StepInfo) => number);
  format?: 'percent' | 'number';
}

const flag = (key: string) => (info: StepInfo) => (info[key] === true ? 1 : 0);
const value = (key: string) => (info: StepInfo) =>
  typeof info[key] === 'number' ? (info[key] as number) : 0;

export const METRICS: Record<string, Record<string, MetricSpec>> = {
  ecommerce: {
    ctr: {
      label: 'CTR (clicks per recommendation)',
      numerator: flag('clicked'),
      denominator: 'step',
      format: 'percent',
    },
    purchases: { label: 'purchases per session', numerator: flag('purchased'), denominator: 'episode' },
    conversion: {
      label: 'conversion (purchases per click)',
      numerator: flag('purchased'),
      denominator: flag('clicked'),
      format: 'percent',
    },
    revenue: { label: 'revenue per session', numerator: value('revenue'), denominator: 'episode' },
    clickbait: {
      label: 'clickbait share of recommendations',
      numerator: flag('clickbait'),
      denominator: 'step',
      format: 'percent',
    },
    length: { label: 'session length (steps)', numerator: () => 1, denominator: 'episode' },
  },
  crm: {
    won: { label: 'leads won', numerator: flag('won'), denominator: 'episode', format: 'percent' },
    lost: { label: 'leads lost', numerator: flag('lost'), denominator: 'episode', format: 'percent' },
    valueWon: {
      label: 'deal value won per lead',
      numerator: (info) => (info.won === true ? value('dealValue')(info) : 0),
      denominator: 'episode',
    },
    days: { label: 'days per lead', numerator: () => 1, denominator: 'episode' },
  },
};

export function metricsFor(environmentId: string): Record<string, MetricSpec> {
  return METRICS[environmentId] ?? {};
}
