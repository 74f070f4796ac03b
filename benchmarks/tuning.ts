/**
 * Hyper-parameter search on a simulator (tuning issue): successive halving and random search draw the
 * same configurations from the config's space; each winner and the base config are then retrained on 5
 * fresh seeds the search never used. Reports, with 95% intervals over seeds:
 * - tuned (successive halving's winner) against the base config on the fresh seeds;
 * - successive halving's winner against random search's, and the compute each search spent
 *   (environment steps: training plus greedy evaluation episodes).
 * Both searches share one run log (content-addressed), so runs they have in common are trained once;
 * the compute figures still count every run each search used. The log makes the benchmark resumable.
 *
 *   node --experimental-wasm-relaxed-simd --import tsx benchmarks/tuning.ts \
 *     [--config configs/tune-cartpole.json] [--trials 27] [--workers 2]
 *     [--strategies successive-halving,random]   (one strategy: no comparison, only tuned vs base)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import { formatMeanCi, welchDifference } from '../src/evaluation/statistics.ts';
import { runTuning, type TuneResult } from '../src/experiments/tune.ts';
import { parseTuneConfig } from '../src/experiments/tune-config.ts';
import { renderTuneReport } from '../src/experiments/tune-report.ts';
import { flag } from './flags.ts';
import { writeResult } from './write-result.ts';

const configPath = flag('config', 'configs/tune-cartpole.json');
const trials = Number(flag('trials', '27'));
const workers = Number(flag('workers', String(availableParallelism())));
const strategies = flag('strategies', 'successive-halving,random').split(',') as Array<
  'successive-halving' | 'random'
>;
const name = basename(configPath, '.json');
const raw = JSON.parse(readFileSync(configPath, 'utf8'));
const outDir = join(import.meta.dirname, 'out');
const runs = join(outDir, `${name}-runs.jsonl`);

const results: Record<string, TuneResult> = {};
for (const strategy of strategies) {
  const checked = parseTuneConfig({ ...raw, search: { ...raw.search, strategy, trials } });
  const started = performance.now();
  let last = 0;
  results[strategy] = await runTuning(checked, {
    workers,
    runs,
    events: {
      onRunDone: (_id, label, run, finished, reused) => {
        if (performance.now() - last > 30_000 || finished % 20 === 0) {
          last = performance.now();
          console.error(
            `${strategy} [${finished}] ${label}: ${run.meanReturn.toFixed(1)}${reused ? ' (log)' : ''}`,
          );
        }
      },
    },
  });
  console.error(`${strategy}: ${((performance.now() - started) / 1000).toFixed(0)} s`);
  writeFileSync(join(outDir, `${name}-${strategy}.html`), renderTuneReport(results[strategy]));
}

const sh = results['successive-halving'];
const rs = results.random ?? sh;
const cost = (r: TuneResult) => r.compute.trainSteps + r.compute.evaluationSteps;
const fresh = (r: TuneResult) => r.validation?.best.map((x) => x.meanReturn) ?? [];
const versus = welchDifference(fresh(sh), fresh(rs));
const rows = [
  ['base config (untuned)', formatMeanCi(sh.validation?.baseReturn ?? ({} as never)), '–', '–'],
  ...[...new Set([sh, rs])].map((r) => [
    `${r.config.search.strategy} winner (trial ${r.best})`,
    formatMeanCi(r.validation?.bestReturn ?? ({} as never)),
    `${r.compute.runs} runs, ${r.compute.trainSteps.toLocaleString('en')} + ${r.compute.evaluationSteps.toLocaleString('en')}`,
    r.validation
      ? `${r.validation.difference.difference.toFixed(1)} [${r.validation.difference.lower.toFixed(1)}, ${r.validation.difference.upper.toFixed(1)}]${r.validation.separated ? (r.validation.difference.difference > 0 ? ' ▲ apart' : ' ▼ apart') : ''}`
      : '–',
  ]),
];
console.log(
  `${sh.config.name}: ${trials} configurations, ${sh.config.objective.seeds} seeds each; fresh seeds ${sh.validation?.seeds.join(', ')}`,
);
console.log(
  '| policy | greedy return on fresh seeds | search cost (training + evaluation steps) | Δ vs base [95% CI] |',
);
console.log('|---|---:|---:|---|');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
if (rs !== sh)
  console.log(
    `\nSuccessive halving / random search compute: ${(cost(sh) / cost(rs)).toFixed(3)}; winner difference (SH − random) ${versus.difference.toFixed(1)} [${versus.lower.toFixed(1)}, ${versus.upper.toFixed(1)}]`,
  );
console.log(`SH winner: ${JSON.stringify(sh.trials[sh.best].values)}`);
if (rs !== sh) console.log(`Random winner: ${JSON.stringify(rs.trials[rs.best].values)}`);
writeResult(name, {
  configPath,
  trials,
  successiveHalving: {
    best: sh.best,
    values: sh.trials[sh.best].values,
    compute: sh.compute,
    validation: sh.validation,
    rungs: sh.rungs,
    seconds: sh.seconds,
  },
  random: {
    best: rs.best,
    values: rs.trials[rs.best].values,
    compute: rs.compute,
    validation: rs.validation,
    seconds: rs.seconds,
  },
  computeRatio: cost(sh) / cost(rs),
  winnerDifference: versus,
});
