/**
 * Sequential off-policy estimators on logs exported from a simulator (OPE issue): the slippery chain
 * (5 states, slip 0.2, γ = 0.9), a uniformly random behaviour policy, and a forward-leaning target
 * policy (P(forward) = 0.8), logged with collectEpisodes(). The truth is exact: finite-horizon dynamic
 * programming on the known model (chainPolicyEvaluation). DR gets two models: the exact Q^π, and a wrong
 * one (0.5·Q + 3) — DR must stay unbiased with either. 20 seeds per size.
 * Usage: npx tsx benchmarks/ope-sequential.ts [--seeds 20]
 */
import { UniformRandomPolicy } from '../src/agents/random-policy.ts';
import { ChainEnvironment, chainModelEstimates, chainPolicyEvaluation } from '../src/environments/chain.ts';
import { type SequentialEstimatorName, sequentialEstimate } from '../src/evaluation/ope/sequential.ts';
import { collectEpisodes } from '../src/training/collect-episodes.ts';
import { writeResult } from './write-result.ts';

const args = process.argv.slice(2);
const seeds = Number(args[args.indexOf('--seeds') + 1] ?? 20) || 20;
const gamma = 0.9;
const slip = 0.2;
const TARGET = [0.2, 0.8] as const;

const target = { distribution: () => Float64Array.from(TARGET) };

const rows: Array<Record<string, string | number>> = [];
const started = performance.now();
for (const horizon of [5, 10]) {
  const oracle = chainPolicyEvaluation({ slip }, () => TARGET, gamma, horizon);
  const truth = oracle.startValue;
  for (const episodes of [100, 1_000, 10_000, 100_000]) {
    const errors: Record<string, number[]> = {
      pdis: [],
      wpdis: [],
      'dr (wrong model)': [],
      'wdr (wrong model)': [],
      'dr (exact model)': [],
    };
    for (let seed = 1; seed <= seeds; seed++) {
      const logs = collectEpisodes({
        environment: new ChainEnvironment({ slip, maxSteps: horizon }),
        behaviour: new UniformRandomPolicy(2, seed),
        target,
        episodes,
        seed: 7919 * seed + episodes,
      });
      const { qEstimates: q, vEstimates: v } = chainModelEstimates(oracle, logs);
      const data = { ...logs, targetPropensities: logs.targetPropensities!, gamma };
      const wrong = { qEstimates: q.map((x) => 0.5 * x + 3), vEstimates: v.map((x) => 0.5 * x + 3) };
      const run = (name: SequentialEstimatorName, extra = {}) =>
        sequentialEstimate(name, { ...data, ...extra }) - truth;
      errors.pdis.push(run('pdis'));
      errors.wpdis.push(run('wpdis'));
      errors['dr (wrong model)'].push(run('dr', wrong));
      errors['wdr (wrong model)'].push(run('wdr', wrong));
      errors['dr (exact model)'].push(run('dr', { qEstimates: q, vEstimates: v }));
    }
    for (const [name, e] of Object.entries(errors)) {
      const bias = e.reduce((a, b) => a + b, 0) / e.length;
      const std = Math.sqrt(e.reduce((a, b) => a + (b - bias) ** 2, 0) / (e.length - 1));
      const rmse = Math.sqrt(e.reduce((a, b) => a + b * b, 0) / e.length);
      const halfWidth = (2.093 * std) / Math.sqrt(e.length);
      rows.push({
        horizon,
        episodes,
        estimator: name,
        relativeBias: bias / truth,
        biasCiContainsZero: Math.abs(bias) <= halfWidth ? 'yes' : 'no',
        relativeRmse: rmse / truth,
        meanRelativeError: e.reduce((a, b) => a + Math.abs(b), 0) / e.length / truth,
      });
    }
    console.error(
      `horizon ${horizon}, ${episodes.toLocaleString('en-US')} episodes (truth ${truth.toFixed(4)}) done at ${((performance.now() - started) / 1000).toFixed(0)} s`,
    );
  }
}
console.log(
  '| horizon | episodes | estimator | bias (relative) | bias 95% CI contains 0 | relative RMSE | mean relative error |',
);
console.log('|---:|---:|---|---:|:---:|---:|---:|');
for (const r of rows) {
  const b = r.relativeBias as number;
  console.log(
    `| ${r.horizon} | ${(r.episodes as number).toLocaleString('en-US')} | ${r.estimator} | ${b >= 0 ? '+' : ''}${(100 * b).toFixed(2)}% | ${r.biasCiContainsZero} | ${(r.relativeRmse as number).toFixed(4)} | ${(r.meanRelativeError as number).toFixed(4)} |`,
  );
}
console.log(`\n${seeds} seeds per size; ${((performance.now() - started) / 1000).toFixed(0)} s in all.`);
writeResult('ope-sequential', { seeds, rows });
