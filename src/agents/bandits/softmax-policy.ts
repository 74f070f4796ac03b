import { EngineError } from '../../core/engine-error.ts';
import { Rng } from '../../core/rng.ts';
import type { ActOptions, Decision, Policy } from '../../core/types.ts';
import { softmaxProbabilities } from '../exploration.ts';

export interface SoftmaxPolicyOptions {
  /** Softmax temperature τ over the scorer's values (→ 0: greedy). */
  temperature?: number;
  /** Uniform mass mixed in over the allowed actions (0 = none). */
  epsilon?: number;
  seed?: number;
}

/**
 * A stochastic policy over any scorer's values (a DQN's Q-values, a bandit's estimates):
 * π(a|x) = (1 − ε)·softmax(values/τ)_a + ε/|allowed|. Exact propensities, and the whole distribution
 * via `distribution()` — what off-policy evaluation needs as targetProbabilities.
 */
export class SoftmaxPolicy implements Policy {
  private readonly rng: Rng;
  private readonly temperature: number;
  private readonly epsilon: number;

  constructor(
    private readonly scorer: Policy,
    options: SoftmaxPolicyOptions = {},
  ) {
    this.temperature = options.temperature ?? 1;
    this.epsilon = options.epsilon ?? 0;
    if (!(this.temperature > 0))
      throw new EngineError('E_CONFIG_INVALID', 'temperature must be > 0', { path: 'temperature' });
    if (!(this.epsilon >= 0 && this.epsilon <= 1))
      throw new EngineError('E_CONFIG_INVALID', 'epsilon must be in [0, 1]', { path: 'epsilon' });
    this.rng = new Rng(options.seed ?? 0);
  }

  distribution(observation: Float32Array, options: ActOptions = {}): Float64Array {
    const values = this.scorer.act(observation, { ...options, explore: false }).values;
    if (!values) {
      throw new EngineError('E_POLICY_HAS_NO_VALUES', 'the wrapped policy reports no values to soften', {
        hint: 'wrap an agent whose act() returns values (DQN, bandits)',
      });
    }
    const mask = options.actionMask;
    const p = softmaxProbabilities(values, values.length, this.temperature, mask);
    if (this.epsilon > 0) {
      let allowed = 0;
      for (let a = 0; a < values.length; a++) if (!mask || mask[a]) allowed++;
      for (let a = 0; a < values.length; a++)
        p[a] = (1 - this.epsilon) * p[a] + (!mask || mask[a] ? this.epsilon / allowed : 0);
    }
    return p;
  }

  act(observation: Float32Array, options: ActOptions = {}): Decision {
    const p = this.distribution(observation, options);
    const action = this.rng.categorical(p);
    return { action, propensity: p[action], values: Float32Array.from(p) };
  }
}
