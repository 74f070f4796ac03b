/** Summary statistics with Student-t confidence intervals: every figure we report is mean ± CI. */
export interface Summary {
  n: number;
  mean: number;
  std: number;
  /** Half-width of the confidence interval of the mean. */
  halfWidth: number;
  lower: number;
  upper: number;
  min: number;
  max: number;
}

// Two-sided 95% Student-t critical values for 1..30 degrees of freedom.
const T95 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131,
  2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/** Standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (p <= 0 || p >= 1) throw new RangeError(`quantile needs 0 < p < 1, got ${p}`);
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    );
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}

/** Two-sided Student-t critical value: exact table at 95%, else Cornish–Fisher expansion (df ≥ 3). */
export function tCritical(df: number, confidence = 0.95): number {
  if (df < 1) return Number.NaN;
  if (Math.abs(confidence - 0.95) < 1e-12 && df <= 30) return T95[Math.floor(df) - 1];
  const p = 1 - (1 - confidence) / 2;
  if (df === 1) return Math.tan(Math.PI * (p - 0.5));
  if (df === 2) return (2 * p - 1) / Math.sqrt(2 * p * (1 - p));
  const z = normalQuantile(p);
  const z3 = z ** 3;
  const z5 = z ** 5;
  const z7 = z ** 7;
  return (
    z +
    (z3 + z) / (4 * df) +
    (5 * z5 + 16 * z3 + 3 * z) / (96 * df ** 2) +
    (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * df ** 3)
  );
}

export function summarize(values: ArrayLike<number>, confidence = 0.95): Summary {
  const n = values.length;
  if (n === 0) {
    return {
      n,
      mean: Number.NaN,
      std: Number.NaN,
      halfWidth: Number.NaN,
      lower: Number.NaN,
      upper: Number.NaN,
      min: Number.NaN,
      max: Number.NaN,
    };
  }
  let mean = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    mean += values[i];
    min = Math.min(min, values[i]);
    max = Math.max(max, values[i]);
  }
  mean /= n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (values[i] - mean) ** 2;
  const std = n > 1 ? Math.sqrt(squares / (n - 1)) : 0;
  const halfWidth = n > 1 ? (tCritical(n - 1, confidence) * std) / Math.sqrt(n) : Number.NaN;
  return { n, mean, std, halfWidth, lower: mean - halfWidth, upper: mean + halfWidth, min, max };
}

/** The two confidence intervals do not overlap (the house's "separated" mark, ▲/▼). */
export function intervalsApart(a: Summary, b: Summary): boolean {
  return a.lower > b.upper || a.upper < b.lower;
}

/** `12.3 ± 0.4` with a sensible number of digits. */
export function formatMeanCi(summary: Summary, digits = 2): string {
  const hw = Number.isNaN(summary.halfWidth) ? '' : ` ± ${summary.halfWidth.toFixed(digits)}`;
  return `${summary.mean.toFixed(digits)}${hw}`;
}

/**
 * The difference of two means, a − b, with a Welch 95% interval (unequal variances,
 * Welch–Satterthwaite degrees of freedom): what "better than the baseline" rests on.
 */
export function welchDifference(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  confidence = 0.95,
): { difference: number; halfWidth: number; lower: number; upper: number } {
  const sa = summarize(a);
  const sb = summarize(b);
  const va = sa.std ** 2 / sa.n;
  const vb = sb.std ** 2 / sb.n;
  const difference = sa.mean - sb.mean;
  const se = Math.sqrt(va + vb);
  if (sa.n < 2 || sb.n < 2)
    return { difference, halfWidth: Number.NaN, lower: Number.NaN, upper: Number.NaN };
  if (se === 0) return { difference, halfWidth: 0, lower: difference, upper: difference };
  const df = (va + vb) ** 2 / ((va * va) / (sa.n - 1) + (vb * vb) / (sb.n - 1));
  const halfWidth = tCritical(df, confidence) * se;
  return { difference, halfWidth, lower: difference - halfWidth, upper: difference + halfWidth };
}
