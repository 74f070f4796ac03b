import type { Summary } from '../evaluation/statistics.ts';
import { type Bar, barChart, escapeXml, type LineSeries, lineChart, PALETTE } from '../report/charts.ts';
import type { ExperimentResult } from './runner.ts';
import type { EntrySummary, EnvironmentSummary } from './summary.ts';

const fmt = (v: number, digits = 2) => (Number.isFinite(v) ? v.toFixed(digits) : '–');

function digitsFor(summary: Summary): number {
  const scale = Math.max(Math.abs(summary.mean), Math.abs(summary.halfWidth) || 0);
  return scale >= 100 ? 0 : scale >= 10 ? 1 : scale >= 1 ? 2 : 3;
}

export function meanCi(summary: Summary, format: 'percent' | 'number' = 'number'): string {
  if (summary.n === 0) return '–';
  if (format === 'percent') {
    const hw = Number.isFinite(summary.halfWidth) ? ` ± ${fmt(100 * summary.halfWidth, 1)}` : '';
    return `${fmt(100 * summary.mean, 1)}%${hw}`;
  }
  const d = digitsFor(summary);
  const hw = Number.isFinite(summary.halfWidth) ? ` ± ${fmt(summary.halfWidth, d)}` : '';
  return `${fmt(summary.mean, d)}${hw}`;
}

/** The difference against the best baseline as "+1.23 [0.80, 1.66]". */
export function versus(entry: EntrySummary): string {
  const v = entry.versusBestBaseline;
  if (!v) return entry.oracle ? 'oracle (reads latent truth)' : 'best baseline';
  const d = Math.max(Math.abs(v.difference), 1) >= 10 ? 1 : 2;
  const sign = v.difference >= 0 ? '+' : '−';
  const mark = v.separated ? (v.difference > 0 ? ' ▲' : ' ▼') : '';
  return `${sign}${fmt(Math.abs(v.difference), d)} [${fmt(v.lower, d)}, ${fmt(v.upper, d)}]${mark}`;
}

function colorOf(environment: EnvironmentSummary, name: string): string {
  return PALETTE[environment.entries.findIndex((e) => e.name === name) % PALETTE.length];
}

function table(environment: EnvironmentSummary): string {
  const keys = Object.keys(environment.metricLabels);
  const head = [
    'policy',
    'kind',
    'return per episode',
    ...keys.map((k) => environment.metricLabels[k].label),
  ];
  head.push(`vs best baseline (${environment.bestBaseline ?? 'none'}): Δ return [95% CI]`);
  const rows = environment.entries.map((entry) => {
    const cells = [
      `<span class="swatch" style="background:${colorOf(environment, entry.name)}"></span>${escapeXml(entry.name)}`,
      entry.oracle ? 'oracle' : entry.kind === 'agent' ? 'learned' : 'baseline',
      meanCi(entry.return),
      ...keys.map((k) => meanCi(entry.metrics[k], environment.metricLabels[k].format)),
      escapeXml(versus(entry)),
    ];
    return `<tr>${cells.map((c, i) => `<td${i >= 2 ? ' class="num"' : ''}>${c}</td>`).join('')}</tr>`;
  });
  return `<table><thead><tr>${head.map((h) => `<th>${escapeXml(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function curves(
  environment: EnvironmentSummary,
  pick: 'return' | 'loss' | 'cumulative',
  title: string,
  yLabel: string,
): string {
  const agents = environment.entries.filter((e) => e.kind === 'agent' && e.curve.length > 0);
  if (agents.length === 0) return '';
  const series: LineSeries[] = agents.map((entry) => ({
    name: entry.name,
    color: colorOf(environment, entry.name),
    points: entry.curve.map((p) => ({
      x: p.step,
      y: p[pick].mean,
      lower: p[pick].lower,
      upper: p[pick].upper,
    })),
  }));
  if (pick === 'return') {
    // Baselines do not train: their greedy return is a flat reference over the same steps.
    const last = Math.max(...agents.map((a) => a.curve.at(-1)?.step ?? 0));
    for (const entry of environment.entries.filter((e) => e.kind === 'baseline')) {
      series.push({
        name: `${entry.name} (fixed)`,
        color: colorOf(environment, entry.name),
        dashed: true,
        points: [0, last].map((x) => ({
          x,
          y: entry.return.mean,
          lower: entry.return.lower,
          upper: entry.return.upper,
        })),
      });
    }
  }
  return lineChart(series, { title, xLabel: 'training steps', yLabel });
}

function bars(environment: EnvironmentSummary, key: string | null): string {
  const label = key === null ? 'greedy return per episode' : environment.metricLabels[key].label;
  const percent = key !== null && environment.metricLabels[key].format === 'percent';
  const scale = percent ? 100 : 1;
  const data: Bar[] = environment.entries.map((entry) => {
    const s = key === null ? entry.return : entry.metrics[key];
    return {
      name: entry.name,
      value: s.mean * scale,
      lower: s.lower * scale,
      upper: s.upper * scale,
      color: colorOf(environment, entry.name),
    };
  });
  return barChart(data, {
    title: `${label} (mean, 95% CI over seeds)`,
    yLabel: percent ? `${label} (%)` : label,
  });
}

function section(environment: EnvironmentSummary, result: ExperimentResult): string {
  const charts = [
    curves(environment, 'return', `${environment.id}: training return per episode`, 'return (windowed mean)'),
    curves(environment, 'cumulative', `${environment.id}: cumulative training reward`, 'reward collected'),
    curves(environment, 'loss', `${environment.id}: TD loss`, 'mean training loss'),
    bars(environment, null),
    ...Object.keys(environment.metricLabels).map((k) => bars(environment, k)),
  ].filter((c) => c !== '');
  const entries = result.config.environments.find((e) => e.id === environment.id)?.entries ?? [];
  return `<section id="${escapeXml(environment.id)}">
<h2>${escapeXml(environment.id)}</h2>
<p>Greedy policies after training, evaluated on ${result.config.evaluationEpisodes} episodes per seed (the same episodes for every entry with that seed); intervals are 95% Student-t over ${result.config.seeds} seeds (Welch for differences). ▲ (▼) marks an entry whose interval lies wholly above (below) the best baseline's. Oracles read the simulator's latent state and are not baselines a shop could run.</p>
${table(environment)}
<div class="charts">${charts.map((c) => `<figure>${c}</figure>`).join('\n')}</div>
<details><summary>environment options and entries</summary><pre>${escapeXml(JSON.stringify({ options: environment.options, entries }, null, 2))}</pre></details>
</section>`;
}

/** The reports' shared look: inline CSS, so a page works offline and as an attachment. */
export const REPORT_STYLE = `<style>
body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:16px;color:#222}
h1{font-size:1.5em;margin:.2em 0} h2{border-bottom:2px solid #eee;padding-bottom:4px;margin-top:2em}
table{border-collapse:collapse;width:100%;font-size:13px;display:block;overflow-x:auto}
th,td{border-bottom:1px solid #e5e5e5;padding:5px 8px;text-align:left;white-space:nowrap}
th{background:#fafafa} td.num{text-align:right;font-variant-numeric:tabular-nums}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(480px,1fr));gap:12px}
figure{margin:0;border:1px solid #eee;border-radius:6px;overflow:hidden}
.meta{color:#555} pre{background:#f6f6f6;padding:8px;overflow-x:auto;font-size:12px}
@media (max-width:600px){.charts{grid-template-columns:1fr}}
</style>`;

/** The opening of a report page up to its <h1>: doctype, viewport, title, style. */
export function pageHead(title: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(title)}</title>
${REPORT_STYLE}</head>
<body>
<h1>${escapeXml(title)}</h1>`;
}

/** A self-contained HTML page (inline CSS and SVG, no scripts, nothing fetched). */
export function renderReport(result: ExperimentResult): string {
  const title = `NextBest experiment: ${result.name}`;
  return `${pageHead(title)}
<p class="meta">Started ${escapeXml(result.startedAt)} · ${fmt(result.seconds, 0)} s on ${result.workers} worker thread(s) · ${result.config.seeds} seeds per entry · ${result.config.evaluationEpisodes} evaluation episodes per seed${result.config.seeds < 5 ? ' · <strong>fewer than 5 seeds: intervals are wide</strong>' : ''}</p>
<nav>${result.summary.map((e) => `<a href="#${escapeXml(e.id)}">${escapeXml(e.id)}</a>`).join(' · ')}</nav>
${result.summary.map((environment) => section(environment, result)).join('\n')}
<details><summary>experiment config</summary><pre>${escapeXml(JSON.stringify(result.config, null, 2))}</pre></details>
</body></html>
`;
}
