/**
 * Single-step off-policy estimators as pure functions over typed arrays (Open Bandit Pipeline's set).
 * Notation: n logged rounds, A actions; for round i the logged action a_i, reward r_i, logging
 * propensity p_i = π_b(a_i|x_i), target distribution π_e(·|x_i) (row i of an n × A array), and for the
 * model-based estimators q̂(x_i, ·) (row i of an n × A array). Importance weight w_i = π_e(a_i|x_i) / p_i.
 * Each estimator returns its per-round terms where the estimate is their mean, so the bootstrap and the
 * self-normalised variants share one code path.
 */
export interface LoggedBandit {
  actions: number;
  loggedActions: Int32Array;
  rewards: Float64Array;
  loggingPropensities: Float64Array;
  targetProbabilities: Float64Array;
  rewardEstimates?: Float64Array;
}

/** w_i = π_e(a_i|x_i) / π_b(a_i|x_i), optionally clipped at maxWeight (Ionides 2008; Bottou et al. 2013). */
export function importanceWeights(data: LoggedBandit, maxWeight = Number.POSITIVE_INFINITY): Float64Array {
  const n = data.loggedActions.length;
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const target = data.targetProbabilities[i * data.actions + data.loggedActions[i]];
    w[i] = Math.min(target / data.loggingPropensities[i], maxWeight);
  }
  return w;
}

/** q̂(x_i, π_e) = Σ_a π_e(a|x_i) q̂(x_i, a): the direct method's per-round term. */
export function modelValues(data: LoggedBandit): Float64Array {
  const { actions, targetProbabilities: pi } = data;
  const q = requireModel(data);
  const n = data.loggedActions.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (let a = 0; a < actions; a++) v += pi[i * actions + a] * q[i * actions + a];
    out[i] = v;
  }
  return out;
}

function requireModel(data: LoggedBandit): Float64Array {
  if (!data.rewardEstimates) throw new RangeError('this estimator needs rewardEstimates (n × actions)');
  return data.rewardEstimates;
}

function mean(values: ArrayLike<number>, indices?: Int32Array): number {
  let total = 0;
  if (indices) {
    for (let j = 0; j < indices.length; j++) total += values[indices[j]];
    return total / indices.length;
  }
  for (let i = 0; i < values.length; i++) total += values[i];
  return total / values.length;
}

/** Precomputed per-round quantities every estimator is built from. */
export interface RoundTerms {
  weights: Float64Array;
  rewards: Float64Array;
  /** q̂(x_i, π_e), or null without a reward model. */
  modelValues: Float64Array | null;
  /** q̂(x_i, a_i), or null without a reward model. */
  factualEstimates: Float64Array | null;
}

export function roundTerms(data: LoggedBandit, maxWeight = Number.POSITIVE_INFINITY): RoundTerms {
  const weights = importanceWeights(data, maxWeight);
  if (!data.rewardEstimates)
    return { weights, rewards: data.rewards, modelValues: null, factualEstimates: null };
  const n = data.loggedActions.length;
  const factual = new Float64Array(n);
  for (let i = 0; i < n; i++) factual[i] = data.rewardEstimates[i * data.actions + data.loggedActions[i]];
  return { weights, rewards: data.rewards, modelValues: modelValues(data), factualEstimates: factual };
}

export interface EstimatorOptions {
  /** Switch-DR threshold τ: rounds with w > τ use the model only (Wang et al. 2017). */
  switchThreshold?: number;
  /** DRos shrinkage λ: ŵ = λw / (w² + λ) (Su et al. 2020, optimistic shrinkage). */
  shrinkage?: number;
}

export type EstimatorName = 'dm' | 'ips' | 'snips' | 'dr' | 'sndr' | 'switch-dr' | 'dr-os';
export const ESTIMATORS: EstimatorName[] = ['dm', 'ips', 'snips', 'dr', 'sndr', 'switch-dr', 'dr-os'];
export const MODEL_BASED: ReadonlySet<EstimatorName> = new Set(['dm', 'dr', 'sndr', 'switch-dr', 'dr-os']);

/**
 * One estimator on the rounds in `indices` (all rounds when absent; the bootstrap passes resamples).
 *  - DM   (Beygelzimer & Langford 2009):  mean q̂(x, π_e)
 *  - IPS  (Precup et al. 2000; Strehl et al. 2010): mean w·r
 *  - SNIPS (Swaminathan & Joachims 2015): Σ w·r / Σ w
 *  - DR   (Dudík et al. 2011): mean [q̂(x, π_e) + w·(r − q̂(x, a))]
 *  - SNDR: mean q̂(x, π_e) + Σ w·(r − q̂(x, a)) / Σ w
 *  - Switch-DR (Wang et al. 2017): the DR correction only where w ≤ τ
 *  - DRos (Su et al. 2020): DR with w replaced by λw / (w² + λ)
 */
export function estimate(
  name: EstimatorName,
  terms: RoundTerms,
  options: EstimatorOptions = {},
  indices?: Int32Array,
): number {
  const { weights: w, rewards: r, modelValues: dm, factualEstimates: qa } = terms;
  const count = indices ? indices.length : w.length;
  if (name === 'ips' || name === 'snips') {
    let num = 0;
    let den = 0;
    for (let j = 0; j < count; j++) {
      const i = indices ? indices[j] : j;
      num += w[i] * r[i];
      den += w[i];
    }
    return name === 'ips' ? num / count : den > 0 ? num / den : 0;
  }
  if (!dm || !qa) throw new RangeError(`${name} needs rewardEstimates (n × actions)`);
  if (name === 'dm') return mean(dm, indices);
  // Flags hoisted out of the loop: the loop body stays monomorphic arithmetic.
  const tau = name === 'switch-dr' ? (options.switchThreshold ?? 100) : Number.POSITIVE_INFINITY;
  const shrink = name === 'dr-os';
  const lambda = options.shrinkage ?? 10;
  let base = 0;
  let correction = 0;
  let weightSum = 0;
  for (let j = 0; j < count; j++) {
    const i = indices ? indices[j] : j;
    const wi = w[i];
    base += dm[i];
    const weight = shrink ? (lambda * wi) / (wi * wi + lambda) : wi > tau ? 0 : wi;
    correction += weight * (r[i] - qa[i]);
    weightSum += wi;
  }
  if (name === 'sndr') return base / count + (weightSum > 0 ? correction / weightSum : 0);
  return (base + correction) / count;
}
