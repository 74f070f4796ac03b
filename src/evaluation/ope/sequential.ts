import { EngineError } from '../../core/engine-error.ts';
import { bootstrapInterval } from './bootstrap.ts';
import type { EstimateWithInterval } from './off-policy-evaluate.ts';

/**
 * Logged episodes, flattened: episode e covers steps [episodeStarts[e], episodeStarts[e + 1]).
 * For each step: the reward, the logging policy's probability of the logged action, and the target
 * policy's probability of that same action; for the DR family, q̂(s_t, a_t) and v̂(s_t) = Σ_a π_e(a|s_t) q̂(s_t, a).
 */
export interface LoggedEpisodes {
  episodeStarts: Int32Array;
  rewards: Float64Array;
  loggingPropensities: Float64Array;
  targetPropensities: Float64Array;
  qEstimates?: Float64Array;
  vEstimates?: Float64Array;
  gamma: number;
}

export type SequentialEstimatorName = 'pdis' | 'wpdis' | 'dr' | 'wdr';
export const SEQUENTIAL_ESTIMATORS: SequentialEstimatorName[] = ['pdis', 'wpdis', 'dr', 'wdr'];

/**
 * The estimate on a multiset of episodes (all when `episodes` is absent; the bootstrap passes resamples).
 *  - PDIS (Precup et al. 2000): (1/N) Σ_e Σ_t γ^t ρ_{0:t} r_t, ρ_{0:t} = Π_{k≤t} π_e(a_k|s_k)/π_b(a_k|s_k)
 *  - WPDIS: each time step's weights normalised across episodes, Σ_t γ^t Σ_e ρ_{0:t} r_t / Σ_e ρ_{0:t}
 *  - DR (Jiang & Li 2016, eq. 7 unrolled): (1/N) Σ_e Σ_t γ^t [ρ_{0:t} (r_t − q̂_t) + ρ_{0:t−1} v̂_t]
 *  - WDR (Thomas & Brunskill 2016): DR with the per-step weights normalised as in WPDIS
 * An episode that ended before step t keeps its last cumulative weight and contributes no reward
 * (absorbing state), the usual convention for variable-length logs.
 */
export function sequentialEstimate(
  name: SequentialEstimatorName,
  data: LoggedEpisodes,
  episodes?: Int32Array,
): number {
  const { episodeStarts, rewards, loggingPropensities: pb, targetPropensities: pe, gamma } = data;
  const count = episodes ? episodes.length : episodeStarts.length - 1;
  const pick = (j: number) => (episodes ? episodes[j] : j);
  const model = name === 'dr' || name === 'wdr';
  if (model && (!data.qEstimates || !data.vEstimates))
    throw new RangeError(`${name} needs qEstimates and vEstimates`);
  const q = data.qEstimates;
  const v = data.vEstimates;
  if (name === 'pdis' || name === 'dr') {
    let total = 0;
    for (let j = 0; j < count; j++) {
      const e = pick(j);
      let rho = 1;
      let discount = 1;
      for (let t = episodeStarts[e]; t < episodeStarts[e + 1]; t++) {
        const previous = rho;
        rho *= pe[t] / pb[t];
        total += discount * (model ? rho * (rewards[t] - q![t]) + previous * v![t] : rho * rewards[t]);
        discount *= gamma;
      }
    }
    return total / count;
  }
  // Weighted variants: normalise per time step across episodes.
  let horizon = 0;
  for (let j = 0; j < count; j++) {
    const e = pick(j);
    horizon = Math.max(horizon, episodeStarts[e + 1] - episodeStarts[e]);
  }
  const rho = new Float64Array(count).fill(1);
  const previous = new Float64Array(count);
  let value = 0;
  let discount = 1;
  for (let t = 0; t < horizon; t++) {
    let weightSum = 0;
    let previousSum = 0;
    for (let j = 0; j < count; j++) {
      const e = pick(j);
      previous[j] = rho[j];
      previousSum += rho[j];
      const at = episodeStarts[e] + t;
      if (at < episodeStarts[e + 1]) rho[j] *= pe[at] / pb[at];
      weightSum += rho[j];
    }
    let step = 0;
    for (let j = 0; j < count; j++) {
      const e = pick(j);
      const at = episodeStarts[e] + t;
      if (at >= episodeStarts[e + 1]) continue;
      if (model) {
        if (weightSum > 0) step += (rho[j] / weightSum) * (rewards[at] - q![at]);
        if (previousSum > 0) step += (previous[j] / previousSum) * v![at];
      } else if (weightSum > 0) {
        step += (rho[j] / weightSum) * rewards[at];
      }
    }
    value += discount * step;
    discount *= gamma;
  }
  return value;
}

/** Every sequential estimator the inputs allow, with seeded percentile-bootstrap intervals over episodes. */
export function sequentialOffPolicyEvaluate(
  data: LoggedEpisodes & {
    estimators?: SequentialEstimatorName[];
    confidence?: number;
    seed?: number;
    resamples?: number;
  },
): Record<string, EstimateWithInterval> {
  const steps = data.rewards.length;
  const episodes = data.episodeStarts.length - 1;
  const fail = (message: string, path: string) => {
    throw new EngineError('E_OPE_INPUT', message, {
      path,
      hint: 'episodeStarts are offsets into the per-step arrays, ending at their length',
    });
  };
  if (episodes < 1) fail('no episodes', 'episodeStarts');
  if (data.episodeStarts[0] !== 0 || data.episodeStarts[episodes] !== steps)
    fail(`episodeStarts must start at 0 and end at ${steps}`, 'episodeStarts');
  for (let e = 0; e < episodes; e++)
    if (data.episodeStarts[e + 1] < data.episodeStarts[e])
      fail(`episodeStarts decreases at ${e}`, `episodeStarts[${e + 1}]`);
  for (const [name, array] of [
    ['loggingPropensities', data.loggingPropensities],
    ['targetPropensities', data.targetPropensities],
  ] as const) {
    if (array.length !== steps) fail(`${name} has ${array.length} entries, rewards ${steps}`, name);
  }
  for (let t = 0; t < steps; t++) {
    if (!(data.loggingPropensities[t] > 0 && data.loggingPropensities[t] <= 1))
      fail(
        `step ${t}: logging propensity ${data.loggingPropensities[t]} not in (0, 1]`,
        `loggingPropensities[${t}]`,
      );
    if (!(data.targetPropensities[t] >= 0 && data.targetPropensities[t] <= 1))
      fail(
        `step ${t}: target propensity ${data.targetPropensities[t]} not in [0, 1]`,
        `targetPropensities[${t}]`,
      );
  }
  const hasModel = Boolean(data.qEstimates && data.vEstimates);
  const names =
    data.estimators ?? SEQUENTIAL_ESTIMATORS.filter((n) => hasModel || (n !== 'dr' && n !== 'wdr'));
  const out: Record<string, EstimateWithInterval> = {};
  names.forEach((name, k) => {
    if ((name === 'dr' || name === 'wdr') && !hasModel) {
      throw new EngineError('E_OPE_INPUT', `${name} needs qEstimates and vEstimates`, {
        path: 'qEstimates',
        hint: 'or ask only for pdis and wpdis',
      });
    }
    const value = sequentialEstimate(name, data);
    const interval = bootstrapInterval(episodes, (idx) => sequentialEstimate(name, data, idx), {
      resamples: data.resamples ?? 500,
      confidence: data.confidence ?? 0.95,
      seed: (data.seed ?? 0) + k,
    });
    out[name] = { value, ...interval };
  });
  return out;
}

/** Kish's effective number of episodes, (Σρ)² / Σρ², from each episode's full importance ratio. */
export function effectiveEpisodes(
  data: Pick<LoggedEpisodes, 'episodeStarts' | 'loggingPropensities' | 'targetPropensities'>,
): number {
  const { episodeStarts: starts, loggingPropensities: pb, targetPropensities: pe } = data;
  let sum = 0;
  let squares = 0;
  for (let e = 0; e + 1 < starts.length; e++) {
    let rho = 1;
    for (let t = starts[e]; t < starts[e + 1]; t++) rho *= pe[t] / pb[t];
    sum += rho;
    squares += rho * rho;
  }
  return squares === 0 ? 0 : (sum * sum) / squares;
}
