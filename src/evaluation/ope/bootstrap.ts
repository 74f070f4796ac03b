import { Rng } from '../../core/rng.ts';

/**
 * Percentile bootstrap confidence interval (Efron & Tibshirani 1993, §13.3) of a statistic over n rounds,
 * resampling rounds with replacement; seeded, so the same call gives the same interval.
 */
export function bootstrapInterval(
  n: number,
  statistic: (indices: Int32Array) => number,
  options: { resamples?: number; confidence?: number; seed?: number } = {},
): { lower: number; upper: number } {
  const resamples = options.resamples ?? 500;
  const confidence = options.confidence ?? 0.95;
  const rng = new Rng(options.seed ?? 0);
  const indices = new Int32Array(n);
  const values = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    for (let j = 0; j < n; j++) indices[j] = rng.int(n);
    values[b] = statistic(indices);
  }
  values.sort();
  const alpha = (1 - confidence) / 2;
  const pick = (q: number) => {
    const position = q * (resamples - 1);
    const low = Math.floor(position);
    const high = Math.min(low + 1, resamples - 1);
    return values[low] + (values[high] - values[low]) * (position - low);
  };
  return { lower: pick(alpha), upper: pick(1 - alpha) };
}
