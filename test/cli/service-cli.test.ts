import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildServer } from '../../src/serving/server.ts';
import { openPglite } from '../../src/store/sql.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'bin', 'nextbest.js');
const KEY = 'cli-test-key-1234';

/** The CLI in a child process, asynchronously, so the server in this process keeps answering. */
function run(args: string[], env: Record<string, string | undefined> = {}) {
  return new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [cli, ...args],
      { env: { ...process.env, NEXTBEST_URL: undefined, ...env }, encoding: 'utf8' },
      (error, stdout, stderr) =>
        resolve({ status: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('nextbest traffic and nextbest models against a running service', async () => {
  const sql = await openPglite('memory://');
  const app = await buildServer({ sql, apiKey: KEY, learn: false, rateLimitPerMinute: 0, dashboard: false });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  after(async () => {
    await app.close();
    await sql.close();
  });
  const env = { NEXTBEST_API_KEY: KEY };

  test('traffic runs seeded shopping sessions through the session API and reports their return', async () => {
    const r = await run(
      ['traffic', '--url', url, '--sessions', '4', '--streams', '2', '--seed', '3', '--json'],
      env,
    );
    assert.equal(r.status, 0, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.equal(summary.sessions, 4);
    assert.equal(summary.meanReturn.n, 4);
    const { events, sessions } = await app.nextbest.store.count();
    assert.equal(sessions, 4);
    assert.ok(events >= 4);
  });

  test('models lists the versions; train answers even when there is too little to learn from', async () => {
    const list = await run(['models', '--url', url, '--json'], env);
    assert.equal(list.status, 0, list.stderr);
    assert.equal(JSON.parse(list.stdout).live, 1);
    const train = await run(['models', 'train', '--url', url, '--json'], env);
    assert.equal(train.status, 0, train.stderr);
    assert.equal(JSON.parse(train.stdout).status, 'idle');
  });

  test('coded errors: no key, a wrong key, a service error, nobody listening', async () => {
    const none = await run(['traffic', '--url', url], { NEXTBEST_API_KEY: undefined });
    assert.equal(none.status, 2);
    assert.match(none.stderr, /E_API_KEY_MISSING/);
    const wrong = await run(['models', '--url', url], { NEXTBEST_API_KEY: 'not-the-key-9' });
    assert.equal(wrong.status, 2);
    assert.match(wrong.stderr, /GET \/v1\/models: Access denied.*hint: set NEXTBEST_API_KEY/);
    const missing = await run(['models', 'promote', '99', '--url', url], env);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /E_MODEL_NOT_FOUND: POST \/v1\/models\/99\/promote: no model version 99/);
    const away = await run(['models', '--url', 'http://127.0.0.1:9'], env);
    assert.equal(away.status, 2);
    assert.match(away.stderr, /E_SERVICE_UNREACHABLE/);
  });
});
