import { EngineError } from '../../core/engine-error.ts';
import { Rng } from '../../core/rng.ts';

export interface RewardModelInput {
  rounds: number;
  actions: number;
  /** Length of the feature vector of a (round, action) pair. */
  dimension: number;
  /** Write the features of round i paired with action a into out (length `dimension`). */
  features: (round: number, action: number, out: Float64Array) => void;
  loggedActions: Int32Array;
  rewards: Float64Array;
  /** `logistic` for 0/1 rewards (clicks), `linear` (ridge) otherwise. */
  kind?: 'logistic' | 'linear';
  /** L2 penalty on the weights (not the intercept). */
  l2?: number;
  /** Cross-fitting folds: each round is predicted by a model that did not see it (Chernozhukov et al. 2018). */
  folds?: number;
  seed?: number;
  /** With folds = 1: fit on the first trainRounds rounds only, predict every round (large logs). */
  trainRounds?: number;
}

/** Solve (H) x = g for symmetric positive-definite H by Cholesky decomposition; H is overwritten. */
function choleskySolve(h: Float64Array, g: Float64Array, d: number): Float64Array {
  for (let j = 0; j < d; j++) {
    let s = h[j * d + j];
    for (let k = 0; k < j; k++) s -= h[j * d + k] * h[j * d + k];
    if (s <= 0)
      throw new EngineError('E_REWARD_MODEL', 'reward model system is not positive definite', {
        hint: 'raise l2',
      });
    const diag = Math.sqrt(s);
    h[j * d + j] = diag;
    for (let i = j + 1; i < d; i++) {
      let t = h[i * d + j];
      for (let k = 0; k < j; k++) t -= h[i * d + k] * h[j * d + k];
      h[i * d + j] = t / diag;
    }
  }
  const y = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let t = g[i];
    for (let k = 0; k < i; k++) t -= h[i * d + k] * y[k];
    y[i] = t / h[i * d + i];
  }
  const x = new Float64Array(d);
  for (let i = d - 1; i >= 0; i--) {
    let t = y[i];
    for (let k = i + 1; k < d; k++) t -= h[k * d + i] * x[k];
    x[i] = t / h[i * d + i];
  }
  return x;
}

/** Fit weights (last entry: intercept) on the given rounds by Newton's method (IRLS) or ridge. */
function fit(input: RewardModelInput, rows: number[]): Float64Array {
  const d = input.dimension + 1;
  const kind = input.kind ?? 'logistic';
  const l2 = input.l2 ?? 1;
  const x = new Float64Array(d);
  let beta = new Float64Array(d);
  const iterations = kind === 'logistic' ? 25 : 1;
  for (let iteration = 0; iteration < iterations; iteration++) {
    const h = new Float64Array(d * d);
    const g = new Float64Array(d);
    for (let j = 0; j < d - 1; j++) {
      h[j * d + j] += l2;
      g[j] -= l2 * beta[j];
    }
    h[d * d - 1] += 1e-6;
    for (const i of rows) {
      input.features(i, input.loggedActions[i], x);
      x[d - 1] = 1;
      let z = 0;
      for (let j = 0; j < d; j++) z += beta[j] * x[j];
      const p = kind === 'logistic' ? 1 / (1 + Math.exp(-z)) : z;
      const curvature = kind === 'logistic' ? Math.max(p * (1 - p), 1e-6) : 1;
      const residual = input.rewards[i] - p;
      for (let j = 0; j < d; j++) {
        if (x[j] === 0) continue;
        g[j] += residual * x[j];
        for (let k = 0; k <= j; k++) h[j * d + k] += curvature * x[j] * x[k];
      }
    }
    for (let j = 0; j < d; j++) for (let k = 0; k < j; k++) h[k * d + j] = h[j * d + k];
    const step = choleskySolve(h, g, d);
    let change = 0;
    const next = new Float64Array(d);
    for (let j = 0; j < d; j++) {
      next[j] = beta[j] + step[j];
      change = Math.max(change, Math.abs(step[j]));
    }
    beta = next;
    if (change < 1e-8) break;
  }
  return beta;
}

/**
 * E[r | x, a] for every round and action (n × actions, row-major), for DM and the DR family: an
 * L2-regularised logistic (or ridge) regression on features of (context, action), cross-fitted so that
 * no round is scored by a model trained on it.
 */
export function fitRewardModel(input: RewardModelInput): Float64Array {
  const folds = Math.max(1, input.folds ?? 2);
  const rng = new Rng(input.seed ?? 0);
  const order = rng.shuffle(Array.from({ length: input.rounds }, (_, i) => i));
  const foldOf = new Int32Array(input.rounds);
  order.forEach((round, position) => {
    foldOf[round] = position % folds;
  });
  const out = new Float64Array(input.rounds * input.actions);
  const x = new Float64Array(input.dimension + 1);
  const kind = input.kind ?? 'logistic';
  for (let fold = 0; fold < folds; fold++) {
    const train =
      folds === 1
        ? input.trainRounds !== undefined
          ? Array.from({ length: Math.min(input.trainRounds, input.rounds) }, (_, i) => i)
          : order
        : order.filter((i) => foldOf[i] !== fold);
    const beta = fit(input, train);
    for (let i = 0; i < input.rounds; i++) {
      if (folds > 1 && foldOf[i] !== fold) continue;
      for (let a = 0; a < input.actions; a++) {
        input.features(i, a, x);
        x[input.dimension] = 1;
        let z = 0;
        for (let j = 0; j <= input.dimension; j++) z += beta[j] * x[j];
        out[i * input.actions + a] = kind === 'logistic' ? 1 / (1 + Math.exp(-z)) : z;
      }
    }
  }
  return out;
}
