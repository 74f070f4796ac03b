import cliProgress from 'cli-progress';

export interface ProgressBar {
  update(value: number, payload?: Record<string, string | number>): void;
  /** The number of steps changed once known better (e.g. fewer runs than planned). */
  setTotal(total: number): void;
  stop(): void;
}

/**
 * A progress bar on stderr (stdout stays clean for --json). Silent when stderr is not a terminal or
 * when quiet is set, so CI logs and pipes get no control characters.
 */
export function progressBar(label: string, total: number, quiet = false): ProgressBar {
  if (quiet || !process.stderr.isTTY) return { update: () => {}, setTotal: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label.padEnd(28)} {bar} {percentage}% | {value}/{total} | {status}`,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { status: '' });
  return {
    update: (value, payload) => bar.update(value, { status: '', ...payload }),
    setTotal: (total) => bar.setTotal(total),
    stop: () => bar.stop(),
  };
}
