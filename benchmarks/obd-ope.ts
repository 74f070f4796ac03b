/**
 * Off-policy evaluation on the Open Bandit Dataset sample (issue: OPE), following the OBP paper's
 * protocol: estimate the CTR of the Bernoulli Thompson Sampling (BTS) policy from the uniform-random
 * logs, compare with BTS's on-policy CTR measured in its own logs of the same week.
 *
 * Data: ../shared/data/open-bandit (Apache-2.0 repository; cite Saito et al. 2021). Each row is one
 * impression (item, position, click); an action is an item, the position is context (as in OBP).
 * Evaluation policy π_e(item | position): BTS is context-free, so its distribution is estimated by the
 * item frequencies per position in its own 10,000 logged rounds. OBP instead simulates BTS from its
 * stored prior; we do not have that prior here, so this is our one departure from the protocol.
 * Reward model (DM and the DR family): cross-fitted L2 logistic regression on item, position, the four
 * user features (one-hot) and the user's affinity to the item.
 *
 * Usage: npx tsx benchmarks/obd-ope.ts [--resamples 1000] [--json]
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bootstrapInterval } from '../src/evaluation/ope/bootstrap.ts';
import { offPolicyEvaluate, overlapDiagnostics } from '../src/evaluation/ope/off-policy-evaluate.ts';
import { fitRewardModel } from '../src/evaluation/ope/reward-model.ts';
import { writeResult } from './write-result.ts';

const here = dirname(fileURLToPath(import.meta.url));
const dataDir = join(here, '..', '..', 'shared', 'data', 'open-bandit');
const args = process.argv.slice(2);
const resamples = Number(args[args.indexOf('--resamples') + 1] ?? 1000) || 1000;
// OBP's published small-sample relative errors (Saito et al. 2021, Table 2 setting).
const OBP: Record<string, number> = {
  dm: 0.157,
  ips: 0.311,
  snips: 0.312,
  dr: 0.292,
  sndr: 0.302,
  'switch-dr': 0.258,
  'dr-os': 0.16,
};

interface Log {
  items: number;
  item: Int32Array;
  position: Int32Array;
  click: Float64Array;
  propensity: Float64Array;
  userFeatures: string[][];
  affinity: Float64Array; // n × items
}

function readLog(policy: string, campaign: string): Log {
  const text = readFileSync(join(dataDir, policy, campaign, `${campaign}.csv`), 'utf8')
    .trim()
    .split('\n');
  const header = text[0].split(',');
  const col = (name: string) => header.indexOf(name);
  const affinityColumns = header
    .map((h, j) => (h.startsWith('user-item_affinity_') ? j : -1))
    .filter((j) => j >= 0);
  const n = text.length - 1;
  const items = affinityColumns.length;
  const log: Log = {
    items,
    item: new Int32Array(n),
    position: new Int32Array(n),
    click: new Float64Array(n),
    propensity: new Float64Array(n),
    userFeatures: [],
    affinity: new Float64Array(n * items),
  };
  const [ci, cp, cc, cs] = ['item_id', 'position', 'click', 'propensity_score'].map(col);
  const userColumns = [0, 1, 2, 3].map((k) => col(`user_feature_${k}`));
  for (let r = 0; r < n; r++) {
    const cells = text[r + 1].split(',');
    log.item[r] = Number(cells[ci]);
    log.position[r] = Number(cells[cp]) - 1;
    log.click[r] = Number(cells[cc]);
    log.propensity[r] = Number(cells[cs]);
    log.userFeatures.push(userColumns.map((j) => cells[j]));
    affinityColumns.forEach((j, a) => {
      log.affinity[r * items + a] = Number(cells[j]);
    });
  }
  return log;
}

function evaluateCampaign(campaign: string) {
  const random = readLog('random', campaign);
  const bts = readLog('bts', campaign);
  const n = random.item.length;
  const A = random.items;
  // Ground truth: BTS's on-policy CTR with a bootstrap interval.
  const onPolicy = bts.click.reduce((a, b) => a + b, 0) / bts.click.length;
  const onPolicyCi = bootstrapInterval(
    bts.click.length,
    (idx) => {
      let s = 0;
      for (const i of idx) s += bts.click[i];
      return s / idx.length;
    },
    { resamples, seed: 1 },
  );
  // π_e(item | position) from BTS's logged frequencies.
  const counts = Array.from({ length: 3 }, () => new Float64Array(A));
  for (let i = 0; i < bts.item.length; i++) counts[bts.position[i]][bts.item[i]]++;
  const policy = counts.map((row) => {
    const total = row.reduce((a, b) => a + b, 0);
    return row.map((c) => c / total);
  });
  const targetProbabilities = new Float64Array(n * A);
  for (let i = 0; i < n; i++) targetProbabilities.set(policy[random.position[i]], i * A);
  // One-hot vocabularies of the user features (shared hashes across the two logs).
  const vocab = [0, 1, 2, 3].map((k) => [...new Set(random.userFeatures.map((u) => u[k]))]);
  const offsets: number[] = [];
  let dimension = A + 3;
  for (const v of vocab) {
    offsets.push(dimension);
    dimension += v.length;
  }
  const affinityIndex = dimension++;
  const userIndex = random.userFeatures.map((u) => u.map((value, k) => offsets[k] + vocab[k].indexOf(value)));
  const rewardEstimates = fitRewardModel({
    rounds: n,
    actions: A,
    dimension,
    features: (i, a, out) => {
      out.fill(0);
      out[a] = 1;
      out[A + random.position[i]] = 1;
      for (const j of userIndex[i]) out[j] = 1;
      out[affinityIndex] = random.affinity[i * A + a];
    },
    loggedActions: random.item,
    rewards: random.click,
    l2: 10,
    folds: 2,
    seed: 7,
  });
  const input = {
    actions: A,
    loggedActions: random.item,
    rewards: random.click,
    loggingPropensities: random.propensity,
    targetProbabilities,
    rewardEstimates,
    resamples,
    seed: 11,
  };
  const estimates = offPolicyEvaluate(input);
  return {
    campaign,
    rounds: n,
    clicks: random.click.reduce((a, b) => a + b, 0),
    onPolicy,
    onPolicyCi,
    estimates,
    overlap: overlapDiagnostics(input),
  };
}

const started = performance.now();
const results = ['men', 'women'].map(evaluateCampaign);
const pct = (v: number) => `${(100 * v).toFixed(3)}%`;
for (const r of results) {
  console.log(
    `\n### ${r.campaign}: BTS on-policy CTR ${pct(r.onPolicy)} [${pct(r.onPolicyCi.lower)}, ${pct(r.onPolicyCi.upper)}] (${r.clicks} clicks in ${r.rounds} random-log rounds; ESS ${r.overlap.effectiveSampleSize.toFixed(0)}, max weight ${r.overlap.maxWeight.toFixed(2)})\n`,
  );
  console.log(
    '| estimator | estimate | 95% bootstrap CI | relative error | CI covers on-policy CTR | OBP relative error |',
  );
  console.log('|---|---:|---|---:|:---:|---:|');
  for (const [name, e] of Object.entries(r.estimates)) {
    const rel = Math.abs(e.value - r.onPolicy) / r.onPolicy;
    const covers = e.lower <= r.onPolicy && r.onPolicy <= e.upper;
    console.log(
      `| ${name} | ${pct(e.value)} | [${pct(e.lower)}, ${pct(e.upper)}] | ${rel.toFixed(3)} | ${covers ? 'yes' : 'no'} | ${OBP[name]?.toFixed(3) ?? '–'} |`,
    );
  }
}
console.log('\n### mean relative error over the two campaigns\n');
console.log('| estimator | NextBest | OBP (published) |');
console.log('|---|---:|---:|');
for (const name of Object.keys(results[0].estimates)) {
  const mean =
    results.reduce((s, r) => s + Math.abs(r.estimates[name].value - r.onPolicy) / r.onPolicy, 0) /
    results.length;
  console.log(`| ${name} | ${mean.toFixed(3)} | ${OBP[name].toFixed(3)} |`);
}
console.log(
  `\n(${((performance.now() - started) / 1000).toFixed(1)} s, ${resamples} bootstrap resamples per interval)`,
);
writeResult('obd-ope', results);
