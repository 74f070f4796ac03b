import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Rng } from '../../src/core/rng.ts';
import { buildServer } from '../../src/serving/server.ts';
import { openPglite } from '../../src/store/sql.ts';
import { testPostgres } from '../helpers/postgres.ts';

const KEY = 'test-key-123456';
const auth = { 'ocp-apim-subscription-key': KEY };
const base = '/personalizer/v1.0';

const rankBody = (eventId?: string) => ({
  contextFeatures: [{ user: { tier: 'gold', visits: 3 } }, { device: 'mobile' }],
  actions: [
    { id: 'shoes', features: [{ category: 'shoes', price: 80 }] },
    { id: 'hat', features: [{ category: 'hats', price: 20 }] },
    { id: 'bag', features: [{ category: 'bags', price: 150 }] },
  ],
  excludedActions: ['bag'],
  ...(eventId ? { eventId } : {}),
});

describe('Personalizer v1.0 API', async () => {
  const sql = await openPglite('memory://');
  const app = await buildServer({ sql, apiKey: KEY, learn: false });
  after(async () => {
    await app.close();
    await sql.close();
  });

  test('health needs no key; everything else does, by header or bearer token', async () => {
    assert.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
    const denied = await app.inject({ method: 'GET', url: `${base}/configurations/service` });
    assert.equal(denied.statusCode, 401);
    assert.equal(denied.json().error.code, 'PermissionDenied');
    const wrong = await app.inject({
      method: 'GET',
      url: `${base}/configurations/service`,
      headers: { 'ocp-apim-subscription-key': 'nope' },
    });
    assert.equal(wrong.statusCode, 401);
    const bearer = await app.inject({
      method: 'GET',
      url: `${base}/configurations/service`,
      headers: { authorization: `Bearer ${KEY}` },
    });
    assert.equal(bearer.statusCode, 200);
  });

  test('rank: 201 with a ranking of every action, probabilities summing to 1, excluded last at 0', async () => {
    const r = await app.inject({
      method: 'POST',
      url: `${base}/rank`,
      headers: auth,
      payload: rankBody('evt-1'),
    });
    assert.equal(r.statusCode, 201);
    const body = r.json();
    assert.equal(body.eventId, 'evt-1');
    assert.deepEqual(body.ranking.map((a: { id: string }) => a.id).sort(), ['bag', 'hat', 'shoes']);
    assert.equal(body.ranking.at(-1).id, 'bag');
    assert.equal(body.ranking.at(-1).probability, 0);
    const total = body.ranking.reduce((s: number, a: { probability: number }) => s + a.probability, 0);
    assert.ok(Math.abs(total - 1) < 1e-9);
    assert.equal(body.ranking[0].id, body.rewardActionId, 'the chosen action comes first');
    // Generated ids, and a reused id is a conflict.
    const generated = await app.inject({
      method: 'POST',
      url: `${base}/rank`,
      headers: auth,
      payload: rankBody(),
    });
    assert.match(generated.json().eventId, /^[0-9a-f]{32}$/);
    const again = await app.inject({
      method: 'POST',
      url: `${base}/rank`,
      headers: auth,
      payload: rankBody('evt-1'),
    });
    assert.equal(again.statusCode, 409);
  });

  test('reward and activate: 204, unknown events 404, bad bodies coded 400', async () => {
    await app.inject({
      method: 'POST',
      url: `${base}/rank`,
      headers: auth,
      payload: { ...rankBody('evt-2'), deferActivation: true },
    });
    assert.equal(
      (await app.inject({ method: 'POST', url: `${base}/events/evt-2/activate`, headers: auth })).statusCode,
      204,
    );
    assert.equal(
      (
        await app.inject({
          method: 'POST',
          url: `${base}/events/evt-2/reward`,
          headers: auth,
          payload: { value: 1 },
        })
      ).statusCode,
      204,
    );
    const missing = await app.inject({
      method: 'POST',
      url: `${base}/events/nope/reward`,
      headers: auth,
      payload: { value: 1 },
    });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().error.code, 'ResourceNotFound');
    for (const payload of [{ value: 'high' }, {}, { value: null }]) {
      const bad = await app.inject({
        method: 'POST',
        url: `${base}/events/evt-2/reward`,
        headers: auth,
        payload,
      });
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().error.innerError.code, 'E_BODY_INVALID');
    }
    const cases: Array<[unknown, string]> = [
      [{ actions: [] }, 'E_BODY_INVALID'],
      [{ actions: Array.from({ length: 51 }, (_, i) => ({ id: `a${i}` })) }, 'E_BODY_INVALID'],
      [{ actions: [{ id: 'a' }, { id: 'a' }] }, 'E_DUPLICATE_ACTION'],
      [{ actions: [{ id: 'a' }], excludedActions: ['z'] }, 'E_UNKNOWN_ACTION'],
      [{ actions: [{ id: 'a' }], excludedActions: ['a'] }, 'E_ALL_EXCLUDED'],
      [{ actions: [{ id: 'a' }], eventId: 'has space' }, 'E_BODY_INVALID'],
    ];
    for (const [payload, code] of cases) {
      const bad = await app.inject({
        method: 'POST',
        url: `${base}/rank`,
        headers: auth,
        payload: payload as object,
      });
      assert.equal(bad.statusCode, 400, JSON.stringify(payload));
      assert.equal(bad.json().error.innerError.code, code);
    }
    const notJson = await app.inject({
      method: 'POST',
      url: `${base}/rank`,
      headers: { ...auth, 'content-type': 'application/json' },
      payload: '{"actions": [',
    });
    assert.equal(notJson.statusCode, 400);
    assert.equal(notJson.json().error.code, 'BadRequest');
    const huge = await app.inject({
      method: 'POST',
      url: `${base}/rank`,
      headers: { ...auth, 'content-type': 'application/json' },
      payload: JSON.stringify({ actions: [{ id: 'a', features: [{ blob: 'x'.repeat(2 << 20) }] }] }),
    });
    assert.equal(huge.statusCode, 413);
    const logs = await app.inject({ method: 'GET', url: `${base}/logs/properties`, headers: auth });
    assert.ok(logs.json().events >= 3);
  });

  test('service configuration: validated, persisted, and exploration 0 serves the greedy action', async () => {
    const current = (
      await app.inject({ method: 'GET', url: `${base}/configurations/service`, headers: auth })
    ).json();
    assert.equal(current.learningMode, 'Online');
    const bad = await app.inject({
      method: 'PUT',
      url: `${base}/configurations/service`,
      headers: auth,
      payload: { ...current, explorationPercentage: 2 },
    });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().error.message, /explorationPercentage/);
    const badWait = await app.inject({
      method: 'PUT',
      url: `${base}/configurations/service`,
      headers: auth,
      payload: { ...current, rewardWaitTime: 'ten minutes' },
    });
    assert.equal(badWait.statusCode, 400);
    const ok = await app.inject({
      method: 'PUT',
      url: `${base}/configurations/service`,
      headers: auth,
      payload: { ...current, explorationPercentage: 0.1, rewardWaitTime: '00:05:00' },
    });
    assert.equal(ok.statusCode, 200);
    assert.ok(ok.json().lastConfigurationEditDate);
    // A new server on the same database keeps the setting.
    const second = await buildServer({ sql, apiKey: KEY });
    const kept = (
      await second.inject({ method: 'GET', url: `${base}/configurations/service`, headers: auth })
    ).json();
    assert.equal(kept.explorationPercentage, 0.1);
    assert.equal(kept.rewardWaitTime, '00:05:00');
    await second.close();
  });
});

describe('the learning loop learns who wants what', () => {
  test('rank and reward, learner rounds: a promoted model serves the right action at near the best rate', async () => {
    const sql = await openPglite('memory://');
    const app = await buildServer({ sql, apiKey: KEY, learn: false });
    const config = (
      await app.inject({ method: 'GET', url: `${base}/configurations/service`, headers: auth })
    ).json();
    await app.inject({
      method: 'PUT',
      url: `${base}/configurations/service`,
      headers: auth,
      payload: { ...config, rewardWaitTime: 'PT0.3S' },
    });
    const learner = (
      await app.inject({ method: 'GET', url: '/v1/configurations/learner', headers: auth })
    ).json();
    await app.inject({
      method: 'PUT',
      url: '/v1/configurations/learner',
      headers: auth,
      payload: { ...learner, minEvents: 100 },
    });
    const rng = new Rng(5);
    const actions = [
      { id: 'sport', features: [{ topic: 'sport' }] },
      { id: 'cooking', features: [{ topic: 'cooking' }] },
      { id: 'travel', features: [{ topic: 'travel' }] },
    ];
    const likes: Record<string, string> = { alice: 'cooking', bob: 'sport', carol: 'travel' };
    const users = Object.keys(likes);
    const rates: number[] = [];
    const rounds: Array<{ status: string; evaluation?: { promoted: boolean } }> = [];
    for (let block = 0; block < 6; block++) {
      let hits = 0;
      for (let i = 0; i < 150; i++) {
        const user = users[rng.int(users.length)];
        const r = await app.inject({
          method: 'POST',
          url: `${base}/rank`,
          headers: auth,
          payload: { contextFeatures: [{ user }], actions, eventId: `round-${block}-${i}` },
        });
        const { eventId, rewardActionId } = r.json();
        const reward = rewardActionId === likes[user] ? 1 : 0;
        hits += reward;
        // Misses send no reward: the default reward (0) is joined when the window closes.
        if (reward) {
          await app.inject({
            method: 'POST',
            url: `${base}/events/${eventId}/reward`,
            headers: auth,
            payload: { value: reward },
          });
        }
      }
      rates.push(hits / 150);
      await new Promise((resolve) => setTimeout(resolve, 350)); // the reward window closes
      rounds.push((await app.inject({ method: 'POST', url: '/v1/models/train', headers: auth })).json());
    }
    assert.ok(rates[0] < 0.5, `the blank model serves one action for everyone: ${rates[0]}`);
    // With 20% exploration over 3 actions the best achievable rate is 1 − 0.2 · 2/3 ≈ 0.87.
    assert.ok(rates.at(-1)! > 0.75, `reward rate in the last block ${rates}`);
    assert.ok(rounds[0].evaluation?.promoted, 'the first trained candidate beats the blank model');
    const { models, live } = (await app.inject({ method: 'GET', url: '/v1/models', headers: auth })).json();
    assert.ok(live >= 2);
    assert.ok(models.every((m: { evaluation: unknown; version: number }) => m.version === 1 || m.evaluation));

    // Control: without learning (LoggingOnly serves the application's first action) the rate is 1/3.
    await app.inject({
      method: 'PUT',
      url: `${base}/configurations/service`,
      headers: auth,
      payload: { ...config, learningMode: 'LoggingOnly' },
    });
    let logging = 0;
    for (let round = 0; round < 90; round++) {
      const user = users[round % 3];
      const r = await app.inject({
        method: 'POST',
        url: `${base}/rank`,
        headers: auth,
        payload: { contextFeatures: [{ user }], actions, eventId: `logging-${round}` },
      });
      if (r.json().rewardActionId === likes[user]) logging++;
    }
    assert.equal(logging, 30);
    const idle = (await app.inject({ method: 'POST', url: '/v1/models/train', headers: auth })).json();
    assert.equal(idle.status, 'idle');
    assert.match(idle.reason, /LoggingOnly/);
    await app.close();
    await sql.close();
  });
});

describe('on PostgreSQL, a restarted server finds every acknowledged reward', () => {
  test('rank and reward, close, reopen: the log has them', async () => {
    const sql = await testPostgres();
    const app = await buildServer({ sql, apiKey: KEY });
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await app.inject({
        method: 'POST',
        url: `${base}/rank`,
        headers: auth,
        payload: rankBody(`pg-${i}`),
      });
      ids.push(r.json().eventId);
      const w = await app.inject({
        method: 'POST',
        url: `${base}/events/pg-${i}/reward`,
        headers: auth,
        payload: { value: i / 20 },
      });
      assert.equal(w.statusCode, 204);
    }
    await app.close();
    const again = await buildServer({ sql, apiKey: KEY });
    const logs = (
      await again.inject({ method: 'GET', url: `${base}/logs/properties`, headers: auth })
    ).json();
    assert.equal(logs.events, 20);
    assert.equal(logs.rewarded, 20);
    await again.close();
    await sql.drop();
  });
});
