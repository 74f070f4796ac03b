import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { intFlag, readJson, shownPath } from '../args.ts';

/**
 * Write a search's results.json and HTML report under `out`, then print its JSON summary (`--json`)
 * or its text summary and where the files went.
 */
export function finishTune(options: {
  out: string;
  runs: string;
  result: unknown;
  html: string;
  json: boolean;
  summary: () => unknown;
  text: () => string;
}): void {
  const { out, runs } = options;
  writeFileSync(join(out, 'results.json'), `${JSON.stringify(options.result, null, 1)}\n`);
  writeFileSync(join(out, 'index.html'), options.html);
  if (options.json) {
    console.log(JSON.stringify(options.summary()));
    return;
  }
  console.log(options.text());
  console.log(
    `Report: ${shownPath(join(out, 'index.html'))}  (data: ${shownPath(join(out, 'results.json'))}, run log: ${shownPath(runs)})`,
  );
}

/** A tuning config file with --strategy and --trials laid over its `search` section. */
export function readTuneConfig(
  path: string,
  f: { strategy?: string; trials?: string },
  defaultTrials: number,
): Record<string, unknown> {
  const raw = readJson(path, 'tuning config') as Record<string, unknown>;
  if (f.strategy !== undefined || f.trials !== undefined) {
    const search = { ...((raw.search as Record<string, unknown>) ?? {}) };
    if (f.strategy !== undefined) search.strategy = f.strategy;
    if (f.trials !== undefined) search.trials = intFlag('trials', f.trials, defaultTrials, 1);
    raw.search = search;
  }
  return raw;
}
