/**
 * Serving while the learner trains: /rank latency at a steady 200 requests a second while a learner round
 * (training and off-policy judging on 12,000 logged decisions, 3 epochs) runs, with the round on the
 * serving thread (--compute main) and on a worker thread (--compute worker, the default), beside the same
 * load with no round. Each server runs on PGlite in its own process; the log is written once over HTTP.
 *
 *   node --experimental-wasm-relaxed-simd --import tsx benchmarks/serving-learner.ts [--decisions 12000]
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { flag } from './flags.ts';
import { startServing, stopServing } from './serve-process.ts';

const DECISIONS = Number(flag('decisions', '12000'));
const KEY = 'learner-key-0123456';
const PORT = 18210;
const url = (path: string) => `http://127.0.0.1:${PORT}${path}`;
const headers = { 'content-type': 'application/json', authorization: `Bearer ${KEY}` };

const features = (prefix: string, n: number) => [
  Object.fromEntries(
    Array.from({ length: n }, (_, i) => [`${prefix}${i}`, i % 3 === 0 ? `v${i % 7}` : i / 10]),
  ),
];
const rankBody = (user: number) =>
  JSON.stringify({
    contextFeatures: [{ user: `u${user}` }, ...features('c', 10)],
    actions: Array.from({ length: 10 }, (_, a) => ({ id: `item-${a}`, features: features(`a${a}_`, 10) })),
  });

async function call(path: string, body?: unknown, method = 'POST') {
  const r = await fetch(url(path), {
    method,
    headers,
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
  // biome-ignore lint/suspicious/noExplicitAny: JSON from our own API, read by field
  return (r.status === 204 ? null : await r.json()) as any;
}

// 1. Write the log once: ranks with rewards for the item the user likes, 20 at a time.
const seedDir = mkdtempSync(join(tmpdir(), 'nextbest-learner-'));
let server = await startServing(
  ['src/cli/main.ts', 'serve', '--port', `${PORT}`, '--data-dir', seedDir, '--no-learn', '--rate-limit', '0'],
  KEY,
);
const service = await call('/personalizer/v1.0/configurations/service', undefined, 'GET');
await call(
  '/personalizer/v1.0/configurations/service',
  { ...service, rewardWaitTime: 'PT1S', explorationPercentage: 0.5 },
  'PUT',
);
const learner = await call('/v1/configurations/learner', undefined, 'GET');
await call('/v1/configurations/learner', { ...learner, epochs: 3, promotion: 'always' }, 'PUT');
for (let i = 0; i < DECISIONS; i += 20) {
  await Promise.all(
    Array.from({ length: 20 }, async (_, k) => {
      const user = (i + k) % 7;
      const { eventId, rewardActionId } = await call('/personalizer/v1.0/rank', rankBody(user));
      if (rewardActionId === `item-${user}`)
        await call(`/personalizer/v1.0/events/${eventId}/reward`, { value: 1 });
    }),
  );
}
await new Promise((r) => setTimeout(r, 1500)); // every reward window closes
await stopServing(server);

// 2. The same log, three ways.
const rows: string[] = [];
for (const [name, compute, train] of [
  ['no learner round', 'worker', false],
  ['round on the serving thread (--compute main)', 'main', true],
  ['round on a worker thread (--compute worker)', 'worker', true],
] as const) {
  const dir = mkdtempSync(join(tmpdir(), 'nextbest-learner-copy-'));
  cpSync(seedDir, dir, { recursive: true });
  server = await startServing(
    [
      'src/cli/main.ts',
      'serve',
      '--port',
      `${PORT}`,
      '--data-dir',
      dir,
      '--no-learn',
      '--rate-limit',
      '0',
      '--compute',
      compute,
    ],
    KEY,
  );
  await autocannon({
    url: url('/personalizer/v1.0/rank'),
    method: 'POST',
    headers,
    body: rankBody(1),
    connections: 4,
    duration: 3,
    overallRate: 100,
  });
  const load = autocannon({
    url: url('/personalizer/v1.0/rank'),
    method: 'POST',
    headers,
    body: rankBody(1),
    connections: 10,
    duration: 12,
    overallRate: 200,
  });
  let roundSeconds = Number.NaN;
  if (train) {
    await new Promise((r) => setTimeout(r, 1000));
    const t0 = performance.now();
    const round = await call('/v1/models/train', {});
    roundSeconds = (performance.now() - t0) / 1000;
    if (round.status !== 'trained') throw new Error(JSON.stringify(round));
  }
  const result = await load;
  await stopServing(server);
  rmSync(dir, { recursive: true, force: true });
  rows.push(
    `| ${name} | ${Number.isNaN(roundSeconds) ? '–' : roundSeconds.toFixed(1)} | ${result.requests.average.toFixed(0)} | ${result.latency.p50} / ${result.latency.p99} / ${result.latency.max} | ${result.errors + result.non2xx} |`,
  );
}
rmSync(seedDir, { recursive: true, force: true });
console.log(
  `${DECISIONS} logged decisions (10 actions × 10 features), learner: 3 epochs; /rank at 200 req/s for 12 s\n`,
);
console.log('| learner | round s | achieved req/s | p50 / p99 / max ms | errors |');
console.log('|---|---:|---:|---:|---:|');
for (const row of rows) console.log(row);
