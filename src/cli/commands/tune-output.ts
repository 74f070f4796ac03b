import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { shownPath } from '../args.ts';

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
