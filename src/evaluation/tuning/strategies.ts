import { EngineError } from '../../core/engine-error.ts';

/** One round of a search: how many trials run, each with this budget (environment steps of training). */
export interface Rung {
  budget: number;
  trials: number;
}

export type Strategy = 'random' | 'successive-halving';

/**
 * The rungs of a search.
 * - `random`: every trial at the full budget, one rung.
 * - `successive-halving` (Jamieson & Talwalkar 2016): all trials at a small budget, the best 1/eta go on
 *   with eta times the budget, and so on up to the full budget. Budgets are geometric down from the full
 *   one (maxBudget / eta^k), so the last rung trains exactly as the random search does, and the first is
 *   at least minBudget.
 */
export function planRungs(options: {
  strategy: Strategy;
  trials: number;
  maxBudget: number;
  minBudget?: number;
  eta?: number;
}): Rung[] {
  const { strategy, trials, maxBudget } = options;
  if (!(Number.isInteger(trials) && trials >= 1)) {
    throw new EngineError('E_CONFIG_INVALID', `trials must be a positive integer, got ${trials}`, {
      hint: 'set search.trials to 1 or more',
    });
  }
  if (strategy === 'random') return [{ budget: maxBudget, trials }];
  const eta = options.eta ?? 3;
  const minBudget = options.minBudget ?? maxBudget / eta ** 2;
  if (!(minBudget > 0 && minBudget <= maxBudget)) {
    throw new EngineError(
      'E_CONFIG_INVALID',
      `successive halving needs 0 < minSteps ≤ steps (got minSteps ${minBudget}, steps ${maxBudget})`,
      { path: 'search.minSteps', hint: 'lower search.minSteps or raise steps' },
    );
  }
  // The number of rungs that fit: maxBudget / eta^(K-1) ≥ minBudget, and no more rungs than halvings of trials.
  let count = Math.floor(Math.log(maxBudget / minBudget) / Math.log(eta) + 1e-9) + 1;
  count = Math.min(count, Math.floor(Math.log(trials) / Math.log(eta) + 1e-9) + 1);
  const rungs: Rung[] = [];
  let n = trials;
  for (let k = 0; k < count; k++) {
    rungs.push({ budget: Math.round(maxBudget / eta ** (count - 1 - k)), trials: n });
    n = Math.max(1, Math.floor(n / eta));
  }
  return rungs;
}

/**
 * Which trials go on to the next rung: the `keep` best by score (higher is better), ties and
 * non-finite scores broken towards the lower trial index so that promotion is deterministic.
 */
export function promote(scores: Array<{ trial: number; score: number }>, keep: number): number[] {
  return [...scores]
    .sort(byScore)
    .slice(0, keep)
    .map((s) => s.trial);
}

/** Higher score first; non-finite scores after every finite one; ties to the lower trial index. */
export function byScore(a: { trial: number; score: number }, b: { trial: number; score: number }): number {
  const key = (s: number) => (Number.isFinite(s) ? s : Number.NEGATIVE_INFINITY);
  return key(b.score) - key(a.score) || a.trial - b.trial;
}

/** Environment steps of training a plan costs per seed when nothing fails: the compute figure. */
export function plannedTrainSteps(rungs: Rung[]): number {
  return rungs.reduce((total, rung) => total + rung.budget * rung.trials, 0);
}
