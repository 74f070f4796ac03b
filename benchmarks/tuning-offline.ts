/**
 * Offline tuning checked against the simulator (tuning issue, item 3). Every configuration is trained
 * on a log the ecommerce simulator wrote under ε-soft most-popular, never in the simulator itself.
 * Two searches draw the same configurations:
 * - offline: ranked by the off-policy estimate's lower bound on held-out logged episodes (what a shop
 *   with only a log can do), by random search and by successive halving;
 * - online: ranked by each trained configuration's true return when the simulator plays it (what an
 *   A/B test of every configuration would find), from random search's full-budget runs.
 * Then each pick, and the base config, is retrained on 5 fresh seeds the searches never used (each
 * seed writes its own log) and played in the simulator. The claim checked: the offline pick's true
 * return lies within the 95% interval of the online best's.
 *
 *   node --experimental-wasm-relaxed-simd --import tsx benchmarks/tuning-offline.ts \
 *     [--config configs/tune-ecommerce-offline.json] [--trials 27] [--workers 2]
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import { formatMeanCi, type Summary, summarize, welchDifference } from '../src/evaluation/statistics.ts';
import { runJobs } from '../src/experiments/runner.ts';
import {
  type RunSummary,
  runTuning,
  summaryOf,
  type TuneResult,
  trueReturnOf,
  tuningJob,
} from '../src/experiments/tune.ts';
import { parseTuneConfig } from '../src/experiments/tune-config.ts';
import { renderTuneReport } from '../src/experiments/tune-report.ts';
import { flag } from './flags.ts';
import { writeResult } from './write-result.ts';

const configPath = flag('config', 'configs/tune-ecommerce-offline.json');
const trials = Number(flag('trials', '27'));
const workers = Number(flag('workers', String(availableParallelism())));
const name = basename(configPath, '.json');
const raw = JSON.parse(readFileSync(configPath, 'utf8'));
const outDir = join(import.meta.dirname, 'out');
const runs = join(outDir, `${name}-runs.jsonl`);
mkdirSync(outDir, { recursive: true });
const started = performance.now();

const search = async (strategy: 'random' | 'successive-halving') => {
  // Validation is done below for every pick alike, on the same fresh seeds.
  const checked = parseTuneConfig({
    ...raw,
    search: { ...raw.search, strategy, trials },
    validation: { ...raw.validation, seeds: 0 },
  });
  const t = performance.now();
  let last = 0;
  const result = await runTuning(checked, {
    workers,
    runs,
    events: {
      onRunDone: (_id, label, run, finished, reused) => {
        if (performance.now() - last > 30_000 || finished % 20 === 0) {
          last = performance.now();
          console.error(
            `${strategy} [${finished}] ${label}: estimate ${run.meanReturn.toFixed(3)}, true ${trueReturnOf(run).toFixed(3)}${reused ? ' (log)' : ''}`,
          );
        }
      },
    },
  });
  console.error(`${strategy}: ${((performance.now() - t) / 1000).toFixed(0)} s`);
  writeFileSync(join(outDir, `${name}-${strategy}.html`), renderTuneReport(result));
  return result;
};

const random = await search('random');
const halving = await search('successive-halving');
const config = random.config;
// The searches ran without validation; the fresh seeds are the config's own.
const validation = parseTuneConfig(raw).config.validation;

// The online search over the same draws: the best mean true return at the full budget.
const fullBudget = (r: TuneResult, t: number) => r.trials[t].rungs.find((g) => g.budget === config.steps);
const truthAtFull = (r: TuneResult, t: number) => {
  const rung = fullBudget(r, t);
  return rung ? summarize(rung.runs.map(trueReturnOf)) : undefined;
};
const ran = random.trials.filter((t) => fullBudget(random, t.index)).map((t) => t.index);
const onlineBest = ran.reduce((a, b) =>
  (truthAtFull(random, b)?.mean ?? -Infinity) > (truthAtFull(random, a)?.mean ?? -Infinity) ? b : a,
);
const rankOfTruth = (t: number) =>
  [...ran]
    .sort((a, b) => (truthAtFull(random, b)?.mean ?? 0) - (truthAtFull(random, a)?.mean ?? 0))
    .indexOf(t) + 1;

// Fresh seeds: every pick and the base config, retrained on logs the searches never saw.
const picks: Array<{ label: string; trial: number | null }> = [
  { label: `offline pick, random search (trial ${random.best})`, trial: random.best },
  { label: `offline pick, successive halving (trial ${halving.best})`, trial: halving.best },
  { label: `online best (trial ${onlineBest})`, trial: onlineBest },
  { label: 'base config (untuned)', trial: null },
];
const distinct = [...new Map(picks.map((p) => [p.trial, p])).values()];
const seeds = Array.from({ length: validation.seeds }, (_, s) => validation.firstSeed + s);
const evaluation = {
  evaluationEpisodes: validation.evaluationEpisodes,
  evaluationSeed: validation.evaluationSeed,
};
const jobs = distinct.flatMap((p) =>
  seeds.map((seed) =>
    tuningJob(
      config,
      `${p.label} · seed ${seed}`,
      p.trial === null ? config.agent : random.trials[p.trial].agent,
      config.steps,
      seed,
      evaluation,
    ),
  ),
);
const fresh: RunSummary[] = new Array(jobs.length);
await runJobs(jobs, workers, {}, (i, result) => {
  fresh[i] = summaryOf(result);
});
const freshOf = (trial: number | null) => {
  const k = distinct.findIndex((p) => p.trial === trial);
  return fresh.slice(k * seeds.length, (k + 1) * seeds.length);
};
const truth = (trial: number | null) => summarize(freshOf(trial).map(trueReturnOf));
const estimate = (trial: number | null) => summarize(freshOf(trial).map((r) => r.meanReturn));
const online = truth(onlineBest);
const within = (s: Summary) => s.mean >= online.lower && s.mean <= online.upper;
const logged = summarize(freshOf(null).map((r) => r.offline?.logged ?? Number.NaN));

console.log(
  `${config.name}: ${trials} configurations, ${config.objective.seeds} search seeds; fresh seeds ${seeds.join(', ')} (${validation.evaluationEpisodes} simulator episodes each)`,
);
console.log(
  "| configuration | search: how it ranks | fresh seeds: off-policy estimate | fresh seeds: true return | Δ true vs online best [95% CI] | within the online best's CI |",
);
console.log('|---|---|---:|---:|---|---|');
for (const p of picks) {
  const t = truth(p.trial);
  const d = welchDifference(freshOf(p.trial).map(trueReturnOf), freshOf(onlineBest).map(trueReturnOf));
  const rank =
    p.trial === null
      ? '–'
      : `true-return rank ${rankOfTruth(p.trial)} of ${ran.length}; search estimate ${formatMeanCi(random.trials[p.trial].rungs.at(-1)?.score ?? summarize([Number.NaN]), 3)}`;
  console.log(
    `| ${p.label} | ${rank} | ${formatMeanCi(estimate(p.trial), 3)} | ${formatMeanCi(t, 3)} | ${p.trial === onlineBest ? '–' : `${d.difference.toFixed(3)} [${d.lower.toFixed(3)}, ${d.upper.toFixed(3)}]`} | ${p.trial === onlineBest ? '–' : within(t) ? 'yes' : 'no'} |`,
  );
}
console.log(
  `| behaviour policy, on the held-out logs | – | – | ${formatMeanCi(logged, 3)} (logged) | – | – |`,
);
const cost = (r: TuneResult) => r.compute.trainSteps + r.compute.evaluationSteps;
console.log(
  `\nSearch cost (transitions trained on + held-out steps scored): random ${cost(random).toLocaleString('en')}, successive halving ${cost(halving).toLocaleString('en')} (ratio ${(cost(halving) / cost(random)).toFixed(3)})`,
);
console.log(`Offline pick (random): ${JSON.stringify(random.trials[random.best].values)}`);
console.log(`Offline pick (SH): ${JSON.stringify(halving.trials[halving.best].values)}`);
console.log(`Online best: ${JSON.stringify(random.trials[onlineBest].values)}`);
console.log(`${((performance.now() - started) / 1000).toFixed(0)} s`);
writeResult(name, {
  configPath,
  trials,
  seeds,
  onlineBest,
  picks: picks.map((p) => ({
    ...p,
    values: p.trial === null ? null : random.trials[p.trial].values,
    trueReturn: truth(p.trial),
    estimate: estimate(p.trial),
    withinOnlineBestCi: within(truth(p.trial)),
  })),
  search: {
    random: { best: random.best, compute: random.compute, seconds: random.seconds },
    successiveHalving: { best: halving.best, compute: halving.compute, seconds: halving.seconds },
    trueReturnAtFullBudget: Object.fromEntries(ran.map((t) => [t, truthAtFull(random, t)])),
  },
});
