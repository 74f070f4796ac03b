import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { EngineError } from '../../src/core/engine-error.ts';
import { SequenceRecommender } from '../../src/evaluation/index.ts';
import { buildServer } from '../../src/serving/server.ts';
import { openPglite } from '../../src/store/sql.ts';
import { segmentLog, segmentModelOptions } from '../helpers/segment-log.ts';

const KEY = 'test-key-123456';
const auth = { 'ocp-apim-subscription-key': KEY };

/** An SQN model trained on sessions where the item after 'home' follows the user's segment. */
function trainModelFile(): string {
  const prepared = segmentLog();
  const model = new SequenceRecommender(segmentModelOptions({ userAttributes: ['segment'], time: true }));
  model.fit(prepared);
  const path = join(mkdtempSync(join(tmpdir(), 'nb-recommend-')), 'model.json');
  writeFileSync(path, JSON.stringify(model.toJSON(prepared.log.itemIds)));
  model.dispose();
  return path;
}

describe('serving a sequence model: POST /v1/recommendations', async () => {
  const modelFile = trainModelFile();
  const sql = await openPglite('memory://');
  const app = await buildServer({ sql, apiKey: KEY, learn: false, sequenceModel: modelFile });
  after(async () => {
    await app.close();
    await sql.close();
  });
  const post = (url: string, payload: object) => app.inject({ method: 'POST', url, headers: auth, payload });
  const home = [{ itemId: 'home', type: 'click' }];

  test('the history and the user’s segment pick the item; the answer is logged with its probability', async () => {
    for (const segment of [0, 3, 7]) {
      const r = await post('/v1/recommendations', {
        sessionId: `greedy-${segment}`,
        history: home,
        userAttributes: { segment: `s${segment}` },
        count: 3,
        explore: false,
      });
      assert.equal(r.statusCode, 201, r.body);
      const body = r.json();
      assert.equal(body.items[0].id, `pick${segment}`);
      assert.equal(body.actionId, `pick${segment}`);
      assert.equal(body.probability, 1);
      assert.equal(body.items.length, 3);
      assert.equal(body.model, 'sqn-gru4rec');
    }
    const r = await post('/v1/recommendations', {
      sessionId: 'explore-1',
      userId: 'alice',
      history: [...home, { itemId: 'brand-new-sku', type: 'click' }],
      userAttributes: { segment: 's5' },
      eventId: 'rec-1',
    });
    assert.equal(r.statusCode, 201, r.body);
    const body = r.json();
    assert.equal(body.eventId, 'rec-1');
    assert.ok(body.probability > 0 && body.probability <= 1);
    assert.equal(body.items[0].id, body.actionId, 'the drawn item is shown first');
    assert.deepEqual(body.unknownItems, ['brand-new-sku'], 'items the model lacks are named, not fatal');
    const stored = (await app.inject({ method: 'GET', url: '/v1/decisions/rec-1', headers: auth })).json();
    assert.equal(stored.rewardActionId, body.actionId);
    assert.equal(stored.propensity, body.probability);
    assert.equal(stored.sessionId, 'explore-1');
    assert.equal(stored.actions.length, 10);
    // Rewards join through the session decision routes, as for any decision.
    const reward = await post('/v1/decisions/rec-1/reward', { value: 1 });
    assert.equal(reward.statusCode, 204, reward.body);
    assert.deepEqual(
      (await app.nextbest.store.get('rec-1'))?.rewards.map((r) => r.value),
      [1],
    );
    // The same event id again is a conflict; nothing is overwritten.
    const again = await post('/v1/recommendations', {
      sessionId: 'explore-1',
      history: home,
      eventId: 'rec-1',
    });
    assert.equal(again.statusCode, 409);
  });

  test('a lower temperature keeps the drawn first item near the best, and logs its probability', async () => {
    const r = await post('/v1/recommendations', {
      sessionId: 'cool',
      history: home,
      userAttributes: { segment: 's4' },
      temperature: 0.01,
    });
    assert.equal(r.statusCode, 201, r.body);
    assert.equal(r.json().actionId, 'pick4');
    assert.ok(r.json().probability > 0.99, `${r.json().probability}`);
    const bad = await post('/v1/recommendations', { sessionId: 'cool', temperature: 0 });
    assert.equal(bad.statusCode, 400);
  });

  test('candidates and exclusions bound what is returned', async () => {
    const r = await post('/v1/recommendations', {
      sessionId: 'bounded',
      history: home,
      userAttributes: { segment: 's2' },
      candidates: ['pick1', 'pick2', 'pick9'],
      excluded: ['pick2'],
      explore: false,
    });
    assert.equal(r.statusCode, 201, r.body);
    const ids = r.json().items.map((i: { id: string }) => i.id);
    assert.deepEqual([...ids].sort(), ['pick1', 'pick9']);
  });

  test('bad requests get coded errors', async () => {
    const code = async (payload: object) => {
      const r = await post('/v1/recommendations', payload);
      return [r.statusCode, r.json().error.innerError?.code ?? r.json().error.code];
    };
    assert.deepEqual(await code({ sessionId: 'x', history: [{ itemId: 'home', type: 'wishlist' }] }), [
      400,
      'E_UNKNOWN_EVENT_TYPE',
    ]);
    assert.deepEqual(await code({ sessionId: 'x', candidates: ['pick1', 'nope'] }), [400, 'E_UNKNOWN_ITEM']);
    assert.deepEqual(await code({ sessionId: 'x', candidates: ['pick1'], excluded: ['pick1'] }), [
      400,
      'E_NO_ACTIONS',
    ]);
    assert.deepEqual((await code({ sessionId: 'x', count: 0 }))[0], 400);
    assert.deepEqual((await code({ history: home }))[0], 400);
    const described = await app.inject({ method: 'GET', url: '/v1/recommender', headers: auth });
    assert.equal(described.statusCode, 200);
    const info = described.json();
    assert.deepEqual(info.userAttributes, ['segment']);
    assert.equal(info.timeFeatures, true);
    assert.equal(info.items, 13);
  });

  test('reload swaps in the model file again; a file that cannot be served keeps the current one', async () => {
    const describeServed = async () =>
      (await app.inject({ method: 'GET', url: '/v1/recommender', headers: auth })).json();
    const before = await describeServed();
    const saved = readFileSync(modelFile, 'utf8');
    const picks = async (session: string) => {
      const r = await post('/v1/recommendations', {
        sessionId: session,
        history: home,
        userAttributes: { segment: 's3' },
        explore: false,
      });
      assert.equal(r.statusCode, 201, r.body);
      return r.json().items[0].id;
    };
    // A half-written file (a training run still writing it): 422, and the model keeps serving.
    writeFileSync(modelFile, saved.slice(0, 100));
    const bad = await post('/v1/recommender/reload', {});
    assert.equal(bad.statusCode, 422, bad.body);
    assert.equal(bad.json().error.innerError.code, 'E_MODEL_INVALID');
    assert.match(bad.json().error.message, /still serving the model loaded at/);
    assert.equal((await describeServed()).loadedAt, before.loadedAt);
    assert.equal(await picks('after-bad-reload'), 'pick3');
    // The complete file again: swapped in, the previous one named.
    writeFileSync(modelFile, saved);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const good = await post('/v1/recommender/reload', {});
    assert.equal(good.statusCode, 200, good.body);
    assert.equal(good.json().previous.loadedAt, before.loadedAt);
    assert.notEqual(good.json().loadedAt, before.loadedAt);
    assert.equal((await describeServed()).loadedAt, good.json().loadedAt);
    assert.equal(await picks('after-reload'), 'pick3');
  });

  test('without a model the route says how to serve one; a bad model file stops the start', async () => {
    const bare = await buildServer({ sql, apiKey: KEY, learn: false });
    const r = await bare.inject({
      method: 'POST',
      url: '/v1/recommendations',
      headers: auth,
      payload: { sessionId: 'x' },
    });
    assert.equal(r.statusCode, 503);
    assert.equal(r.json().error.innerError.code, 'E_NO_SEQUENCE_MODEL');
    await bare.close();
    const bad = join(mkdtempSync(join(tmpdir(), 'nb-recommend-')), 'bad.json');
    writeFileSync(bad, '{"format": "something-else"}');
    await assert.rejects(
      buildServer({ sql, apiKey: KEY, learn: false, sequenceModel: bad }),
      (e: unknown) => e instanceof EngineError && e.code === 'E_MODEL_INVALID',
    );
  });
});
