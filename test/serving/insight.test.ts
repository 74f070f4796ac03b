import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { explainDecision, featureGroup, featureImportance } from '../../src/serving/explain.ts';
import { flattenFeatures, HashedLinearModel, hashContext } from '../../src/serving/hashed-linear-model.ts';
import { bucketWidth } from '../../src/serving/routes/insight.ts';
import { buildServer } from '../../src/serving/server.ts';
import { DEFAULT_SERVICE_CONFIG } from '../../src/serving/service-config.ts';
import type { StoredDecision } from '../../src/store/decision-store.ts';
import { openPglite } from '../../src/store/sql.ts';

const KEY = 'test-key-123456';
const headers = { authorization: `Bearer ${KEY}` };

/** A model with random weights, so every term has a non-zero contribution. */
function randomModel(seed: number): HashedLinearModel {
  const model = new HashedLinearModel(12);
  let s = seed >>> 0;
  for (let i = 0; i < model.weights.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    model.weights[i] = s / 2 ** 32 - 0.5;
  }
  return model;
}

function decision(overrides: Partial<StoredDecision> = {}): StoredDecision {
  return {
    seq: 1,
    eventId: 'e1',
    createdAt: new Date(),
    context: [{ device: 'mobile', tier: 0.5, browsed: [0, 1, 0.5] }],
    actions: [
      { id: 'shoes', features: [{ category: 'shoes', price: 40 }] },
      { id: 'hat', features: [{ category: 'hats', price: 15 }] },
      { id: 'socks', features: [{ category: 'socks', price: 5 }] },
    ],
    excluded: ['socks'],
    ranking: [
      { id: 'hat', probability: 0.9 },
      { id: 'shoes', probability: 0.1 },
      { id: 'socks', probability: 0 },
    ],
    rewardActionId: 'hat',
    propensity: 0.9,
    modelVersion: 1,
    deferred: false,
    step: null,
    activatedAt: new Date(),
    rewards: [{ value: 1, receivedAt: new Date() }],
    ...overrides,
  };
}

describe('explanations of a linear model', () => {
  test('the named terms of a score add up to the model’s prediction', () => {
    const model = randomModel(7);
    const context = flattenFeatures([{ device: 'mobile', tier: 0.5, browsed: [0, 1, 0.5] }]);
    const action = flattenFeatures([{ category: 'shoes', price: 0.4 }]);
    const terms = model.terms(context, action);
    // bias + 5 context features + 2 action features + 2 × 5 crosses
    assert.equal(terms.length, 1 + 5 + 2 + 10);
    const sum = terms.reduce((s, t) => s + t.contribution, 0);
    assert.ok(Math.abs(sum - model.predict(model.featurize(context, action))) < 1e-5);
    assert.ok(terms.some((t) => t.kind === 'pair' && t.name === 'device=mobile × category=shoes'));
  });

  test('score() is exactly predict(featurize()), without the vector', () => {
    const model = randomModel(3);
    for (const [c, a] of [
      [[{ device: 'mobile', tier: 0.1, browsed: [0.3, 1 / 3, 7] }], [{ category: 'shoes', price: 0.4 }]],
      [[], [{ price: 1e-9 }]],
      [[{ x: -2.5 }], []],
    ]) {
      const context = flattenFeatures(c);
      const action = flattenFeatures(a);
      assert.equal(
        model.score(hashContext(context), action),
        model.predict(model.featurize(context, action)),
      );
    }
  });

  test('the choice is split into what separates the chosen action from the runner-up', () => {
    const model = randomModel(11);
    const x = explainDecision(model, decision(), {
      explainedWith: 1,
      service: DEFAULT_SERVICE_CONFIG,
      top: 100,
    });
    assert.equal(x.chosenId, 'hat');
    assert.equal(x.runnerUpId, 'shoes', 'the excluded candidate is never the runner-up');
    const chosen = x.candidates.find((c) => c.id === 'hat');
    const other = x.candidates.find((c) => c.id === 'shoes');
    assert.ok(chosen && other);
    // Bias and context-only terms cancel: the differences add up to the difference of the scores.
    const total = x.versusRunnerUp.reduce((s, t) => s + t.difference, 0);
    assert.ok(
      Math.abs(total - (chosen.score - other.score)) < 1e-6,
      `${total} vs ${chosen.score - other.score}`,
    );
    assert.ok(x.versusRunnerUp.every((t) => t.kind === 'action' || t.kind === 'pair'));
    // Largest first.
    const sizes = x.versusRunnerUp.map((t) => Math.abs(t.difference));
    assert.deepEqual(
      sizes,
      [...sizes].sort((a, b) => b - a),
    );
    assert.equal(x.explored, false);
    assert.equal(x.reward, 1);
    assert.equal(x.candidates.at(-1)?.id, 'socks', 'excluded candidates are listed last');
    assert.equal(x.candidates.at(-1)?.excluded, true);
  });

  test('an exploring decision is marked as such', () => {
    const x = explainDecision(randomModel(3), decision({ rewardActionId: 'shoes', propensity: 0.1 }), {
      explainedWith: 1,
      service: DEFAULT_SERVICE_CONFIG,
    });
    assert.equal(x.explored, true);
  });

  test('feature importance finds the one feature that orders the candidates', () => {
    const model = new HashedLinearModel(12);
    const context = new Map([['device=mobile', 1]]);
    // Only the price weight is set, and a context-only weight that shifts every candidate equally.
    model.weights[model.featurize(new Map(), new Map([['price', 1]])).indices[1]] = 2;
    const contextIndex = model.featurize(context, new Map()).indices[1];
    model.weights[contextIndex] = 5;
    const decisions = [decision(), decision({ eventId: 'e2', excluded: [] })];
    const importance = featureImportance(model, decisions);
    assert.equal(importance[0].feature, 'action: price');
    assert.ok(importance[0].importance > 0);
    assert.ok(Math.abs(importance[0].share - 1) < 1e-9, 'every other group has zero spread');
    const device = importance.find((f) => f.feature === 'context: device');
    assert.ok(device, 'the context group is listed');
    assert.equal(device.importance, 0, 'a context-only term never reorders candidates');
    assert.ok(device.magnitude > 0, 'but it does add to the score');
    // Spread of price over {shoes 40, hat 15} and {shoes 40, hat 15, socks 5}: 2·25 and 2·35.
    assert.ok(Math.abs(importance[0].importance - (50 + 70) / 2) < 1e-4);
  });

  test('feature groups merge list positions and string values', () => {
    assert.equal(featureGroup('browsed[3]'), 'browsed');
    assert.equal(featureGroup('user.segment=new'), 'user.segment');
    assert.equal(featureGroup('a[0].b[1]=x=y'), 'a.b');
  });

  test('bucket widths are round and never exceed the asked number of buckets', () => {
    assert.equal(bucketWidth(3600, 60), 60);
    assert.equal(bucketWidth(900, 60), 15);
    assert.equal(bucketWidth(59, 60), 1);
    assert.equal(bucketWidth(7 * 86_400, 60), 21_600);
    assert.equal(bucketWidth(400 * 86_400, 60), 7 * 86_400);
    for (const seconds of [10, 1000, 1e5, 1e7]) assert.ok(seconds / bucketWidth(seconds, 60) <= 60);
  });
});

describe('the dashboard’s routes', async () => {
  const sql = await openPglite('memory://');
  const reports = mkdtempSync(join(tmpdir(), 'nextbest-reports-'));
  mkdirSync(join(reports, 'tune'));
  writeFileSync(
    join(reports, 'latest.html'),
    '<html><head><title>Ecommerce experiment</title></head><body>ok</body></html>',
  );
  writeFileSync(join(reports, 'tune', 'index.html'), '<title>Tuning</title>');
  writeFileSync(join(reports, 'notes.txt'), 'not a report');
  writeFileSync(join(tmpdir(), 'outside.html'), '<title>secret</title>');
  const app = await buildServer({ sql, apiKey: KEY, learn: false, reportsDir: reports });
  after(async () => {
    await app.close();
    await sql.close();
    rmSync(reports, { recursive: true, force: true });
  });
  const get = async (url: string, withKey = true) => {
    const r = await app.inject({ method: 'GET', url, ...(withKey ? { headers } : {}) });
    return {
      status: r.statusCode,
      body: String(r.headers['content-type']).includes('json') ? JSON.parse(r.body) : r.body,
      headers: r.headers,
    };
  };

  test('the page and its assets need no key and are served with a strict policy; the data does', async () => {
    const page = await get('/', false);
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /text\/html/);
    assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
    assert.match(page.body as string, /\/ui\/app\.js/);
    const script = await get('/ui/app.js', false);
    assert.equal(script.status, 200);
    assert.match(String(script.headers['content-type']), /javascript/);
    assert.ok((script.body as string).length > 20_000, 'the bundle includes uPlot');
    assert.equal((await get('/ui/style.css', false)).status, 200);
    assert.equal((await get('/ui/uplot.css', false)).status, 200);
    assert.equal((await get('/v1/activity', false)).status, 401);
    assert.equal((await get('/v1/reports', false)).status, 401);
  });

  test('no spelling of a path borrows the public routes’ exemption (raw requests on a socket)', async () => {
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = new URL(address);
    const raw = (path: string) =>
      new Promise<number>((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1', () =>
          socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
        );
        let text = '';
        socket.on('data', (chunk) => {
          text += chunk.toString();
        });
        socket.on('end', () => resolve(Number(text.split(' ')[1])));
        socket.on('error', reject);
      });
    for (const path of [
      '/ui/../v1/models',
      '/ui/%2e%2e/v1/models',
      '/docs/../v1/activity',
      '/index.html/../v1/reports',
    ]) {
      const status = await raw(path);
      assert.ok(status === 401 || status === 403 || status === 404, `${path}: ${status}`);
      assert.notEqual(status, 200, path);
    }
    assert.equal(await raw('/ui/app.js'), 200);
    assert.equal(await raw('/v1/models'), 401);
  });

  test('an empty log: zero decisions, every bucket present and empty', async () => {
    const to = new Date();
    const from = new Date(to.getTime() - 3_600_000);
    const a = await get(`/v1/activity?from=${from.toISOString()}&to=${to.toISOString()}&buckets=60`);
    assert.equal(a.status, 200);
    assert.equal(a.body.allTime.events, 0);
    assert.equal(a.body.range.decisions, 0);
    assert.equal(a.body.range.ctr, null);
    assert.equal(a.body.bucketSeconds, 60);
    assert.ok(a.body.series.t.length >= 60 && a.body.series.t.length <= 61);
    assert.ok(a.body.series.decisions.every((n: number) => n === 0));
    assert.ok(a.body.series.ctr.every((x: number | null) => x === null));
  });

  test('activity counts decisions, rewards, clicks and exploration', async () => {
    const service = (await get('/personalizer/v1.0/configurations/service')).body;
    // Exploration 1: every action equally likely, so with two actions about half are explored... except
    // that ties give every action the same probability, so nothing counts as explored. Use 0.5 instead.
    await app.inject({
      method: 'PUT',
      url: '/personalizer/v1.0/configurations/service',
      headers,
      payload: { ...service, explorationPercentage: 0.5 },
    });
    let explored = 0;
    let rewarded = 0;
    for (let i = 0; i < 40; i++) {
      const r = await app.inject({
        method: 'POST',
        url: '/personalizer/v1.0/rank',
        headers,
        payload: {
          eventId: `ev-${i}`,
          contextFeatures: [{ i: i % 3 }],
          actions: [
            { id: 'a', features: [{ x: 1 }] },
            { id: 'b', features: [{ x: 2 }] },
          ],
        },
      });
      assert.equal(r.statusCode, 201, r.body);
      const ranked = JSON.parse(r.body);
      const top = Math.max(...ranked.ranking.map((x: { probability: number }) => x.probability));
      const chosen = ranked.ranking.find((x: { id: string }) => x.id === ranked.rewardActionId).probability;
      if (chosen < top - 1e-9) explored++;
      if (i % 4 === 0) {
        rewarded++;
        await app.inject({
          method: 'POST',
          url: `/personalizer/v1.0/events/ev-${i}/reward`,
          headers,
          payload: { value: 1 },
        });
      }
      if (i % 8 === 1) {
        rewarded++;
        await app.inject({
          method: 'POST',
          url: `/personalizer/v1.0/events/ev-${i}/reward`,
          headers,
          payload: { value: 0 },
        });
      }
    }
    const a = await get(`/v1/activity?to=${new Date(Date.now() + 1000).toISOString()}`);
    assert.equal(a.status, 200);
    assert.equal(a.body.range.decisions, 40);
    assert.equal(a.body.range.rewarded, rewarded);
    assert.equal(a.body.range.ctr, 10 / 40, 'a zero reward is not a click');
    assert.equal(a.body.range.rewardRate, 10 / 40);
    assert.equal(a.body.range.exploration, explored / 40);
    assert.ok(explored > 0 && explored < 40, `explored ${explored}`);
    const sum = a.body.series.decisions.reduce((s: number, n: number) => s + n, 0);
    assert.equal(sum, 40);
    assert.equal(a.body.live.version, 1);
  });

  test('bad queries get a coded 400', async () => {
    const a = await get('/v1/activity?from=yesterday');
    assert.equal(a.status, 400);
    assert.match(a.body.error.message, /^from: /);
    assert.equal(a.body.error.innerError.code, 'E_BODY_INVALID');
    const b = await get('/v1/activity?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z');
    assert.equal(b.status, 400);
    assert.equal((await get('/v1/activity?bins=3')).status, 400, 'unknown parameters are refused');
    assert.equal((await get('/v1/decisions?limit=0')).status, 400);
    assert.equal((await get('/v1/importance?decisions=99999')).status, 400);
  });

  test('the decision list pages backwards and filters by session', async () => {
    const first = await get('/v1/decisions?limit=15');
    assert.equal(first.status, 200);
    assert.equal(first.body.decisions.length, 15);
    assert.equal(first.body.decisions[0].eventId, 'ev-39', 'newest first');
    const second = await get(`/v1/decisions?limit=30&before=${first.body.next}`);
    assert.equal(second.body.decisions.length, 25);
    assert.equal(second.body.next, null);
    assert.equal(second.body.decisions.at(-1).eventId, 'ev-0');
    const ev0 = second.body.decisions.at(-1);
    assert.deepEqual(ev0.rewards, [1]);
    assert.equal(ev0.candidates, 2);
    for (let step = 0; step < 3; step++) {
      const r = await app.inject({
        method: 'POST',
        url: '/v1/decisions',
        headers,
        payload: { sessionId: 'visit-1', candidates: [{ id: 'a' }, { id: 'b' }] },
      });
      assert.equal(r.statusCode, 201, r.body);
    }
    const session = await get('/v1/decisions?sessionId=visit-1');
    assert.deepEqual(
      session.body.decisions.map((d: { step: number }) => d.step),
      [2, 1, 0],
    );
    assert.equal((await get('/v1/decisions?sessionId=nobody')).body.decisions.length, 0);
  });

  test('a decision is explained with the model that served it; unknown ones are a 404', async () => {
    const x = await get('/v1/decisions/ev-0/explanation');
    assert.equal(x.status, 200);
    assert.equal(x.body.eventId, 'ev-0');
    assert.equal(x.body.explainedWith, 1);
    assert.equal(x.body.candidates.length, 2);
    assert.equal(x.body.reward, 1);
    assert.ok(x.body.score.length > 0);
    const missing = await get('/v1/decisions/nope/explanation');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.innerError.code, 'E_EVENT_NOT_FOUND');
  });

  test('global importance over the newest decisions', async () => {
    const r = await get('/v1/importance?decisions=20');
    assert.equal(r.status, 200);
    assert.equal(r.body.decisions, 20);
    assert.equal(r.body.modelVersion, 1);
    assert.ok(Array.isArray(r.body.features));
    assert.equal((await get('/v1/importance?version=99')).status, 404);
  });

  test('reports are listed with their titles and served; nothing outside the folder is', async () => {
    const list = await get('/v1/reports');
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.reports.map((r: { path: string }) => r.path).sort(), [
      'latest.html',
      'tune/index.html',
    ]);
    assert.equal(
      list.body.reports.find((r: { path: string }) => r.path === 'latest.html').title,
      'Ecommerce experiment',
    );
    const file = await get('/v1/reports/file?path=tune/index.html');
    assert.equal(file.status, 200);
    assert.match(String(file.headers['content-type']), /text\/html/);
    assert.equal(file.body, '<title>Tuning</title>');
    for (const path of ['../outside.html', '/etc/passwd', 'notes.txt', 'tune/../../outside.html']) {
      const r = await get(`/v1/reports/file?path=${encodeURIComponent(path)}`);
      assert.equal(r.status, 400, path);
      assert.equal(r.body.error.innerError.code, 'E_PATH');
    }
    assert.equal((await get('/v1/reports/file?path=gone.html')).status, 404);
  });
});
