/** A dependency-free SVG line chart for benchmark results (reports get a real chart library later). */
export interface Series {
  name: string;
  points: Array<[number, number]>;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b'];

export function lineChart(
  title: string,
  series: Series[],
  options: { xLabel: string; yLabel: string; yMax?: number; threshold?: number },
): string {
  const width = 720;
  const height = 420;
  const m = { left: 60, right: 150, top: 40, bottom: 50 };
  const all = series.flatMap((s) => s.points);
  const xMax = Math.max(...all.map((p) => p[0]), 1);
  const yMax = options.yMax ?? Math.max(...all.map((p) => p[1]), 1);
  const x = (v: number) => m.left + (v / xMax) * (width - m.left - m.right);
  const y = (v: number) => height - m.bottom - (v / yMax) * (height - m.top - m.bottom);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">${title}</text>`,
  ];
  for (let i = 0; i <= 5; i++) {
    const yv = (yMax * i) / 5;
    parts.push(
      `<line x1="${m.left}" x2="${width - m.right}" y1="${y(yv)}" y2="${y(yv)}" stroke="#eee"/>`,
      `<text x="${m.left - 6}" y="${y(yv) + 4}" text-anchor="end">${Math.round(yv)}</text>`,
    );
    const xv = (xMax * i) / 5;
    parts.push(
      `<text x="${x(xv)}" y="${height - m.bottom + 18}" text-anchor="middle">${Math.round(xv).toLocaleString('en-US')}</text>`,
    );
  }
  parts.push(
    `<line x1="${m.left}" x2="${width - m.right}" y1="${y(0)}" y2="${y(0)}" stroke="#333"/>`,
    `<line x1="${m.left}" x2="${m.left}" y1="${y(0)}" y2="${y(yMax)}" stroke="#333"/>`,
    `<text x="${(m.left + width - m.right) / 2}" y="${height - 12}" text-anchor="middle">${options.xLabel}</text>`,
    `<text transform="translate(16 ${(m.top + height - m.bottom) / 2}) rotate(-90)" text-anchor="middle">${options.yLabel}</text>`,
  );
  if (options.threshold !== undefined) {
    parts.push(
      `<line x1="${m.left}" x2="${width - m.right}" y1="${y(options.threshold)}" y2="${y(options.threshold)}" stroke="#999" stroke-dasharray="6 4"/>`,
      `<text x="${m.left + 6}" y="${y(options.threshold) - 5}" fill="#666">threshold ${options.threshold}</text>`,
    );
  }
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const d = s.points
      .map((p, j) => `${j === 0 ? 'M' : 'L'}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`)
      .join(' ');
    parts.push(
      `<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`,
      `<text x="${width - m.right + 8}" y="${m.top + 20 + i * 18}" fill="${color}">${s.name}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}
