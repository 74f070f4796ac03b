/**
 * Durability: rewards are sent under load while the server is killed with SIGKILL and restarted, three
 * times; afterwards every acknowledged (204) reward must be in the store. Run on embedded PGlite (a data
 * directory) and on the PostgreSQL at 127.0.0.1:5432.
 *
 *   node --experimental-wasm-relaxed-simd --import tsx benchmarks/serving-durability.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPglite, openPostgres, type Sql } from '../src/store/sql.ts';
import { startServing, stopServing } from './serve-process.ts';

const KEY = 'durability-key-0123';
const POSTGRES = process.env.NEXTBEST_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const KILLS = 3;
const CONCURRENCY = 16;

async function run(name: string, args: string[], open: () => Promise<Sql>, port: number) {
  const acknowledged = new Map<string, number>(); // eventId → acknowledged rewards
  let rankOk = 0;
  let failed = 0;
  let stop = false;
  const post = (path: string, body: unknown) =>
    fetch(`http://127.0.0.1:${port}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const worker = async (w: number) => {
    let i = 0;
    while (!stop) {
      const eventId = `${name}-${w}-${i++}-${Date.now()}`;
      try {
        const ranked = await post('/personalizer/v1.0/rank', {
          eventId,
          contextFeatures: [{ w, i }],
          actions: [
            { id: 'a', features: [{ x: 1 }] },
            { id: 'b', features: [{ x: 2 }] },
          ],
        });
        if (ranked.status !== 201) {
          failed++;
          continue;
        }
        rankOk++;
        for (let r = 0; r < 2; r++) {
          const rewarded = await post(`/personalizer/v1.0/events/${eventId}/reward`, { value: 1 });
          if (rewarded.status === 204) acknowledged.set(eventId, (acknowledged.get(eventId) ?? 0) + 1);
          else failed++;
        }
      } catch {
        failed++; // the server died mid-request: not acknowledged, so not counted
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  };
  let server = await startServing(
    ['src/cli/main.ts', 'serve', '--port', String(port), '--rate-limit', '0', '--no-learn', ...args],
    KEY,
  );
  const workers = Array.from({ length: CONCURRENCY }, (_, w) => worker(w));
  for (let k = 0; k < KILLS; k++) {
    await new Promise((resolve) => setTimeout(resolve, 3000));
    server.kill('SIGKILL');
    await new Promise((resolve) => server.once('exit', resolve));
    server = await startServing(
      ['src/cli/main.ts', 'serve', '--port', String(port), '--rate-limit', '0', '--no-learn', ...args],
      KEY,
    );
  }
  await new Promise((resolve) => setTimeout(resolve, 2000));
  stop = true;
  await Promise.all(workers);
  await stopServing(server);

  const sql = await open();
  const rows = await sql.query<{ event_id: string; n: string }>(
    'select event_id, count(*) as n from rewards group by event_id',
  );
  await sql.close();
  const stored = new Map(rows.map((r) => [r.event_id, Number(r.n)]));
  let ackTotal = 0;
  let missing = 0;
  for (const [eventId, n] of acknowledged) {
    ackTotal += n;
    missing += Math.max(0, n - (stored.get(eventId) ?? 0));
  }
  const storedTotal = [...stored.values()].reduce((a, b) => a + b, 0);
  console.log(`| ${name} | ${KILLS} | ${rankOk} | ${ackTotal} | ${storedTotal} | ${missing} | ${failed} |`);
  return missing;
}

console.log(
  '| store | SIGKILLs | ranks acknowledged | rewards acknowledged | rewards stored | acknowledged but missing | failed requests (not acknowledged) |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|');
const dir = mkdtempSync(join(tmpdir(), 'nextbest-durability-'));
const schema = `nb_durability_${process.pid}`;
let missing = 0;
try {
  missing += await run('PGlite', ['--data-dir', dir], () => openPglite(dir), 18_100);
  missing += await run(
    'PostgreSQL',
    ['--database-url', POSTGRES, '--schema', schema],
    () => openPostgres(POSTGRES, { schema }),
    18_101,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
  const sql = await openPostgres(POSTGRES);
  await sql.query(`drop schema if exists ${schema} cascade`);
  await sql.close();
}
process.exitCode = missing === 0 ? 0 : 1;
