import { z } from 'zod';
import { EngineError } from '../../core/engine-error.ts';
import { Rng } from '../../core/rng.ts';
import { actionCount, flatSize, spaceSchema } from '../../core/spaces.ts';
import type { ActOptions, Agent, AgentSnapshot, AgentStats, Decision, Transition } from '../../core/types.ts';
import { epsilonGreedy, requireAllowedAction } from '../exploration.ts';
import { counterState, makeSnapshot, restoreCounters } from '../snapshot.ts';
import { maskedArgmax, movingAverage } from '../update-rules.ts';
import { RidgeModel } from './ridge-model.ts';

const banditCommon = {
  observationSpace: spaceSchema,
  actionSpace: spaceSchema,
  seed: z.number().int().min(0).default(0),
  /** Unused by one-step learners; kept so every agent config has the same four keys. */
  gamma: z.number().min(0).max(1).default(0),
  /** Ridge penalty λ (the prior precision of the coefficients). */
  l2: z.number().positive().default(1),
  /**
   * > 0: one shared model over [observation; action features; 1] scoring each candidate passed in
   * actionFeatures (dynamic action sets, as Vowpal Wabbit's cb_explore_adf). 0: one model per action
   * over [observation; 1] (disjoint).
   */
  actionFeatureSize: z.number().int().min(0).default(0),
};

export const linUcbConfigSchema = z
  .object({
    algorithm: z.literal('linucb'),
    ...banditCommon,
    /** Width multiplier α of the upper confidence bound (Li et al. 2010, Algorithm 1). */
    alpha: z.number().min(0).default(1),
    /** Uniform exploration mixed in, so that propensities are never 0 for allowed actions (off-policy logs). */
    epsilon: z.number().min(0).max(1).default(0),
  })
  .strict();

export const linearThompsonConfigSchema = z
  .object({
    algorithm: z.literal('linear-thompson'),
    ...banditCommon,
    /** Posterior scale v: θ̃ ~ N(θ̂, v² A⁻¹) (Agrawal & Goyal 2013). */
    posteriorScale: z.number().positive().default(0.5),
    /** Monte-Carlo draws used to estimate the propensity of the chosen action. */
    propensitySamples: z.number().int().min(10).max(100_000).default(200),
  })
  .strict();

export const epsilonGreedyConfigSchema = z
  .object({
    algorithm: z.literal('epsilon-greedy'),
    ...banditCommon,
    epsilon: z.number().min(0).max(1).default(0.1),
  })
  .strict();

type LinearBanditConfig =
  | z.output<typeof linUcbConfigSchema>
  | z.output<typeof linearThompsonConfigSchema>
  | z.output<typeof epsilonGreedyConfigSchema>;

/**
 * Contextual bandits on linear models: LinUCB, linear Thompson sampling and ε-greedy over ridge
 * regressions, per action or shared over action features. One-step learners: `observe` fits the reward
 * of the taken action and ignores the next state. Every decision carries its propensity (exact for
 * LinUCB and ε-greedy, Monte-Carlo for Thompson sampling). `fitFromLogs` trains from logged data by
 * importance-weighted regression.
 */
export class LinearBanditAgent implements Agent {
  readonly algorithm: string;
  private readonly observationSize: number;
  private readonly actions: number;
  private readonly models: RidgeModel[];
  private readonly shared: boolean;
  private rng: Rng;
  private steps = 0;
  private squaredError = Number.NaN;

  constructor(readonly config: LinearBanditConfig) {
    this.algorithm = config.algorithm;
    this.observationSize = flatSize(config.observationSpace);
    this.actions = actionCount(config.actionSpace);
    this.shared = config.actionFeatureSize > 0;
    const dimension = this.observationSize + config.actionFeatureSize + 1;
    this.models = Array.from(
      { length: this.shared ? 1 : this.actions },
      () => new RidgeModel(dimension, config.l2),
    );
    this.rng = new Rng(config.seed);
  }

  /** Feature vectors z_a for each candidate. */
  private candidates(observation: Float32Array, actionFeatures?: Float32Array[]): Float64Array[] {
    if (observation.length !== this.observationSize) {
      throw new EngineError(
        'E_OBSERVATION_SIZE',
        `observation has ${observation.length} values, the agent expects ${this.observationSize}`,
      );
    }
    const d = this.observationSize;
    const f = this.config.actionFeatureSize;
    if (!this.shared) {
      const zx = new Float64Array(d + 1);
      zx.set(observation);
      zx[d] = 1;
      return Array.from({ length: this.actions }, () => zx);
    }
    if (!actionFeatures || actionFeatures.length === 0) {
      throw new EngineError(
        'E_ACTION_FEATURES_MISSING',
        'this bandit scores candidates from actionFeatures',
        {
          hint: 'pass one Float32Array of actionFeatureSize values per candidate',
        },
      );
    }
    if (actionFeatures.length > this.actions) {
      throw new EngineError(
        'E_TOO_MANY_ACTIONS',
        `${actionFeatures.length} candidates, the agent allows ${this.actions}`,
        { hint: 'raise actionSpace.n' },
      );
    }
    return actionFeatures.map((phi, a) => {
      if (phi.length !== f) {
        throw new EngineError(
          'E_ACTION_FEATURES_SIZE',
          `action ${a} has ${phi.length} features, expected ${f}`,
          { hint: 'set actionFeatureSize' },
        );
      }
      const z = new Float64Array(d + f + 1);
      z.set(observation);
      z.set(phi, d);
      z[d + f] = 1;
      return z;
    });
  }

  private model(action: number): RidgeModel {
    return this.models[this.shared ? 0 : action];
  }

  /** Estimated reward θ·z per candidate (the exploitation part). */
  private means(zs: Float64Array[]): Float64Array {
    const thetas = this.models.map((m) => m.coefficients());
    return Float64Array.from(zs, (z, a) => {
      const theta = thetas[this.shared ? 0 : a];
      let s = 0;
      for (let i = 0; i < z.length; i++) s += theta[i] * z[i];
      return s;
    });
  }

  private thompsonScores(
    zs: Float64Array[],
    rng: Rng,
    factors: Float64Array[],
    thetas: Float64Array[],
  ): Float64Array {
    const v = (this.config as { posteriorScale: number }).posteriorScale;
    const samples = this.models.map((m, k) => {
      const d = m.dimension;
      const noise = Float64Array.from({ length: d }, () => rng.normal());
      const out = Float64Array.from(thetas[k]);
      const l = factors[k];
      for (let i = 0; i < d; i++) {
        let s = 0;
        for (let j = 0; j <= i; j++) s += l[i * d + j] * noise[j];
        out[i] += v * s;
      }
      return out;
    });
    return Float64Array.from(zs, (z, a) => {
      const theta = samples[this.shared ? 0 : a];
      let s = 0;
      for (let i = 0; i < z.length; i++) s += theta[i] * z[i];
      return s;
    });
  }

  act(observation: Float32Array, options: ActOptions = {}): Decision {
    const zs = this.candidates(observation, options.actionFeatures);
    const count = zs.length;
    const mask = options.actionMask;
    requireAllowedAction(mask, count);
    const means = this.means(zs);
    if (options.explore === false) {
      return { action: maskedArgmax(means, 0, count, mask), propensity: 1, values: Float32Array.from(means) };
    }
    if (this.config.algorithm === 'linear-thompson') {
      const factors = this.models.map((m) => m.choleskyOfInverse());
      const thetas = this.models.map((m) => m.coefficients());
      const action = maskedArgmax(this.thompsonScores(zs, this.rng, factors, thetas), 0, count, mask);
      // P(action) under the posterior, by Monte Carlo on a separate stream (add-one smoothing keeps it > 0).
      const draws = this.config.propensitySamples;
      const counter = new Rng(this.rng.nextUint32());
      let hits = 0;
      for (let k = 0; k < draws; k++)
        if (maskedArgmax(this.thompsonScores(zs, counter, factors, thetas), 0, count, mask) === action)
          hits++;
      return { action, propensity: (hits + 1) / (draws + 1), values: Float32Array.from(means) };
    }
    let scores = means;
    if (this.config.algorithm === 'linucb') {
      const alpha = this.config.alpha;
      scores = Float64Array.from(zs, (z, a) => means[a] + alpha * Math.sqrt(this.model(a).width(z)));
    }
    const { action, propensity } = epsilonGreedy(scores, count, this.config.epsilon, this.rng, mask);
    return { action, propensity, values: Float32Array.from(scores) };
  }

  /** Learn from the reward of the taken action (one-step: the next state is ignored). */
  observe(t: Transition, weight = 1): void {
    const z = this.candidates(t.observation, t.actionFeatures)[t.action];
    const m = this.model(t.action);
    const theta = m.coefficients();
    let prediction = 0;
    for (let i = 0; i < z.length; i++) prediction += theta[i] * z[i];
    const error = (t.reward - prediction) ** 2;
    this.squaredError = movingAverage(this.squaredError, error, 0.01);
    m.update(z, t.reward, weight);
    this.steps++;
  }

  /**
   * Fit from logged rounds by importance-weighted regression: each round counts 1/propensity (capped
   * at maxWeight), so the fitted rewards are not skewed toward what the logging policy liked.
   */
  fitFromLogs(rounds: Iterable<Transition>, maxWeight = 100): void {
    for (const t of rounds) {
      if (!(t.propensity !== undefined && t.propensity > 0 && t.propensity <= 1)) {
        throw new EngineError('E_PROPENSITY_MISSING', 'every logged round needs a propensity in (0, 1]', {
          hint: "log the acting policy's probability of its action",
        });
      }
      this.observe(t, Math.min(1 / t.propensity, maxWeight));
    }
  }

  stats(): AgentStats {
    return { steps: this.steps, updates: this.steps, loss: this.squaredError };
  }

  toJSON(): AgentSnapshot {
    return makeSnapshot(this.algorithm, this.config, {
      ...counterState(this.steps, this.steps, this.rng),
      models: this.models.map((m) => m.toJSON()),
    });
  }

  restore(state: Record<string, unknown>): void {
    ({ steps: this.steps, rng: this.rng } = restoreCounters(state));
    (state.models as Array<{ inverse: number[]; b: number[]; count: number }>).forEach((s, k) => {
      this.models[k].load(s);
    });
  }
}
