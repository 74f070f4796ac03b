import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/core/rng.ts';
import { buildServer } from '../../src/serving/server.ts';
import { openPglite } from '../../src/store/sql.ts';

const KEY = 'fuzz-key-12345678';

/** A random JSON value: the wrong type, the wrong size, or nested too deep, as often as the right one. */
function junk(rng: Rng, depth = 0): unknown {
  const kind = rng.int(depth > 3 ? 7 : 10);
  switch (kind) {
    case 0:
      return null;
    case 1:
      return rng.float() < 0.5;
    case 2:
      return [0, -1, 1e308, -1e-308, 3.5, 2 ** 53 + 1][rng.int(6)];
    case 3:
      return ['', 'x', ' ', '💥', 'a'.repeat(300), '../../etc', '<script>'][rng.int(7)];
    case 4:
      return { id: junk(rng, depth + 1), features: junk(rng, depth + 1), value: junk(rng, depth + 1) };
    case 5:
      return 'y'.repeat(rng.int(5000));
    case 6:
      return rng.int(1000) - 500;
    case 7:
      return Array.from({ length: rng.int(60) }, () => junk(rng, depth + 1));
    case 8:
      return {
        [['actions', 'contextFeatures', 'eventId', 'value', 'sessionId', 'candidates', 'slots', 'reward'][
          rng.int(8)
        ]]: junk(rng, depth + 1),
      };
    default:
      return Array.from({ length: rng.int(4) }, () => ({ a: junk(rng, depth + 1) }));
  }
}

function deep(levels: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = { x: v };
  return v;
}

test('fuzz: 1,500 malformed requests get coded 4xx answers, the server stays up, nothing accepted is lost', async () => {
  const sql = await openPglite('memory://');
  const app = await buildServer({ sql, apiKey: KEY, learn: false, rateLimitPerMinute: 0 });
  const rng = new Rng(2026);
  const headers = { 'ocp-apim-subscription-key': KEY };
  const good = {
    contextFeatures: [{ user: 'u' }],
    actions: [
      { id: 'a', features: [{ p: 1 }] },
      { id: 'b', features: [{ p: 2 }] },
    ],
  };
  let acceptedRanks = 0;
  let acceptedRewards = 0;
  const statuses = new Map<number, number>();
  const routes: Array<[string, (id: string) => string]> = [
    ['POST', () => '/personalizer/v1.0/rank'],
    ['POST', (id) => `/personalizer/v1.0/events/${id}/reward`],
    ['POST', (id) => `/personalizer/v1.0/events/${id}/activate`],
    ['PUT', () => '/personalizer/v1.0/configurations/service'],
    ['PUT', () => '/personalizer/v1.0/configurations/policy'],
    ['POST', () => '/v1/decisions'],
    ['POST', (id) => `/v1/sessions/${id}/end`],
    ['PUT', () => '/v1/configurations/learner'],
    ['PUT', () => '/personalizer/v1.0/model'],
    ['POST', () => '/personalizer/v1.0/multislot/rank'],
    ['POST', (id) => `/personalizer/v1.0/multislot/events/${id}/reward`],
    ['POST', (id) => `/personalizer/v1.0/multislot/events/${id}/activate`],
  ];
  const known: string[] = [];
  for (let i = 0; i < 1_500; i++) {
    const [method, path] = routes[rng.int(routes.length)];
    const id =
      known.length && rng.float() < 0.3
        ? known[rng.int(known.length)]
        : ['nope', '%00', 'x'.repeat(300), '..'][rng.int(4)];
    const mode = rng.int(10);
    let payload: string | Buffer;
    let contentType = 'application/json';
    if (mode === 0) payload = '{"actions": [';
    else if (mode === 1) payload = JSON.stringify(deep(20 + rng.int(2000)));
    else if (mode === 2) {
      payload = Buffer.from(Array.from({ length: rng.int(200) }, () => rng.int(256)));
      contentType = ['application/octet-stream', 'text/plain', 'application/json'][rng.int(3)];
    } else if (mode === 3)
      payload = JSON.stringify({ ...good, actions: [...good.actions, { id: 'c', features: [deep(40)] }] });
    else if (mode === 4)
      payload = JSON.stringify({
        ...good,
        contextFeatures: [Object.fromEntries(Array.from({ length: 1500 }, (_, k) => [`f${k}`, k]))],
      });
    else payload = JSON.stringify(junk(rng));
    const wrongKey = rng.float() < 0.05;
    const r = await app.inject({
      method: method as 'POST',
      url: path(encodeURIComponent(id)),
      headers: {
        ...(wrongKey ? { 'ocp-apim-subscription-key': 'wrong-key-000' } : headers),
        'content-type': contentType,
      },
      payload,
    });
    statuses.set(r.statusCode, (statuses.get(r.statusCode) ?? 0) + 1);
    assert.ok(
      r.statusCode < 500,
      `${method} ${path(id)} ${String(payload).slice(0, 200)} → ${r.statusCode} ${r.body}`,
    );
    if (r.statusCode >= 400) {
      const body = r.json();
      assert.equal(typeof body.error?.code, 'string', r.body);
      assert.equal(typeof body.error?.message, 'string', r.body);
      if (wrongKey) assert.equal(r.statusCode, 401);
    }
    // Interleave good traffic: every acknowledged write must be in the store at the end.
    if (i % 10 === 0) {
      const ranked = await app.inject({
        method: 'POST',
        url: '/personalizer/v1.0/rank',
        headers,
        payload: good,
      });
      assert.equal(ranked.statusCode, 201);
      acceptedRanks++;
      const eventId = ranked.json().eventId;
      known.push(eventId);
      const rewarded = await app.inject({
        method: 'POST',
        url: `/personalizer/v1.0/events/${eventId}/reward`,
        headers,
        payload: { value: 1 },
      });
      assert.equal(rewarded.statusCode, 204);
      acceptedRewards++;
      const slotted = await app.inject({
        method: 'POST',
        url: '/personalizer/v1.0/multislot/rank',
        headers,
        payload: {
          ...good,
          slots: [
            { id: 'top', baselineAction: 'a' },
            { id: 'side', baselineAction: 'b' },
          ],
        },
      });
      assert.equal(slotted.statusCode, 201);
      acceptedRanks += 2;
      known.push(slotted.json().eventId);
      const slotReward = await app.inject({
        method: 'POST',
        url: `/personalizer/v1.0/multislot/events/${slotted.json().eventId}/reward`,
        headers,
        payload: { reward: [{ slotId: 'side', value: 1 }] },
      });
      assert.equal(slotReward.statusCode, 204);
      acceptedRewards++;
    }
  }
  // Rewards the fuzzer itself got accepted (a valid value for a known id) count too.
  const [{ events, rewards }] = await sql.query<{ events: string; rewards: string }>(
    'select (select count(*) from decisions) as events, (select count(*) from rewards) as rewards',
  );
  assert.ok(Number(events) >= acceptedRanks);
  assert.ok(Number(rewards) >= acceptedRewards);
  const health = await app.inject({ method: 'GET', url: '/health' });
  assert.equal(health.statusCode, 200);
  assert.ok((statuses.get(400) ?? 0) > 300, `mostly 400s: ${JSON.stringify([...statuses])}`);
  await app.close();
  await sql.close();
});
