/** `npm run bench`: every benchmark whose numbers appear in benchmarks/RESULTS.md, one after another. */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
for (const script of ['dqn-throughput.ts', 'cartpole-dqn.ts']) {
  console.log(`\n## ${script}\n`);
  execFileSync(process.execPath, [...process.execArgv, join(here, script)], { stdio: 'inherit' });
}
