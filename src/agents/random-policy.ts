import { EngineError } from '../core/engine-error.ts';
import { Rng } from '../core/rng.ts';
import type { ActOptions, Decision, Policy } from '../core/types.ts';
import { requireAllowedAction } from './exploration.ts';

/**
 * The uniformly random baseline (and logging policy): each allowed action with probability 1/|allowed|,
 * seeded. Masked actions are skipped by redrawing, which keeps draws identical to an unmasked policy's
 * whenever the drawn action is allowed.
 */
export class UniformRandomPolicy implements Policy {
  private readonly rng: Rng;

  constructor(
    readonly actions: number,
    seed = 0,
  ) {
    this.rng = new Rng(seed);
  }

  act(_observation?: Float32Array, options: ActOptions = {}): Decision {
    const mask = options.actionMask;
    const count = mask ? mask.length : this.actions;
    requireAllowedAction(mask, count);
    let allowed = count;
    if (mask) allowed = mask.reduce((n, v) => n + (v ? 1 : 0), 0);
    let action: number;
    do action = this.rng.int(count);
    while (mask && !mask[action]);
    return { action, propensity: 1 / allowed };
  }
}

/**
 * A known stochastic logging policy made from any greedy one: with probability 1 − ε the base policy's
 * (greedy) choice, otherwise a uniformly random allowed action. The propensity is exact:
 * ε/|allowed| + (1 − ε)·[action = the base choice], so logs it writes support off-policy evaluation and
 * cover every allowed action.
 */
export class EpsilonSoftPolicy implements Policy {
  private readonly rng: Rng;

  constructor(
    readonly base: Policy,
    readonly epsilon: number,
    seed = 0,
    /** The number of actions, for environments that give no action mask or features. */
    readonly actions?: number,
  ) {
    if (!(epsilon >= 0 && epsilon <= 1)) {
      throw new EngineError('E_CONFIG_INVALID', `epsilon must be in [0, 1], got ${epsilon}`, {
        path: 'epsilon',
      });
    }
    this.rng = new Rng(seed);
  }

  act(observation: Float32Array, options: ActOptions = {}): Decision {
    const greedy = this.base.act(observation, { ...options, explore: false }).action;
    const mask = options.actionMask;
    const count = mask?.length ?? options.actionFeatures?.length ?? this.actions ?? 0;
    let allowed = count;
    if (mask) allowed = mask.reduce((n, v) => n + (v ? 1 : 0), 0);
    if (count === 0) {
      throw new EngineError('E_ACTIONS_UNKNOWN', 'an epsilon-soft policy needs to know the allowed actions', {
        hint: 'pass options.actionMask (or actionFeatures) to act(), or the action count to the constructor',
      });
    }
    let action = greedy;
    if (this.rng.float() < this.epsilon) {
      do action = this.rng.int(count);
      while (mask && !mask[action]);
    }
    return { action, propensity: this.epsilon / allowed + (action === greedy ? 1 - this.epsilon : 0) };
  }
}
