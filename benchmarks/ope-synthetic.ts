/**
 * Bias, variance and relative MSE of every single-step estimator as the log grows from 1k to 1M rounds,
 * over 20 seeds, on synthetic bandit data with a known true value (OPE issue). Reward model: per-action
 * logistic regression on the context (the true model's family), fitted on the first 10,000 rounds of
 * each log, cross-fitted there. Usage: npx tsx benchmarks/ope-synthetic.ts [--seeds 20] [--max 1000000]
 */
import { ESTIMATORS, estimate, roundTerms } from '../src/evaluation/ope/estimators.ts';
import { fitRewardModel } from '../src/evaluation/ope/reward-model.ts';
import { syntheticBandit } from '../src/evaluation/ope/synthetic-bandit.ts';
import { writeResult } from './write-result.ts';

const args = process.argv.slice(2);
const seeds = Number(args[args.indexOf('--seeds') + 1] ?? 20) || 20;
const max = Number(args[args.indexOf('--max') + 1] ?? 1_000_000) || 1_000_000;
const sizes = [1_000, 10_000, 100_000, 1_000_000].filter((s) => s <= max);
const started = performance.now();
// Two settings: "easy" (5 actions, CTR ≈ 30%, softmax logging) and "obd-like" (34 actions, CTR ≈ 0.7%,
// uniform-random logging as in the Open Bandit Dataset, a sharp target policy).
const SCENARIOS = {
  easy: { actions: 5, baseLogit: -1, effectScale: 1, loggingSharpness: 2, targetSharpness: 6 },
  'obd-like': { actions: 34, baseLogit: -5, effectScale: 0.3, loggingSharpness: 0, targetSharpness: 300 },
  // As obd-like, with overlap close to the real Open Bandit logs (ESS ≈ 0.47 n here, 0.29–0.35 n there).
  'obd-overlap': { actions: 34, baseLogit: -5, effectScale: 0.3, loggingSharpness: 0, targetSharpness: 100 },
} as const;
const only = args.includes('--scenarios') ? args[args.indexOf('--scenarios') + 1].split(',') : null;

type Row = {
  scenario: string;
  size: number;
  estimator: string;
  bias: number;
  std: number;
  relativeBias: number;
  relativeRmse: number;
  meanRelativeError: number;
};
const rows: Row[] = [];
for (const [scenario, settings] of Object.entries(SCENARIOS).filter(([name]) => !only || only.includes(name)))
  for (const size of sizes) {
    const errors: Record<string, number[]> = Object.fromEntries(ESTIMATORS.map((e) => [e, []]));
    const truths: number[] = [];
    for (let seed = 1; seed <= seeds; seed++) {
      const data = syntheticBandit({ rounds: size, seed: 1000 * seed + size, ...settings });
      const { actions, contextSize: d, contexts } = data;
      const fitRounds = Math.min(size, 10_000);
      // Fit on a prefix, predict everywhere (the prefix itself cross-fitted inside fitRewardModel).
      const features = (i: number, a: number, out: Float64Array) => {
        out.fill(0);
        out[a] = 1;
        for (let j = 0; j < d; j++) out[actions + a * d + j] = contexts[i * d + j];
      };
      const prefix = fitRewardModel({
        rounds: fitRounds,
        actions,
        dimension: actions + actions * d,
        features,
        loggedActions: data.loggedActions.subarray(0, fitRounds),
        rewards: data.rewards.subarray(0, fitRounds),
        l2: 1,
        folds: 2,
        seed,
      });
      let rewardEstimates = prefix;
      if (size > fitRounds) {
        const full = fitRewardModel({
          rounds: size,
          actions,
          dimension: actions + actions * d,
          features,
          loggedActions: data.loggedActions,
          rewards: data.rewards,
          l2: 1,
          folds: 1,
          seed,
          trainRounds: fitRounds,
        });
        rewardEstimates = full;
        rewardEstimates.set(prefix);
      }
      const terms = roundTerms({ ...data, rewardEstimates });
      truths.push(data.truth);
      for (const name of ESTIMATORS) errors[name].push(estimate(name, terms) - data.truth);
    }
    const meanTruth = truths.reduce((a, b) => a + b, 0) / truths.length;
    for (const name of ESTIMATORS) {
      const e = errors[name];
      const bias = e.reduce((a, b) => a + b, 0) / e.length;
      const variance = e.reduce((a, b) => a + (b - bias) ** 2, 0) / (e.length - 1);
      const mse = e.reduce((a, b) => a + b * b, 0) / e.length;
      const meanRelativeError = e.reduce((a, b, k) => a + Math.abs(b) / truths[k], 0) / e.length;
      rows.push({
        scenario,
        size,
        estimator: name,
        bias,
        std: Math.sqrt(variance),
        relativeBias: bias / meanTruth,
        relativeRmse: Math.sqrt(mse) / meanTruth,
        meanRelativeError,
      });
    }
    console.error(
      `${scenario}: ${size.toLocaleString('en-US')} rounds, truth ${meanTruth.toFixed(4)} done (${((performance.now() - started) / 1000).toFixed(0)} s)`,
    );
  }
console.log(
  `| setting | rounds | estimator | bias (relative) | bias 95% CI contains 0 | std | relative RMSE | mean relative error |`,
);
console.log('|---|---:|---|---:|:---:|---:|---:|---:|');
for (const r of rows) {
  const halfWidth = (2.093 * r.std) / Math.sqrt(seeds); // t(19) at 95%
  console.log(
    `| ${r.scenario} | ${r.size.toLocaleString('en-US')} | ${r.estimator} | ${r.relativeBias >= 0 ? '+' : ''}${(100 * r.relativeBias).toFixed(2)}% | ${Math.abs(r.bias) <= halfWidth ? 'yes' : 'no'} | ${r.std.toExponential(2)} | ${r.relativeRmse.toFixed(4)} | ${r.meanRelativeError.toFixed(4)} |`,
  );
}
console.log(`\n${seeds} seeds per size; ${((performance.now() - started) / 1000).toFixed(0)} s in all.`);
writeResult('ope-synthetic', { seeds, rows });
