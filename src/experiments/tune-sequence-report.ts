import { getPath } from '../evaluation/tuning/space.ts';
import { barChart, escapeXml, type LineSeries, lineChart } from '../report/charts.ts';
import { meanCi, pageHead } from './report-html.ts';
import { effectRows, htmlTable, rungRows, summaryBar, valueLabel, verdictSentence } from './tune-report.ts';
import { epochsLabel, type SequenceTrial, type SequenceTuneResult } from './tune-sequence.ts';

/** The objective in words: `click NDCG@10`. */
function metricLabel(result: SequenceTuneResult): string {
  return `${result.config.objective.group} ${result.config.objective.metric.toUpperCase()}`;
}

function finalSection(result: SequenceTuneResult): string {
  const v = result.final;
  if (!v) return '<p>No check on the test sessions was asked for (validation.seeds = 0).</p>';
  const metric = metricLabel(result);
  const d = v.difference;
  const baseWon = result.trials[result.best].base === true;
  const verdict = baseWon
    ? 'The base options won the search: no configuration drawn did better on the validation sessions.'
    : verdictSentence(v, 'options are', 'these seeds');
  const chart = barChart(
    [
      ...(baseWon ? [] : [summaryBar(`tuned (trial ${result.best})`, v.bestScore)]),
      summaryBar('base options', v.baseScore),
      ...v.references.map((r) => ({ name: r.model, value: r.value, lower: r.lower, upper: r.upper })),
    ],
    { title: `Test ${metric} (95% CI)`, yLabel: metric },
  );
  const f = (x: number) => x.toFixed(4);
  if (baseWon) {
    return `<p>The base options, retrained for ${result.config.epochs} epochs on seeds ${v.seeds[0]}–${v.seeds.at(-1)} (never used in the search) and scored on the test sessions, which the search never read: ${meanCi(v.baseScore)}. Popularity and session kNN on the same sessions: ${v.references.map((r) => `${escapeXml(r.model)} ${f(r.value)} [${f(r.lower)}, ${f(r.upper)}]`).join(', ')}. <strong>${verdict}</strong></p>
<div class="charts"><figure>${chart}</figure></div>`;
  }
  return `<p>The winner and the base options, each retrained for ${result.config.epochs} epochs on seeds ${v.seeds[0]}–${v.seeds.at(-1)} (never used in the search) and scored on the test sessions, which the search never read: tuned ${meanCi(v.bestScore)}, base ${meanCi(v.baseScore)}; difference ${f(d.difference)} [${f(d.lower)}, ${f(d.upper)}] (Welch). Popularity and session kNN on the same sessions, with bootstrap intervals over sessions: ${v.references.map((r) => `${escapeXml(r.model)} ${f(r.value)} [${f(r.lower)}, ${f(r.upper)}]`).join(', ')}. <strong>${verdict}</strong></p>
<div class="charts"><figure>${chart}</figure></div>`;
}

/** Validation NDCG@10 after each epoch, mean over seeds, of the best few trials at their top rung. */
function curves(result: SequenceTuneResult, count: number): string {
  const ranked = result.leaderboard.map((i) => result.trials[i]).filter((t) => t.rungs.length > 0);
  const series: LineSeries[] = ranked.slice(0, count).map((t, k) => {
    const runs = t.rungs[t.rungs.length - 1].runs;
    const points = (runs[0]?.curve ?? []).map((point, j) => {
      const values = runs.map((r) => r.curve[j]?.validationNdcg ?? Number.NaN).filter(Number.isFinite);
      return {
        x: point.epoch,
        y: values.length ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN,
      };
    });
    return { name: `#${k + 1} trial ${trialName(t)}`, points };
  });
  const ys = series.flatMap((x) => x.points.map((p) => p.y)).filter(Number.isFinite);
  if (ys.length === 0) return '';
  return lineChart(series, {
    title: 'Validation NDCG@10 after each epoch, best trials',
    xLabel: 'epoch',
    yLabel: 'NDCG@10 (all validation targets)',
    // The trials differ in the second decimal: start the axis near their lowest point, not at 0.
    yMin: Math.max(0, Math.floor(Math.min(...ys) * 20) / 20 - 0.05),
  });
}

/** A trial's name in tables: its index, and `(base)` for the base options. */
export const trialName = (t: SequenceTrial) => (t.base ? `${t.index} (base)` : String(t.index));

/**
 * Rows of the leaderboard: rank, trial, epochs of its top rung, the validation score there (mean ±
 * 95% CI with several seeds), the epoch its runs kept, and each setting drawn.
 */
export function sequenceLeaderboard(
  result: SequenceTuneResult,
  top: number,
): { header: string[]; rows: string[][] } {
  const keys = Object.keys(result.config.space);
  const ranked = result.leaderboard.map((i) => result.trials[i]).filter((t) => t.rungs.length > 0);
  const rows = ranked.slice(0, top).map((t, rank) => {
    const rung = t.rungs[t.rungs.length - 1];
    return [
      String(rank + 1),
      trialName(t),
      String(rung.epochs),
      rung.score.n > 1 ? meanCi(rung.score) : rung.score.mean.toFixed(4),
      String(Math.round(rung.runs.reduce((sum, r) => sum + r.keptEpoch, 0) / rung.runs.length)),
      // The base trial draws nothing: show what its options set there (– where it keeps the default).
      ...keys.map((k) => valueLabel(t.base ? getPath(result.config.options, k) : t.values[k])),
    ];
  });
  return { header: ['#', 'trial', 'epochs', `validation ${metricLabel(result)}`, 'kept', ...keys], rows };
}

/** A self-contained HTML page for a sequence-model search on a log (inline CSS and SVG). */
export function renderSequenceTuneReport(result: SequenceTuneResult): string {
  const { config } = result;
  const metric = metricLabel(result);
  const { header, rows } = sequenceLeaderboard(result, 15);
  const c = result.compute;
  const failed = result.trials.filter((t) => t.error);
  const s = result.split;
  return `${pageHead(`NextBest tuning: ${result.name}`)}
<p class="meta">Started ${escapeXml(result.startedAt)} · ${result.seconds.toFixed(0)} s · ${escapeXml(config.model)}, ${escapeXml(config.search.strategy)} over ${result.trials.length} configurations, ${config.objective.seeds} seed(s) each · sessions: ${s.train.sessions.toLocaleString('en')} train, ${s.validation.sessions.toLocaleString('en')} validation, ${s.test.sessions.toLocaleString('en')} test · search cost ${c.runs} runs, ${c.epochs} epochs trained${c.reused ? ` (${c.reused} runs reused from the run log)` : ''}${failed.length ? ` · ${failed.length} configurations were not valid models` : ''}</p>
<h2>Tuned against the base options, on the test sessions</h2>
${finalSection(result)}
<h2>Leaderboard</h2>
<p>Ranked by the highest rung reached, then by validation ${escapeXml(metric)} there (mean over seeds). "Kept" is the epoch whose weights a run kept: the best validation NDCG@10. The base row shows what the base options set, and – where they keep the model's default.</p>
${htmlTable(header, rows)}
${result.rungs.length > 1 ? `<h2>Successive halving</h2>${htmlTable(['rung', 'epochs', 'trials', `best ${metric}`, 'promoted trials'], rungRows(result.rungs, result.trials, 4))}` : ''}
<h2>Each setting's effect</h2>
<p>Association of each setting with the validation score at each budget that at least 6 trials reached (descriptive, not causal; each setting is drawn independently of the others).</p>
${result.effects.map((e) => `<h3>After ${epochsLabel(e.budget)} (${e.trials} trials)</h3>${htmlTable(['setting', 'measure', 'value', 'trials', 'mean score by choice, best first'], effectRows(e.parameters, 4))}`).join('\n') || '<p>Fewer than 6 trials ran at every budget.</p>'}
<div class="charts">${curves(result, 3) ? `<figure>${curves(result, 3)}</figure>` : ''}</div>
${failed.length ? `<details><summary>configurations that were not valid models</summary><pre>${escapeXml(failed.map((t) => `trial ${t.index}: ${t.error?.message}`).join('\n'))}</pre></details>` : ''}
<details><summary>best options</summary><pre>${escapeXml(JSON.stringify(result.trials[result.best].options, null, 2))}</pre></details>
<details><summary>tuning config</summary><pre>${escapeXml(JSON.stringify(config, null, 2))}</pre></details>
</body></html>
`;
}
