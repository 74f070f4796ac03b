/** `npm run bench`: every benchmark whose numbers appear in benchmarks/RESULTS.md, one after another. */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// About 20 minutes in all on 2 cores; ope-synthetic.ts alone takes about 11.
for (const script of [
  'dqn-throughput.ts',
  'cartpole-dqn.ts',
  'obd-ope.ts',
  'ope-speed.ts',
  'ope-sequential.ts',
  'ope-synthetic.ts',
]) {
  console.log(`\n## ${script}\n`);
  execFileSync(process.execPath, [...process.execArgv, join(here, script)], { stdio: 'inherit' });
}
