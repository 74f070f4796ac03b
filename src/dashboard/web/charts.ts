import uPlot from 'uplot';
import { label, ticks } from '../../report/charts.ts';
import { h } from './dom.ts';

export interface LineSeries {
  label: string;
  values: Array<number | null>;
  color: string;
  /** Right-hand axis (a second scale). */
  right?: boolean;
  stepped?: boolean;
  dash?: number[];
  fill?: boolean;
}

export interface TimeChart {
  element: HTMLElement;
  destroy(): void;
}

const charts = new Set<{ plot: uPlot; host: HTMLElement }>();
let resizeHooked = false;

function hookResize(): void {
  if (resizeHooked) return;
  resizeHooked = true;
  let pending = 0;
  window.addEventListener('resize', () => {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(() => {
      for (const { plot, host } of charts) plot.setSize({ width: host.clientWidth, height: plot.height });
    });
  });
}

/**
 * A time chart (uPlot) of one or more series over Unix-second times. The figure carries data-points: the
 * number of non-empty values it draws, which the end-to-end tests read.
 */
export function timeChart(
  title: string,
  t: number[],
  series: LineSeries[],
  options: { format?: (v: number) => string; rightFormat?: (v: number) => string; height?: number } = {},
): TimeChart {
  const host = h('div', { class: 'plot' });
  const points = series[0].values.filter((v) => v !== null).length;
  const element = h(
    'figure',
    { class: 'chart', 'data-points': points, 'data-title': title },
    h('figcaption', {}, title),
    host,
  );
  const format = options.format ?? ((v: number) => String(v));
  const rightFormat = options.rightFormat ?? format;
  let plot: uPlot | null = null;
  let entry: { plot: uPlot; host: HTMLElement } | null = null;
  // Drawn once the figure is in the page and has a width.
  requestAnimationFrame(() => {
    if (!element.isConnected) return;
    const opts: uPlot.Options = {
      width: Math.max(host.clientWidth, 240),
      height: options.height ?? 200,
      scales: { x: { time: true }, y: { auto: true }, r: { auto: true } },
      series: [
        {},
        ...series.map(
          (s): uPlot.Series => ({
            label: s.label,
            stroke: s.color,
            width: 2,
            scale: s.right ? 'r' : 'y',
            ...(s.dash ? { dash: s.dash } : {}),
            ...(s.fill ? { fill: `${s.color}22` } : {}),
            ...(s.stepped && uPlot.paths.stepped ? { paths: uPlot.paths.stepped({ align: 1 }) } : {}),
            value: (_u, v) => (v === null || v === undefined ? '—' : (s.right ? rightFormat : format)(v)),
          }),
        ),
      ],
      axes: [
        { stroke: '#555', grid: { stroke: '#eee' } },
        {
          stroke: '#555',
          grid: { stroke: '#eee' },
          values: (_u, vals) => vals.map((v) => format(v)),
          size: 56,
        },
        ...(series.some((s) => s.right)
          ? [
              {
                side: 1,
                scale: 'r',
                stroke: '#555',
                grid: { show: false },
                values: (_u: uPlot, vals: number[]) => vals.map((v) => rightFormat(v)),
                size: 48,
              },
            ]
          : []),
      ],
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
    };
    plot = new uPlot(opts, [t, ...series.map((s) => s.values)] as uPlot.AlignedData, host);
    entry = { plot, host };
    charts.add(entry);
    hookResize();
  });
  return {
    element,
    destroy() {
      if (entry) charts.delete(entry);
      plot?.destroy();
    },
  };
}

/** Estimates with 95% intervals side by side (an SVG): one row per label, a dot and its interval. */
export function intervalChart(
  rows: Array<{
    label: string;
    estimate: { value: number; lower: number; upper: number };
    marker?: number;
    tone?: string;
  }>,
  options: { markerLabel?: string } = {},
): SVGSVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const el = <K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>) => {
    const node = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, String(v));
    return node;
  };
  const rowHeight = 26;
  const left = 110;
  const width = 640;
  const right = 20;
  const height = rows.length * rowHeight + 36;
  const values = rows.flatMap((r) => [
    r.estimate.lower,
    r.estimate.upper,
    ...(r.marker === undefined ? [] : [r.marker]),
  ]);
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (!(hi > lo)) {
    lo -= 1;
    hi += 1;
  }
  const pad = (hi - lo) * 0.05;
  lo -= pad;
  hi += pad;
  const x = (v: number) => left + ((v - lo) / (hi - lo)) * (width - left - right);
  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, class: 'intervals', role: 'img' });
  // Round values for the grid (0, 1, 2... rather than the padded ends' 0.0819, 1.08...).
  for (const v of ticks(lo, hi, 4)) {
    svg.append(el('line', { x1: x(v), x2: x(v), y1: 4, y2: height - 24, stroke: '#eee' }));
    const text = el('text', { x: x(v), y: height - 8, 'text-anchor': 'middle', class: 'tick' });
    text.textContent = label(v);
    svg.append(text);
  }
  rows.forEach((r, i) => {
    const y = 16 + i * rowHeight;
    const name = el('text', { x: left - 8, y: y + 4, 'text-anchor': 'end', class: 'label' });
    name.textContent = r.label;
    svg.append(name);
    const tone = r.tone ?? '#2563eb';
    svg.append(
      el('line', {
        x1: x(r.estimate.lower),
        x2: x(r.estimate.upper),
        y1: y,
        y2: y,
        stroke: tone,
        'stroke-width': 3,
      }),
    );
    svg.append(el('circle', { cx: x(r.estimate.value), cy: y, r: 5, fill: tone }));
    if (r.marker !== undefined) {
      const m = el('line', {
        x1: x(r.marker),
        x2: x(r.marker),
        y1: y - 8,
        y2: y + 8,
        stroke: '#111',
        'stroke-width': 2,
      });
      const tip = el('title', {});
      tip.textContent = `${options.markerLabel ?? 'marker'}: ${r.marker.toPrecision(4)}`;
      m.append(tip);
      svg.append(m);
    }
  });
  return svg;
}
