/**
 * Small, dependency-free SVG charts for self-contained HTML reports and benchmark figures: line charts
 * with shaded 95% CI bands, and bar charts with error bars. Output is a string; nothing is fetched.
 */

export const PALETTE = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#9467bd',
  '#ff7f0e',
  '#17becf',
  '#8c564b',
  '#e377c2',
];

export interface LinePoint {
  x: number;
  y: number;
  lower?: number;
  upper?: number;
}

export interface LineSeries {
  name: string;
  points: LinePoint[];
  color?: string;
  dashed?: boolean;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
  /** A horizontal reference line (e.g. a "solved" threshold). */
  threshold?: { y: number; label: string };
  yMin?: number;
  yMax?: number;
}

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Round, human steps for an axis from lo to hi (also the dashboard's interval charts). */
export function ticks(lo: number, hi: number, count = 5): number[] {
  const span = hi - lo || Math.abs(hi) || 1;
  const raw = span / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
    out.push(Number(v.toPrecision(12)));
  return out;
}

/** A tick's text: 1.5M, 12k, 250, 0.125. */
export function label(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toFixed(a >= 1e7 ? 0 : 1)}M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(0)}k`;
  if (a >= 100 || v === Math.round(v)) return v.toFixed(0);
  return v.toPrecision(3).replace(/\.?0+$/, '');
}

function frame(options: ChartOptions, legend: Array<{ name: string; color: string; dashed?: boolean }>) {
  const width = options.width ?? 720;
  const height = options.height ?? 380;
  const m = { left: 64, right: 190, top: 40, bottom: 48 };
  const head = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${escapeXml(options.title)}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${(m.left + width - m.right) / 2}" y="22" text-anchor="middle" font-size="15" font-weight="600">${escapeXml(options.title)}</text>`,
    `<text x="${(m.left + width - m.right) / 2}" y="${height - 8}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`,
    `<text transform="translate(16 ${(m.top + height - m.bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(options.yLabel)}</text>`,
  ];
  legend.forEach((item, i) => {
    const y = m.top + 8 + i * 20;
    head.push(
      `<line x1="${width - m.right + 12}" x2="${width - m.right + 36}" y1="${y}" y2="${y}" stroke="${item.color}" stroke-width="3"${item.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      `<text x="${width - m.right + 42}" y="${y + 4}">${escapeXml(item.name)}</text>`,
    );
  });
  return { width, height, m, head };
}

/** Horizontal grid lines with their labels on the y axis (the zero line darker). */
function yGrid(lo: number, hi: number, left: number, right: number, y: (v: number) => number): string[] {
  return ticks(lo, hi).flatMap((t) => [
    `<line x1="${left}" x2="${right}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="${t === 0 ? '#888' : '#eee'}"/>`,
    `<text x="${left - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end">${label(t)}</text>`,
  ]);
}

/**
 * The y range over `ys` (zero included, 5% headroom, options' bounds kept) and the two pixel mappings
 * of a plot frame.
 */
function plotScales(
  ys: number[],
  options: ChartOptions,
  plot: {
    xMin: number;
    xMax: number;
    width: number;
    height: number;
    m: { left: number; right: number; top: number; bottom: number };
  },
) {
  const { xMin, xMax, width, height, m } = plot;
  let yMin = options.yMin ?? Math.min(0, ...ys);
  let yMax = options.yMax ?? Math.max(...ys, yMin + 1e-9);
  if (yMax - yMin < 1e-9) {
    yMax += 1;
    yMin -= yMin === 0 ? 0 : 1;
  }
  const pad = (yMax - yMin) * 0.05;
  if (options.yMax === undefined) yMax += pad;
  if (options.yMin === undefined && yMin < 0) yMin -= pad;
  const x = (v: number) => m.left + ((v - xMin) / (xMax - xMin)) * (width - m.left - m.right);
  const y = (v: number) => height - m.bottom - ((v - yMin) / (yMax - yMin)) * (height - m.top - m.bottom);
  return { yMin, yMax, x, y };
}

export function lineChart(series: LineSeries[], options: ChartOptions): string {
  const colored = series.map((s, i) => ({ ...s, color: s.color ?? PALETTE[i % PALETTE.length] }));
  const { width, height, m, head } = frame(options, colored);
  const points = colored.flatMap((s) => s.points).filter((p) => Number.isFinite(p.y));
  const ys = points.flatMap((p) => [p.y, p.lower ?? p.y, p.upper ?? p.y]).filter(Number.isFinite);
  if (options.threshold) ys.push(options.threshold.y);
  const xs = points.map((p) => p.x);
  const xMin = Math.min(0, ...xs);
  const xMax = Math.max(1, ...xs);
  const { yMin, yMax, x, y } = plotScales(ys, options, { xMin, xMax, width, height, m });
  const parts = [...head, ...yGrid(yMin, yMax, m.left, width - m.right, y)];
  for (const t of ticks(xMin, xMax)) {
    parts.push(
      `<text x="${x(t).toFixed(1)}" y="${height - m.bottom + 18}" text-anchor="middle">${label(t)}</text>`,
    );
  }
  parts.push(
    `<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${height - m.bottom}" stroke="#333"/>`,
    `<line x1="${m.left}" x2="${width - m.right}" y1="${height - m.bottom}" y2="${height - m.bottom}" stroke="#333"/>`,
  );
  if (options.threshold) {
    const ty = y(options.threshold.y).toFixed(1);
    parts.push(
      `<line x1="${m.left}" x2="${width - m.right}" y1="${ty}" y2="${ty}" stroke="#999" stroke-dasharray="6 4"/>`,
      `<text x="${m.left + 6}" y="${Number(ty) - 5}" fill="#666">${escapeXml(options.threshold.label)}</text>`,
    );
  }
  for (const s of colored) {
    const valid = s.points.filter((p) => Number.isFinite(p.y));
    const banded = valid.filter((p) => Number.isFinite(p.lower) && Number.isFinite(p.upper));
    if (banded.length > 1) {
      const upper = banded.map((p) => `${x(p.x).toFixed(1)},${y(p.upper as number).toFixed(1)}`);
      const lower = banded.map((p) => `${x(p.x).toFixed(1)},${y(p.lower as number).toFixed(1)}`).reverse();
      parts.push(
        `<polygon class="band" points="${[...upper, ...lower].join(' ')}" fill="${s.color}" fill-opacity="0.15" stroke="none"/>`,
      );
    }
    if (valid.length > 0) {
      const d = valid
        .map((p, j) => `${j === 0 ? 'M' : 'L'}${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`)
        .join(' ');
      parts.push(
        `<path class="series" data-name="${escapeXml(s.name)}" d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      );
    }
  }
  parts.push('</svg>');
  return parts.join('\n');
}

export interface Bar {
  name: string;
  value: number;
  lower?: number;
  upper?: number;
  color?: string;
}

/** Vertical bars with 95% CI whiskers; values may be negative. */
export function barChart(bars: Bar[], options: Omit<ChartOptions, 'xLabel'> & { xLabel?: string }): string {
  const colored = bars.map((b, i) => ({ ...b, color: b.color ?? PALETTE[i % PALETTE.length] }));
  const { width, height, m, head } = frame({ xLabel: '', ...options }, []);
  const right = 24;
  const ys = colored
    .flatMap((b) => [b.value, b.lower ?? b.value, b.upper ?? b.value])
    .filter(Number.isFinite);
  let yMin = Math.min(0, ...ys);
  let yMax = Math.max(0, ...ys);
  if (yMax - yMin < 1e-12) yMax = yMin + 1;
  const pad = (yMax - yMin) * 0.08;
  yMax += yMax > 0 ? pad : 0;
  yMin -= yMin < 0 ? pad : 0;
  const plotRight = width - right;
  const y = (v: number) => height - m.bottom - ((v - yMin) / (yMax - yMin)) * (height - m.top - m.bottom);
  const parts = [...head, ...yGrid(yMin, yMax, m.left, plotRight, y)];
  const slot = (plotRight - m.left) / Math.max(1, colored.length);
  colored.forEach((b, i) => {
    const cx = m.left + slot * (i + 0.5);
    const w = Math.min(60, slot * 0.6);
    const top = y(Math.max(0, b.value));
    const bottom = y(Math.min(0, b.value));
    parts.push(
      `<rect class="bar" data-name="${escapeXml(b.name)}" x="${(cx - w / 2).toFixed(1)}" y="${top.toFixed(1)}" width="${w.toFixed(1)}" height="${Math.max(0.5, bottom - top).toFixed(1)}" fill="${b.color}" fill-opacity="0.85"/>`,
      `<text x="${cx.toFixed(1)}" y="${height - m.bottom + 16}" text-anchor="middle">${escapeXml(b.name)}</text>`,
    );
    if (Number.isFinite(b.lower) && Number.isFinite(b.upper)) {
      const lo = y(b.lower as number);
      const hi = y(b.upper as number);
      parts.push(
        `<path d="M${cx.toFixed(1)},${lo.toFixed(1)} V${hi.toFixed(1)} M${(cx - 6).toFixed(1)},${lo.toFixed(1)} h12 M${(cx - 6).toFixed(1)},${hi.toFixed(1)} h12" stroke="#222" stroke-width="1.5"/>`,
      );
    }
  });
  parts.push(
    `<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${height - m.bottom}" stroke="#333"/>`,
    '</svg>',
  );
  return parts.join('\n');
}

export interface ScatterGroup {
  name: string;
  points: LinePoint[];
  color?: string;
}

/**
 * Points with optional vertical 95% CI whiskers, in legend groups: a hyper-parameter's value against
 * the score it earned. `logX` spaces the x axis logarithmically (learning rates); `xCategories` puts
 * point x = i at the category label i (choices such as network sizes), jittered so points do not hide.
 */
export function scatterChart(
  groups: ScatterGroup[],
  options: ChartOptions & { logX?: boolean; xCategories?: string[] },
): string {
  const colored = groups.map((g, i) => ({ ...g, color: g.color ?? PALETTE[i % PALETTE.length] }));
  const { width, height, m, head } = frame(options, colored);
  const points = colored.flatMap((g) => g.points).filter((p) => Number.isFinite(p.y) && Number.isFinite(p.x));
  // The axis fits the points; whiskers (which with few seeds can be very long) are cut at the frame.
  const ys = points.map((p) => p.y);
  const categories = options.xCategories;
  const tx = (v: number) => (options.logX ? Math.log10(v) : v);
  const xs = points.map((p) => tx(p.x));
  let xMin = categories ? -0.5 : Math.min(...xs);
  let xMax = categories ? categories.length - 0.5 : Math.max(...xs);
  if (!(xMax > xMin)) {
    xMin -= 1;
    xMax += 1;
  }
  if (!categories) {
    const pad = (xMax - xMin) * 0.04;
    xMin -= pad;
    xMax += pad;
  }
  const { yMin, yMax, x, y } = plotScales(ys, options, { xMin, xMax, width, height, m });
  const parts = [...head, ...yGrid(yMin, yMax, m.left, width - m.right, y)];
  const xTicks = categories
    ? categories.map((name, i) => ({ at: i, text: name }))
    : options.logX
      ? ticks(xMin, xMax).map((t) => ({ at: t, text: label(10 ** t) }))
      : ticks(xMin, xMax).map((t) => ({ at: t, text: label(t) }));
  for (const t of xTicks) {
    if (t.at < xMin || t.at > xMax) continue;
    parts.push(
      `<text x="${x(t.at).toFixed(1)}" y="${height - m.bottom + 18}" text-anchor="middle">${escapeXml(t.text)}</text>`,
    );
  }
  parts.push(
    `<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${height - m.bottom}" stroke="#333"/>`,
    `<line x1="${m.left}" x2="${width - m.right}" y1="${height - m.bottom}" y2="${height - m.bottom}" stroke="#333"/>`,
  );
  for (const g of colored) {
    g.points.forEach((p, j) => {
      if (!Number.isFinite(p.y) || !Number.isFinite(p.x)) return;
      // Deterministic jitter within a category so equal choices stay visible side by side.
      const jitter = categories ? (((j * 0.618034) % 1) - 0.5) * 0.5 : 0;
      const cx = x(tx(p.x) + jitter);
      if (Number.isFinite(p.lower) && Number.isFinite(p.upper)) {
        const clamp = (v: number) => y(Math.min(yMax, Math.max(yMin, v))).toFixed(1);
        parts.push(
          `<path d="M${cx.toFixed(1)},${clamp(p.lower as number)} V${clamp(p.upper as number)}" stroke="${g.color}" stroke-opacity="0.45"/>`,
        );
      }
      parts.push(
        `<circle class="point" data-name="${escapeXml(g.name)}" cx="${cx.toFixed(1)}" cy="${y(p.y).toFixed(1)}" r="4" fill="${g.color}" fill-opacity="0.8"/>`,
      );
    });
  }
  parts.push('</svg>');
  return parts.join('\n');
}
