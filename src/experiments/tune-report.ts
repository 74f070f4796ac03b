import { type Summary, summarize } from '../evaluation/statistics.ts';
import type { ParameterEffect } from '../evaluation/tuning/importance.ts';
import {
  type Bar,
  barChart,
  escapeXml,
  type LineSeries,
  lineChart,
  PALETTE,
  type ScatterGroup,
  scatterChart,
} from '../report/charts.ts';
import { meanCi, pageHead } from './report-html.ts';
import { meanLowerBound, type Trial, type TuneResult, trueReturnOf, winnerOf } from './tune.ts';
import { rankByOf } from './tune-config.ts';

/** What the search's score is, in words, for headings. */
export function objectiveLabel(result: TuneResult): string {
  const { objective } = result.config;
  const lower = rankByOf(result.config) === 'lower';
  if (objective.kind === 'offline' && objective.log) {
    const log = objective.log;
    return `${lower ? "the mean over seeds of each run's 95% lower bound of" : 'the mean over seeds of'} the ${log.estimator} off-policy estimate of the greedy return on the newest ${Math.round(log.heldOut * 100)}% of a log of ${log.episodes} episodes under ε-soft ${log.behaviour} (ε = ${log.epsilon})`;
  }
  return `${lower ? 'the 95% lower bound' : 'the mean'} of the greedy return over seeds`;
}

/** A parameter value as a short label: 0.00123, 64x64, true. */
export function valueLabel(value: unknown): string {
  if (value === undefined) return '–';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toPrecision(3);
  if (Array.isArray(value) && value.every((v) => typeof v === 'number')) return value.join('×');
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The trial's result at the highest rung it reached. */
export function topRung(trial: Trial) {
  return trial.rungs[trial.rungs.length - 1];
}

/** The trials that ran, best first (the leaderboard without the configurations that never ran). */
export function rankedTrials(result: TuneResult): Trial[] {
  return result.leaderboard.map((i) => result.trials[i]).filter((t) => t.rungs.length > 0);
}

/** Rows of the leaderboard: rank, trial, steps, return, each parameter. */
export function leaderboardRows(result: TuneResult, top: number): { header: string[]; rows: string[][] } {
  const keys = Object.keys(result.config.space);
  const seeds = result.config.objective.seeds;
  const offline = result.config.objective.kind === 'offline';
  const header = offline
    ? [
        '#',
        'trial',
        'steps',
        `estimate (±95% CI, ${seeds} seeds)`,
        'mean lower bound',
        'true return in the simulator (not used to rank)',
        ...keys,
      ]
    : ['#', 'trial', 'steps', `return (±95% CI, ${seeds} seeds)`, ...keys];
  const rows = rankedTrials(result)
    .slice(0, top)
    .map((t, rank) => {
      const rung = topRung(t);
      return [
        String(rank + 1),
        String(t.index),
        String(rung.budget),
        meanCi(rung.score),
        ...(offline ? [meanLowerBound(rung).toFixed(2), meanCi(summarize(rung.runs.map(trueReturnOf)))] : []),
        ...keys.map((k) => valueLabel(t.values[k])),
      ];
    });
  return { header, rows };
}

/** An HTML table; cells that read as numbers are right-aligned. */
export function htmlTable(header: string[], rows: string[][]): string {
  const numeric = (cell: string) => /^[-+−]?[\d.,]+( ± [\d.,]+)?$/.test(cell);
  return `<table><thead><tr>${header.map((h) => `<th>${escapeXml(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map(
      (r) =>
        `<tr>${r.map((c) => `<td${numeric(c) ? ' class="num"' : ''}>${escapeXml(c)}</td>`).join('')}</tr>`,
    )
    .join('')}</tbody></table>`;
}

/** Each parameter against the first-rung return of every trial (all trials share that budget). */
function effects(result: TuneResult): string[] {
  const ran = result.trials.filter((t) => t.rungs.length > 0);
  const levels = result.rungs.length;
  const groupName = (reached: number) =>
    reached === levels
      ? levels === 1
        ? 'trials'
        : 'full budget'
      : `stopped at ${result.rungs[reached - 1].budget}`;
  return Object.entries(result.config.space).map(([key, p]) => {
    const categories = p.type === 'choice' ? p.values.map(valueLabel) : undefined;
    const groups: ScatterGroup[] = [];
    for (let reached = levels; reached >= 1; reached--) {
      const points = ran
        .filter((t) => t.rungs.length === reached && key in t.values)
        .map((t) => {
          const s = t.rungs[0].score;
          const x = categories ? categories.indexOf(valueLabel(t.values[key])) : Number(t.values[key]);
          return { x, y: s.mean, lower: s.lower, upper: s.upper };
        });
      if (points.length > 0)
        groups.push({
          name: groupName(reached),
          points,
          color: PALETTE[(levels - reached) % PALETTE.length],
        });
    }
    const log = p.type !== 'choice' && p.log;
    return scatterChart(groups, {
      title: `${key}: return after ${result.rungs[0].budget} steps`,
      xLabel: `${key}${log ? ' (log scale)' : ''}`,
      yLabel: 'greedy return (mean over seeds)',
      logX: log,
      xCategories: categories,
    });
  });
}

/** A tuned-against-base check in a few words, for the CLI: `tuned is better ▲ (intervals apart)`. */
export function verdictWords(v: Parameters<typeof winnerOf>[0]): string {
  return {
    tuned: 'tuned is better ▲ (intervals apart)',
    base: 'base is better ▼ (intervals apart)',
    neither: 'intervals overlap',
  }[winnerOf(v)];
}

/** The same check as a sentence for a report: what was tuned (`configuration`, `options`) and on what. */
export function verdictSentence(v: Parameters<typeof winnerOf>[0], what: string, on: string): string {
  return {
    tuned: `The tuned ${what} better: the two 95% intervals do not overlap.`,
    base: `The base ${what} better: the two 95% intervals do not overlap.`,
    neither: `The intervals overlap: on ${on} the difference is not established.`,
  }[winnerOf(v)];
}

/** A bar with its 95% whiskers from a summary over seeds. */
export const summaryBar = (name: string, s: Summary): Bar => ({
  name,
  value: s.mean,
  lower: s.lower,
  upper: s.upper,
});

/** Each rung of a search: its budget, trials, best mean score and the trials it promoted. */
export function rungRows(
  rungs: Array<{ budget: number; trials: number; promoted: number[] }>,
  trials: Array<{ rungs: Array<{ score: { mean: number } }> }>,
  digits: number,
): string[][] {
  return rungs.map((r, k) => {
    const scores = trials.filter((t) => t.rungs[k]).map((t) => t.rungs[k].score.mean);
    return [
      String(k + 1),
      String(r.budget),
      String(r.trials),
      scores.length ? Math.max(...scores).toFixed(digits) : '–',
      r.promoted.length ? r.promoted.join(', ') : '–',
    ];
  });
}

/**
 * The text summary's middle: the winner's drawn values (or `describeBest`'s words), and the
 * strongest effects at the deepest rung that 6 trials reached (`at` names that budget).
 */
export function bestAndEffects(
  best: { index: number; values: Record<string, unknown> },
  effects: Array<{ budget: number; trials: number; parameters: ParameterEffect[] }>,
  at: (budget: number) => string,
  describeBest?: string,
): string[] {
  const lines = [
    `Best: trial ${best.index}, ${
      describeBest ??
      Object.entries(best.values)
        .map(([k, v]) => `${k}=${valueLabel(v)}`)
        .join(', ')
    }`,
  ];
  const deepest = effects.at(-1);
  const strongest = (deepest?.parameters ?? [])
    .filter((e) => Number.isFinite(e.value))
    .slice(0, 4)
    .map(effectLine);
  if (deepest && strongest.length > 0) {
    lines.push(
      `Strongest effects after ${at(deepest.budget)} (${deepest.trials} trials): ${strongest.join(', ')}`,
    );
  }
  return lines;
}

/** A parameter's effect in a few words: `learningRate ρ +0.62`, `gamma η² 0.31 (best 0.99)`. */
export function effectLine(e: ParameterEffect): string {
  return e.kind === 'spearman'
    ? `${e.parameter} ρ ${e.value > 0 ? '+' : ''}${e.value.toFixed(2)}`
    : `${e.parameter} η² ${e.value.toFixed(2)} (best ${valueLabel(JSON.parse(e.groups?.[0]?.value ?? 'null'))})`;
}

/** One row per parameter: its measure, value, trials and, for choices, each choice's mean return. */
export function effectRows(effects: ParameterEffect[], digits = 2): string[][] {
  return effects.map((e) => [
    e.parameter,
    e.kind === 'spearman' ? 'Spearman ρ' : 'η² (variance between choices)',
    Number.isFinite(e.value)
      ? `${e.kind === 'spearman' && e.value > 0 ? '+' : ''}${e.value.toFixed(2)}`
      : '–',
    String(e.n),
    e.groups
      ? e.groups
          .map((g) => `${valueLabel(JSON.parse(g.value))}: ${g.mean.toFixed(digits)} (${g.n})`)
          .join(' · ')
      : Number.isFinite(e.value)
        ? e.value > 0
          ? 'higher is better'
          : 'lower is better'
        : '',
  ]);
}

/**
 * Mean learning curve over seeds of the best few trials at their top rung. No bands: with the few
 * seeds a search affords they swamp the chart; the leaderboard carries the intervals.
 */
function curves(result: TuneResult, count: number): string {
  const series: LineSeries[] = rankedTrials(result)
    .slice(0, count)
    .map((t, k) => {
      const runs = topRung(t).runs;
      const points = (runs[0]?.curve ?? []).map((point, j) => {
        // Run-log curves went through JSON: a window with no finished episode is null there.
        const values = runs.map((r) => r.curve[j]?.meanReturn ?? Number.NaN).filter(Number.isFinite);
        return {
          x: point.step,
          y: values.length ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN,
        };
      });
      return { name: `#${k + 1} trial ${t.index}`, points };
    });
  if (series.length === 0) return '';
  return lineChart(series, {
    title: `Learning curves of the best trials (mean of ${result.config.objective.seeds} seeds)`,
    xLabel: 'training steps',
    yLabel: 'training return (windowed mean)',
  });
}

function validationSection(result: TuneResult): string {
  const v = result.validation;
  if (!v) return '<p>No validation on fresh seeds was asked for (validation.seeds = 0).</p>';
  const d = v.difference;
  const verdict = verdictSentence(v, 'configuration is', 'these fresh seeds');
  const chart = barChart(
    [summaryBar(`tuned (trial ${result.best})`, v.bestReturn), summaryBar('base config', v.baseReturn)],
    { title: `Greedy return on ${v.seeds.length} fresh seeds (95% CI)`, yLabel: 'return per episode' },
  );
  const estimates = v.estimates
    ? ` Their off-policy estimates on those seeds' held-out logs: tuned ${meanCi(v.estimates.best)}, base ${meanCi(v.estimates.base)}. Each fresh seed writes its own log; the verdict is the simulator's true return.`
    : '';
  return `<p>The winner and the base config, each retrained with the full budget on seeds ${v.seeds[0]}–${v.seeds[v.seeds.length - 1]} (never used in the search) and evaluated on ${result.config.validation.evaluationEpisodes} fresh episodes per seed: tuned ${meanCi(v.bestReturn)}, base ${meanCi(v.baseReturn)}; difference ${d.difference.toFixed(2)} [${d.lower.toFixed(2)}, ${d.upper.toFixed(2)}] (Welch).${estimates} <strong>${verdict}</strong></p>
<div class="charts"><figure>${chart}</figure></div>`;
}

/** A self-contained HTML page for a tuning run (inline CSS and SVG, nothing fetched). */
export function renderTuneReport(result: TuneResult): string {
  const title = `NextBest tuning: ${result.name}`;
  const { header, rows } = leaderboardRows(result, 15);
  const c = result.compute;
  const failed = result.trials.filter((t) => t.error);
  return `${pageHead(title)}
<p class="meta">Started ${escapeXml(result.startedAt)} · ${result.seconds.toFixed(0)} s on ${result.workers} worker thread(s) · ${escapeXml(result.config.search.strategy)} over ${result.trials.length} configurations of ${escapeXml(String(result.config.agent.algorithm ?? 'agent'))} on ${escapeXml(result.config.environment.id)} · ${result.config.objective.seeds} seeds per configuration · search cost ${c.runs} runs, ${c.trainSteps.toLocaleString('en')} training steps and ${c.evaluationSteps.toLocaleString('en')} evaluation steps${c.reused ? ` (${c.reused} runs reused from the run log)` : ''}${failed.length ? ` · ${failed.length} configurations were not valid agents` : ''}</p>
<h2>Tuned against the base config, on fresh seeds</h2>
${validationSection(result)}
<h2>Leaderboard</h2>
<p>Ranked by the highest budget reached, then by ${escapeXml(objectiveLabel(result))} there.${result.config.objective.kind === 'offline' ? " The true return is the trained agent's greedy return when the simulator plays it afterwards, from the world the log left: the check a real shop's log cannot give, shown here and never used to rank." : ''}</p>
${htmlTable(header, rows)}
${result.rungs.length > 1 ? `<h2>Successive halving</h2>${htmlTable(['rung', 'steps', 'trials', 'best return', 'promoted trials'], rungRows(result.rungs, result.trials, 2))}` : ''}
<h2>Each hyper-parameter's effect</h2>
<p>Association of each parameter with the mean return at each budget that at least 6 trials reached (descriptive, not causal; each parameter is drawn independently of the others). The first budget holds every trial but is short; later ones hold fewer, already selected trials.</p>
${result.effects.map((e) => `<h3>After ${e.budget} steps (${e.trials} trials)</h3>${htmlTable(['parameter', 'measure', 'value', 'trials', 'mean return by choice, best first'], effectRows(e.parameters))}`).join('\n')}
<p>Every trial's return at the first budget (all trials ran it) against its value; colours say how far successive halving let it go. Whiskers are 95% intervals over seeds.</p>
<div class="charts">${[...effects(result), curves(result, 3)]
    .filter((x) => x)
    .map((x) => `<figure>${x}</figure>`)
    .join('\n')}</div>
${failed.length ? `<details><summary>configurations that were not valid agents</summary><pre>${escapeXml(failed.map((t) => `trial ${t.index}: ${t.error?.message}`).join('\n'))}</pre></details>` : ''}
<details><summary>best configuration (agent config)</summary><pre>${escapeXml(JSON.stringify(result.trials[result.best].agent, null, 2))}</pre></details>
<details><summary>tuning config</summary><pre>${escapeXml(JSON.stringify(result.config, null, 2))}</pre></details>
</body></html>
`;
}
