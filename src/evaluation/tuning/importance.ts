/**
 * How much each hyper-parameter mattered in a search, from (value, score) pairs of the trials that
 * ran: for numbers, Spearman's rank correlation with the score (sign: which direction helps); for
 * choices, η², the share of the score's variance between the choices' groups (one-way ANOVA). Both are
 * descriptive, over the configurations drawn, not causal: parameters drawn together are confounded
 * only by chance, since each is drawn independently.
 */
export interface ParameterEffect {
  parameter: string;
  kind: 'spearman' | 'eta-squared';
  value: number;
  /** Trials in which the parameter was active and the score finite. */
  n: number;
  /** For choices: the mean score of each choice (by its JSON), best first. */
  groups?: Array<{ value: string; mean: number; n: number }>;
}

function ranks(values: number[]): number[] {
  const order = values.map((v, i) => ({ v, i })).sort((a, b) => a.v - b.v);
  const out = new Array<number>(values.length);
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && order[end + 1].v === order[start].v) end++;
    const rank = (start + end) / 2 + 1; // ties share their mean rank
    for (let k = start; k <= end; k++) out[order[k].i] = rank;
    start = end + 1;
  }
  return out;
}

/** Spearman's ρ: Pearson's correlation of the ranks (NaN when either side is constant or n < 3). */
export function spearman(x: number[], y: number[]): number {
  const n = x.length;
  if (n < 3) return Number.NaN;
  const rx = ranks(x);
  const ry = ranks(y);
  const mean = (n + 1) / 2;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (rx[i] - mean) * (ry[i] - mean);
    sxx += (rx[i] - mean) ** 2;
    syy += (ry[i] - mean) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : Number.NaN;
}

/** η² of a one-way grouping: between-group sum of squares over the total (NaN when constant). */
export function etaSquared(groups: string[], y: number[]): number {
  const n = y.length;
  if (n < 2) return Number.NaN;
  const grand = y.reduce((a, b) => a + b, 0) / n;
  const sums = new Map<string, { sum: number; n: number }>();
  groups.forEach((g, i) => {
    const s = sums.get(g) ?? { sum: 0, n: 0 };
    s.sum += y[i];
    s.n++;
    sums.set(g, s);
  });
  let between = 0;
  for (const s of sums.values()) between += s.n * (s.sum / s.n - grand) ** 2;
  const total = y.reduce((a, v) => a + (v - grand) ** 2, 0);
  return total > 0 ? between / total : Number.NaN;
}

/**
 * The effect of each parameter of a space over trials (`values` per trial and their `score`s),
 * strongest first (|ρ| or η²).
 */
export function parameterEffects(
  space: Record<string, { type: string }>,
  trials: Array<{ values: Record<string, unknown>; score: number }>,
): ParameterEffect[] {
  const effects = Object.entries(space).map(([parameter, p]): ParameterEffect => {
    const active = trials.filter((t) => parameter in t.values && Number.isFinite(t.score));
    const scores = active.map((t) => t.score);
    if (p.type === 'choice') {
      const labels = active.map((t) => JSON.stringify(t.values[parameter]));
      const byValue = new Map<string, number[]>();
      labels.forEach((l, i) => {
        byValue.set(l, [...(byValue.get(l) ?? []), scores[i]]);
      });
      const groups = [...byValue.entries()]
        .map(([value, s]) => ({ value, mean: s.reduce((a, b) => a + b, 0) / s.length, n: s.length }))
        .sort((a, b) => b.mean - a.mean);
      return { parameter, kind: 'eta-squared', value: etaSquared(labels, scores), n: active.length, groups };
    }
    const xs = active.map((t) => Number(t.values[parameter]));
    return { parameter, kind: 'spearman', value: spearman(xs, scores), n: active.length };
  });
  const strength = (e: ParameterEffect) => (Number.isFinite(e.value) ? Math.abs(e.value) : -1);
  return effects.sort((a, b) => strength(b) - strength(a));
}

/**
 * Parameter effects at each rung of a search that at least `minTrials` trials reached: the trials'
 * mean scores at that rung against their values. Later rungs hold fewer, already selected trials.
 */
export function effectsByRung(
  space: Record<string, { type: string }>,
  budgets: number[],
  trials: Array<{ values: Record<string, unknown>; rungs: Array<{ score: { mean: number } }> }>,
  minTrials = 6,
): Array<{ budget: number; trials: number; parameters: ParameterEffect[] }> {
  return budgets
    .map((budget, k) => {
      const ran = trials.filter((t) => t.rungs.length > k);
      return {
        budget,
        trials: ran.length,
        parameters: parameterEffects(
          space,
          ran.map((t) => ({ values: t.values, score: t.rungs[k].score.mean })),
        ),
      };
    })
    .filter((e) => e.trials >= minTrials);
}
