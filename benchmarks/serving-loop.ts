/**
 * The closed loop end to end: the ecommerce simulator's shoppers are served over HTTP by a real
 * `nextbest serve` process (the native session API, one session per shopping session), rewards are sent
 * back, and the background learner retrains, judges candidates off-policy and promotes them on its own.
 * Afterwards each model version of interest is put live with exploration off and measured on the same
 * fresh shoppers: the true online return in the simulator, against the first (blank) model and a
 * uniformly random policy. Five seeds, mean ± 95% CI.
 *
 *   node --experimental-wasm-relaxed-simd --import tsx benchmarks/serving-loop.ts [--seeds 5] [--blocks 8]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatMeanCi, summarize, welchDifference } from '../src/evaluation/statistics.ts';
import { serviceClient } from '../src/serving/client.ts';
import { runShopSessions, shopEnvironment } from '../src/serving/shop-traffic.ts';
import { startServing, stopServing } from './serve-process.ts';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '5' },
    blocks: { type: 'string', default: '8' },
    sessions: { type: 'string', default: '150' },
    evaluation: { type: 'string', default: '300' },
    every: { type: 'string', default: 'PT15S' },
    estimator: { type: 'string', default: 'wdr' },
  },
});
const SEEDS = Number(values.seeds);
const BLOCKS = Number(values.blocks);
const SESSIONS = Number(values.sessions);
const EVALUATION = Number(values.evaluation);
const KEY = 'benchmark-key-0123';
type ModelList = {
  live: number;
  models: Array<{ version: number; promotedAt: string | null; source: string }>;
};

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const rows: Record<string, number[]> = {
  firstBlock: [],
  lastBlock: [],
  initial: [],
  final: [],
  newest: [],
  random: [],
  promotions: [],
};
const start = Date.now();
for (let seed = 0; seed < SEEDS; seed++) {
  const dir = mkdtempSync(join(tmpdir(), 'nextbest-loop-'));
  const port = 18_000 + seed;
  const server = await startServing(
    ['src/cli/main.ts', 'serve', '--port', String(port), '--data-dir', dir, '--rate-limit', '0'],
    KEY,
  );
  const call = serviceClient(`http://127.0.0.1:${port}`, KEY);
  try {
    const service = await call<object>('GET', '/personalizer/v1.0/configurations/service');
    await call('PUT', '/personalizer/v1.0/configurations/service', {
      ...service,
      rewardWaitTime: 'PT1S',
      modelExportFrequency: values.every,
      explorationPercentage: 0.2,
    });
    const learner = await call<object>('GET', '/v1/configurations/learner');
    await call('PUT', '/v1/configurations/learner', {
      ...learner,
      minEvents: 500,
      sessionTimeout: 'PT10S',
      discount: 0.9,
      epochs: 2,
      estimator: values.estimator,
    });
    const env = shopEnvironment(seed);
    const blockMeans: number[] = [];
    for (let b = 0; b < BLOCKS; b++) {
      const returns = await runShopSessions(call, env, {
        sessions: SESSIONS,
        prefix: `train-${b}`,
        seedBase: 1_000_000 * (seed + 1) + b * SESSIONS,
      });
      blockMeans.push(mean(returns));
      const { live, models } = await call<ModelList>('GET', '/v1/models');
      console.log(
        `seed ${seed} block ${b}: mean return ${mean(returns).toFixed(3)}, live model v${live} of ${models.length}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 5000)); // the learner's last round
    const { live, models } = await call<ModelList>('GET', '/v1/models');
    const promoted = models.filter(
      (m: { promotedAt: string | null; source: string }) => m.promotedAt && m.source === 'learner',
    );
    // True online value of each policy, on the same fresh shop and shoppers, exploration off; the learner
    // keeps training on this traffic but promotes nothing by itself now.
    await call('PUT', '/v1/configurations/learner', {
      ...(await call<object>('GET', '/v1/configurations/learner')),
      promotion: 'manual',
    });
    let measured = 0;
    const measure = async (version: number | 'random') => {
      const cfg = await call<object>('GET', '/personalizer/v1.0/configurations/service');
      await call('PUT', '/personalizer/v1.0/configurations/service', {
        ...cfg,
        explorationPercentage: version === 'random' ? 1 : 0,
        modelExportFrequency: 'P1D',
      });
      await call('POST', `/v1/models/${version === 'random' ? 1 : version}/promote`);
      const fresh = shopEnvironment(seed);
      return mean(
        await runShopSessions(call, fresh, {
          sessions: EVALUATION,
          prefix: `eval-${measured++}`,
          seedBase: 7_000_000 + seed * EVALUATION,
        }),
      );
    };
    rows.final.push(await measure(live));
    rows.newest.push(await measure(models[0].version));
    rows.initial.push(await measure(1));
    rows.random.push(await measure('random'));
    rows.firstBlock.push(blockMeans[0]);
    rows.lastBlock.push(blockMeans.at(-1)!);
    rows.promotions.push(promoted.length);
    console.log(
      `seed ${seed}: final v${live} ${rows.final.at(-1)!.toFixed(3)}, newest v${models[0].version} ${rows.newest.at(-1)!.toFixed(3)}, initial ${rows.initial.at(-1)!.toFixed(3)}, random ${rows.random.at(-1)!.toFixed(3)}, ${promoted.length} promotions of ${models.length - 1} candidates`,
    );
  } finally {
    await stopServing(server);
    rmSync(dir, { recursive: true, force: true });
  }
}
const line = (name: string, xs: number[]) => `| ${name} | ${formatMeanCi(summarize(xs), 3)} |`;
const d = welchDifference(rows.final, rows.initial);
const dn = welchDifference(rows.newest, rows.initial);
console.log(
  `\n${SEEDS} seeds, ${BLOCKS} blocks × ${SESSIONS} sessions of training traffic, ${EVALUATION} evaluation sessions per policy, ${((Date.now() - start) / 1000).toFixed(0)} s\n`,
);
console.log('| measure | mean ± 95% CI |\n|---|---:|');
for (const [name, xs] of [
  ['training traffic, first block (return per session)', rows.firstBlock],
  ['training traffic, last block', rows.lastBlock],
  ['final live model (promoted by the learner), exploration off', rows.final],
  ['newest candidate (trained on everything), exploration off', rows.newest],
  ['first model (blank), exploration off', rows.initial],
  ['uniformly random', rows.random],
  ['promotions by the learner', rows.promotions],
] as const) {
  console.log(line(name, xs as number[]));
}
console.log(
  `\nfinal live − first: ${d.difference.toFixed(3)} [${d.lower.toFixed(3)}, ${d.upper.toFixed(3)}]`,
);
console.log(
  `newest candidate − first: ${dn.difference.toFixed(3)} [${dn.lower.toFixed(3)}, ${dn.upper.toFixed(3)}]`,
);
