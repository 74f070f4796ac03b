import { z } from 'zod';
import { EngineError } from '../core/engine-error.ts';
import type { Rng } from '../core/rng.ts';
import { maskedArgmax } from './update-rules.ts';

export const epsilonScheduleSchema = z.object({
  start: z.number().min(0).max(1).default(1),
  end: z.number().min(0).max(1).default(0.05),
  /** Steps over which ε moves from start to end. */
  decaySteps: z.number().int().min(0).default(10_000),
  shape: z.enum(['linear', 'exponential']).default('linear'),
});
export type EpsilonSchedule = z.output<typeof epsilonScheduleSchema>;

/** ε after `step` environment steps. Exponential decays geometrically so that it reaches `end` at decaySteps. */
export function epsilonAt(schedule: EpsilonSchedule, step: number): number {
  const { start, end, decaySteps, shape } = schedule;
  if (decaySteps === 0 || step >= decaySteps) return end;
  const fraction = step / decaySteps;
  if (shape === 'linear') return start + (end - start) * fraction;
  if (start === 0 || end === 0) return start + (end - start) * fraction;
  return start * (end / start) ** fraction;
}

/** Throw the coded error every agent gives when the action mask leaves nothing to choose. */
export function requireAllowedAction(mask: Uint8Array | undefined, count = mask?.length ?? 0): void {
  if (!mask) return;
  for (let a = 0; a < count; a++) if (mask[a]) return;
  throw new EngineError('E_NO_ALLOWED_ACTION', 'the action mask allows no action', {
    hint: 'allow at least one action in info.actionMask',
  });
}

export interface ExplorationChoice {
  action: number;
  propensity: number;
}

/**
 * ε-greedy over the allowed actions, with the exact probability of the chosen action:
 * greedy a* gets 1 − ε + ε/|A|, every other allowed action ε/|A|. Throws E_NO_ALLOWED_ACTION when the
 * mask allows none.
 */
export function epsilonGreedy(
  values: ArrayLike<number>,
  count: number,
  epsilon: number,
  rng: Rng,
  mask?: Uint8Array,
): ExplorationChoice {
  requireAllowedAction(mask, count);
  const greedy = maskedArgmax(values, 0, count, mask);
  let allowed = count;
  if (mask) {
    allowed = 0;
    for (let a = 0; a < count; a++) allowed += mask[a] ? 1 : 0;
  }
  let action = greedy;
  if (epsilon > 0 && rng.float() < epsilon) {
    let pick = rng.int(allowed);
    for (let a = 0; a < count; a++) {
      if (mask && !mask[a]) continue;
      if (pick-- === 0) {
        action = a;
        break;
      }
    }
  }
  const propensity = action === greedy ? 1 - epsilon + epsilon / allowed : epsilon / allowed;
  return { action, propensity };
}

/** Softmax (Boltzmann) probabilities over allowed actions at temperature τ; masked actions get 0. */
export function softmaxProbabilities(
  values: ArrayLike<number>,
  count: number,
  temperature: number,
  mask?: Uint8Array,
): Float64Array {
  const p = new Float64Array(count);
  let max = Number.NEGATIVE_INFINITY;
  for (let a = 0; a < count; a++) if (!mask || mask[a]) max = Math.max(max, values[a]);
  let sum = 0;
  for (let a = 0; a < count; a++) {
    if (mask && !mask[a]) continue;
    p[a] = Math.exp((values[a] - max) / temperature);
    sum += p[a];
  }
  for (let a = 0; a < count; a++) p[a] /= sum;
  return p;
}
