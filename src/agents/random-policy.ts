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
