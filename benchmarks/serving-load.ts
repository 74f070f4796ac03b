/**
 * Load: autocannon on loopback against /rank (10 actions × 20 features, 20 context features, each request
 * logged durably), beside a bare Fastify route returning constant JSON, in the same run. Two loads: as
 * many requests as 10 connections can make (throughput), and a fixed 1,000 requests a second (latency).
 * The server runs on embedded PGlite (the default) and on PostgreSQL, each with every request written alone
 * (--max-batch 1) and with group commit (the default).
 *
 *   node --experimental-wasm-relaxed-simd --import tsx benchmarks/serving-load.ts [--duration 10]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { openPostgres } from '../src/store/sql.ts';
import { startServing, stopServing } from './serve-process.ts';

const { values } = parseArgs({ options: { duration: { type: 'string', default: '10' } } });
const DURATION = Number(values.duration);
const KEY = 'load-key-0123456';
const POSTGRES = process.env.NEXTBEST_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const features = (prefix: string, n: number) => [
  Object.fromEntries(
    Array.from({ length: n }, (_, i) => [`${prefix}${i}`, i % 3 === 0 ? `v${i % 7}` : i / 10]),
  ),
];
const body = JSON.stringify({
  contextFeatures: features('c', 20),
  actions: Array.from({ length: 10 }, (_, a) => ({ id: `item-${a}`, features: features(`a${a}_`, 20) })),
});

async function load(url: string, rate?: number) {
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
    body,
    connections: 10,
    duration: DURATION,
    ...(rate ? { overallRate: rate } : {}),
  });
  const errors = result.errors + result.non2xx;
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors,
    total: result.requests.total,
  };
}

const rows: string[] = [];
const bare = await startServing(['benchmarks/peers/bare-fastify.ts', '18200'], KEY);
const bareMax = await load('http://127.0.0.1:18200/rank');
const bareFixed = await load('http://127.0.0.1:18200/rank', 1000);
await stopServing(bare);
rows.push(
  `| bare Fastify, constant JSON | ${bareMax.rps.toFixed(0)} | 1.00 | ${bareMax.p50} / ${bareMax.p99} | ${bareFixed.rps.toFixed(0)} | ${bareFixed.p50} / ${bareFixed.p99} | ${bareMax.errors + bareFixed.errors} |`,
);

const dir = mkdtempSync(join(tmpdir(), 'nextbest-load-'));
const schema = `nb_load_${process.pid}`;
// Each store twice: every request written alone (--max-batch 1), and with group commit (the default).
for (const [name, args] of [
  ['NextBest /rank, PGlite, one write per request', ['--data-dir', dir, '--max-batch', '1']],
  ['NextBest /rank, PGlite, group commit', ['--data-dir', dir]],
  [
    'NextBest /rank, PostgreSQL, one write per request',
    ['--database-url', POSTGRES, '--schema', schema, '--max-batch', '1'],
  ],
  ['NextBest /rank, PostgreSQL, group commit', ['--database-url', POSTGRES, '--schema', schema]],
] as const) {
  const server = await startServing(
    ['src/cli/main.ts', 'serve', '--port', '18201', '--rate-limit', '10000000', '--no-learn', ...args],
    KEY,
  );
  const url = 'http://127.0.0.1:18201/personalizer/v1.0/rank';
  await load(url, 200); // warm-up
  const max = await load(url);
  const fixed = await load(url, 1000);
  await stopServing(server);
  rows.push(
    `| ${name} | ${max.rps.toFixed(0)} | ${(max.rps / bareMax.rps).toFixed(2)} | ${max.p50} / ${max.p99} | ${fixed.rps.toFixed(0)} | ${fixed.p50} / ${fixed.p99} | ${max.errors + fixed.errors} |`,
  );
}
rmSync(dir, { recursive: true, force: true });
const sql = await openPostgres(POSTGRES);
await sql.query(`drop schema if exists ${schema} cascade`);
await sql.close();

console.log(
  `autocannon, 10 connections, ${DURATION} s per load, loopback, 2 cores shared by client and server\n`,
);
console.log(
  '| server | max req/s | ratio to bare | p50 / p99 ms | at 1,000 req/s: achieved | p50 / p99 ms | errors |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const row of rows) console.log(row);
