/**
 * Speed of the seven single-step estimators on 1,000,000 logged rounds × 10 actions, beside NumPy
 * computing the same formulas on the same arrays (OBP cannot be installed from Debian's packages).
 * Point estimates only; bootstrap intervals multiply both sides by the number of resamples.
 * Usage: npx tsx benchmarks/ope-speed.ts [--rounds 1000000]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESTIMATORS, estimate, roundTerms } from '../src/evaluation/ope/estimators.ts';
import { syntheticBandit } from '../src/evaluation/ope/synthetic-bandit.ts';
import { writeResult } from './write-result.ts';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const rounds = Number(args[args.indexOf('--rounds') + 1] ?? 1_000_000) || 1_000_000;
const actions = 10;
const repeats = 5;
const data = syntheticBandit({ rounds, seed: 1, actions });
// A fixed, imperfect reward model: the truth shrunk towards the mean.
const rewardEstimates = data.expectedRewards.map((v) => 0.8 * v + 0.05);
const input = { ...data, rewardEstimates };

function ours(): { seconds: number; values: Record<string, number> } {
  const run = () => {
    const terms = roundTerms(input);
    return Object.fromEntries(ESTIMATORS.map((e) => [e, estimate(e, terms)]));
  };
  run();
  const start = performance.now();
  let values = {};
  for (let i = 0; i < repeats; i++) values = run();
  return { seconds: (performance.now() - start) / 1000 / repeats, values };
}

const mine = ours();
const dir = mkdtempSync(join(tmpdir(), 'nextbest-ope-'));
writeFileSync(join(dir, 'actions.bin'), data.loggedActions);
writeFileSync(join(dir, 'rewards.bin'), data.rewards);
writeFileSync(join(dir, 'propensities.bin'), data.loggingPropensities);
writeFileSync(join(dir, 'target.bin'), data.targetProbabilities);
writeFileSync(join(dir, 'model.bin'), rewardEstimates);
let numpy: { numpy: string; seconds: number; values: Record<string, number> } | null = null;
try {
  const out = execFileSync(
    '/usr/bin/python3',
    [join(here, 'peers', 'numpy_ope.py'), dir, String(rounds), String(actions), String(repeats)],
    {
      encoding: 'utf8',
      env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' },
    },
  );
  numpy = JSON.parse(out.trim().split('\n').at(-1)!);
} catch (error) {
  console.error(`NumPy peer failed: ${(error as Error).message}`);
}
const agree = numpy
  ? ESTIMATORS.every((e) => Math.abs(numpy!.values[e] - (mine.values as Record<string, number>)[e]) < 1e-9)
  : false;
console.log(
  `| implementation | seconds for all 7 estimators on ${rounds.toLocaleString('en-US')} rounds × ${actions} actions | ratio |`,
);
console.log('|---|---:|---:|');
console.log(
  `| NextBest (TypeScript, typed arrays) | ${mine.seconds.toFixed(3)} | ${numpy ? (numpy.seconds / mine.seconds).toFixed(2) : '–'}× |`,
);
if (numpy) console.log(`| NumPy ${numpy.numpy}, same formulas | ${numpy.seconds.toFixed(3)} | 1.00× |`);
console.log(
  `\nValues agree to 1e-9: ${agree ? 'yes' : 'no'}. Ratio = NumPy time / our time (higher is faster).`,
);
writeResult('ope-speed', { rounds, actions, mine, numpy, agree });
