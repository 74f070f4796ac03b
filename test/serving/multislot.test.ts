import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Rng } from '../../src/core/rng.ts';
import { buildServer } from '../../src/serving/server.ts';
import { openPglite } from '../../src/store/sql.ts';

const KEY = 'test-key-123456';
const auth = { 'ocp-apim-subscription-key': KEY };
const base = '/personalizer/v1.0';

const actions = [
  { id: 'sale', features: [{ kind: 'promotion', discount: 0.3 }] },
  { id: 'news', features: [{ kind: 'article' }] },
  { id: 'shoes', features: [{ kind: 'product', category: 'shoes' }] },
  { id: 'hat', features: [{ kind: 'product', category: 'hats' }] },
];
const slots = [
  { id: 'Main Article', features: [{ size: 'large', position: 'top' }], baselineAction: 'news' },
  { id: 'Side Bar', features: [{ size: 'small', position: 'right' }], baselineAction: 'sale' },
  {
    id: 'Footer',
    features: [{ size: 'small', position: 'bottom' }],
    excludedActions: ['sale'],
    baselineAction: 'hat',
  },
];

describe('Personalizer multi-slot API', async () => {
  const sql = await openPglite('memory://');
  const app = await buildServer({ sql, apiKey: KEY, learn: false });
  after(async () => {
    await app.close();
    await sql.close();
  });
  const post = (url: string, payload?: unknown) =>
    app.inject({ method: 'POST', url, headers: auth, ...(payload ? { payload } : {}) });

  test('rank fills every slot with a different action, each logged as its own decision', async () => {
    const r = await post(`${base}/multislot/rank`, {
      contextFeatures: [{ user: { tier: 'gold' } }],
      actions,
      slots,
      eventId: 'ms-1',
    });
    assert.equal(r.statusCode, 201, r.body);
    const body = r.json();
    assert.equal(body.eventId, 'ms-1');
    assert.deepEqual(
      body.slots.map((s: { id: string }) => s.id),
      ['Main Article', 'Side Bar', 'Footer'],
    );
    const chosen = body.slots.map((s: { rewardActionId: string }) => s.rewardActionId);
    assert.equal(new Set(chosen).size, 3, `no action twice: ${chosen}`);
    assert.notEqual(chosen[2], 'sale', 'the footer excludes sale');
    // The log: one decision per slot, in the context plus the slot, over what was left for it.
    const rows = await app.nextbest.store.latest(3);
    const bySlot = new Map(rows.map((d) => [d.slot?.id, d]));
    const footer = bySlot.get('Footer');
    assert.ok(footer);
    assert.equal(footer.eventId, 'ms-1#2');
    assert.deepEqual(footer.slot, { eventId: 'ms-1', id: 'Footer' });
    assert.equal(footer.rewardActionId, chosen[2]);
    assert.deepEqual(footer.excluded.sort(), [...new Set(['sale', chosen[0], chosen[1]])].sort());
    assert.deepEqual(footer.context, [
      { user: { tier: 'gold' } },
      { _slot: { id: 'Footer' } },
      { size: 'small', position: 'bottom' },
    ]);
    assert.equal(footer.actions[0].id, 'hat', "the slot's baseline action is listed first");
    for (const d of rows) {
      assert.ok(d.propensity > 0 && d.propensity <= 1);
      const p = d.ranking.find((a) => a.id === d.rewardActionId)?.probability;
      assert.equal(d.propensity, p, "each slot's propensity is its own choice's probability");
      assert.equal(
        d.ranking.filter((a) => d.excluded.includes(a.id)).every((a) => a.probability === 0),
        true,
      );
    }
    assert.deepEqual(await app.nextbest.store.slotsOf('ms-1'), ['Main Article', 'Side Bar', 'Footer']);
  });

  test('reward per slot: stored on that slot; unknown slots and events refused, nothing half-stored', async () => {
    const ok = await post(`${base}/multislot/events/ms-1/reward`, {
      reward: [
        { slotId: 'Side Bar', value: 1 },
        { slotId: 'Main Article', value: 0.25 },
        { slotId: 'Side Bar', value: 0.5 },
      ],
    });
    assert.equal(ok.statusCode, 204, ok.body);
    const rewards = async (slot: number) =>
      (await app.nextbest.store.get(`ms-1#${slot}`))?.rewards.map((r) => r.value);
    assert.deepEqual(await rewards(1), [1, 0.5]);
    assert.deepEqual(await rewards(0), [0.25]);
    assert.deepEqual(await rewards(2), [], 'the footer gets the default reward when its window closes');

    const unknownSlot = await post(`${base}/multislot/events/ms-1/reward`, {
      reward: [
        { slotId: 'Footer', value: 1 },
        { slotId: 'Header', value: 1 },
      ],
    });
    assert.equal(unknownSlot.statusCode, 400);
    assert.equal(unknownSlot.json().error.innerError.code, 'E_UNKNOWN_SLOT');
    assert.match(unknownSlot.json().error.message, /Header/);
    assert.deepEqual(await rewards(2), [], 'nothing of a refused request is stored');

    const unknownEvent = await post(`${base}/multislot/events/nope/reward`, {
      reward: [{ slotId: 'Footer', value: 1 }],
    });
    assert.equal(unknownEvent.statusCode, 404);
    for (const payload of [
      {},
      { reward: [] },
      { reward: [{ slotId: 'Footer', value: 'x' }] },
      { value: 1 },
    ]) {
      const bad = await post(`${base}/multislot/events/ms-1/reward`, payload);
      assert.equal(bad.statusCode, 400, JSON.stringify(payload));
      assert.equal(bad.json().error.innerError.code, 'E_BODY_INVALID');
    }
    // The single-event routes point a multi-slot event to its own routes.
    const single = await post(`${base}/events/ms-1/reward`, { value: 1 });
    assert.equal(single.statusCode, 400);
    assert.equal(single.json().error.innerError.code, 'E_MULTISLOT_EVENT');
  });

  test('one event id space: multi-slot and single events cannot reuse each other’s ids', async () => {
    const again = await post(`${base}/multislot/rank`, { actions, slots, eventId: 'ms-1' });
    assert.equal(again.statusCode, 409);
    const asSingle = await post(`${base}/rank`, { actions, eventId: 'ms-1' });
    assert.equal(asSingle.statusCode, 409);
    assert.equal((await post(`${base}/rank`, { actions, eventId: 'single-1' })).statusCode, 201);
    const asMulti = await post(`${base}/multislot/rank`, { actions, slots, eventId: 'single-1' });
    assert.equal(asMulti.statusCode, 409);
    assert.equal(asMulti.json().error.innerError.code, 'E_EVENT_EXISTS');
  });

  test('deferred activation: not shown until activated; every slot activated at once', async () => {
    const r = await post(`${base}/multislot/rank`, {
      actions,
      slots,
      eventId: 'ms-2',
      deferActivation: true,
    });
    assert.equal(r.statusCode, 201);
    assert.equal((await app.nextbest.store.get('ms-2#0'))?.activatedAt, null);
    assert.equal((await post(`${base}/multislot/events/ms-2/activate`)).statusCode, 204);
    for (const slot of [0, 1, 2]) {
      assert.ok((await app.nextbest.store.get(`ms-2#${slot}`))?.activatedAt instanceof Date);
    }
    assert.equal((await post(`${base}/multislot/events/none/activate`)).statusCode, 404);
  });

  test('bad slot lists get coded 400s naming the slot', async () => {
    const cases: Array<[unknown[], string, RegExp]> = [
      [[slots[0], { ...slots[1], id: 'Main Article' }], 'E_DUPLICATE_SLOT', /slots\.1\.id/],
      [[{ ...slots[0], baselineAction: 'socks' }], 'E_UNKNOWN_ACTION', /slots\.0\.baselineAction/],
      [[{ ...slots[0], excludedActions: ['news'] }], 'E_BASELINE_EXCLUDED', /own slot/],
      [[slots[0], { ...slots[1], baselineAction: 'news' }], 'E_DUPLICATE_BASELINE', /slots\.1/],
      [[{ ...slots[0], excludedActions: ['socks'] }], 'E_UNKNOWN_ACTION', /slots\.0\.excludedActions/],
      // The third slot leaves two actions open, but the two slots before it may take both.
      [
        [slots[0], slots[1], { id: 'C', baselineAction: 'hat', excludedActions: ['sale', 'news'] }],
        'E_SLOT_NO_ACTIONS',
        /at least 3/,
      ],
      [[], 'E_BODY_INVALID', /slot/],
      [[{ id: 'x' }], 'E_BODY_INVALID', /baselineAction/],
    ];
    for (const [list, code, message] of cases) {
      const r = await post(`${base}/multislot/rank`, { actions, slots: list });
      assert.equal(r.statusCode, 400, `${code}: ${r.body}`);
      assert.equal(r.json().error.innerError.code, code);
      assert.match(r.json().error.message, message);
    }
  });

  test('full exploration never leaves a slot empty; Apprentice serves each slot its baseline', async () => {
    const config = (
      await app.inject({ method: 'GET', url: `${base}/configurations/service`, headers: auth })
    ).json();
    const put = (changes: object) =>
      app.inject({
        method: 'PUT',
        url: `${base}/configurations/service`,
        headers: auth,
        payload: { ...config, ...changes },
      });
    await put({ explorationPercentage: 1 });
    const tight = [
      { id: 'A', baselineAction: 'sale', excludedActions: ['shoes', 'hat'] },
      { id: 'B', baselineAction: 'news', excludedActions: ['shoes', 'hat'] },
    ];
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const r = await post(`${base}/multislot/rank`, { actions, slots: tight, eventId: `explore-${i}` });
      assert.equal(r.statusCode, 201, r.body);
      const [a, b] = r.json().slots.map((s: { rewardActionId: string }) => s.rewardActionId);
      assert.deepEqual([a, b].sort(), ['news', 'sale']);
      seen.add(a);
    }
    assert.equal(seen.size, 2, 'uniform exploration puts either action in the first slot');
    await put({ learningMode: 'Apprentice' });
    const r = await post(`${base}/multislot/rank`, { actions, slots, eventId: 'apprentice-1' });
    assert.deepEqual(
      r.json().slots.map((s: { rewardActionId: string }) => s.rewardActionId),
      ['news', 'sale', 'hat'],
    );
    await put({});
  });

  test('the preview API versions reach the same routes', async () => {
    const r = await post('/personalizer/v1.1-preview.3/multislot/rank', { actions, slots, eventId: 'ms-3' });
    assert.equal(r.statusCode, 201, r.body);
    assert.equal((await post('/personalizer/v1.1-preview.3/multislot/events/ms-3/activate')).statusCode, 204);
    const denied = await app.inject({ method: 'POST', url: '/personalizer/v1.1-preview.3/multislot/rank' });
    assert.equal(denied.statusCode, 401, 'the key is still required');
  });

  test('the learner learns which action pays in which slot', async () => {
    const config = (
      await app.inject({ method: 'GET', url: `${base}/configurations/service`, headers: auth })
    ).json();
    const put = (url: string, payload: object) => app.inject({ method: 'PUT', url, headers: auth, payload });
    await put(`${base}/configurations/service`, {
      ...config,
      rewardWaitTime: 'PT0.3S',
      explorationPercentage: 0.3,
    });
    const learner = (
      await app.inject({ method: 'GET', url: '/v1/configurations/learner', headers: auth })
    ).json();
    await put('/v1/configurations/learner', { ...learner, minEvents: 100, promotion: 'always' });
    await app.inject({ method: 'POST', url: '/v1/models/train', headers: auth }); // learns the traffic so far
    // What pays depends on the slot: shoes in the main article, news in the side bar, the hat in the footer.
    const pays: Record<string, string> = { 'Main Article': 'shoes', 'Side Bar': 'news', Footer: 'hat' };
    const rng = new Rng(11);
    const rates: number[] = [];
    for (let block = 0; block < 4; block++) {
      let hits = 0;
      for (let i = 0; i < 80; i++) {
        const tier = rng.int(2) === 0 ? 'gold' : 'silver';
        const r = await post(`${base}/multislot/rank`, { contextFeatures: [{ tier }], actions, slots });
        const { eventId, slots: filled } = r.json();
        const reward = filled
          .filter((s: { id: string; rewardActionId: string }) => pays[s.id] === s.rewardActionId)
          .map((s: { id: string }) => ({ slotId: s.id, value: 1 }));
        hits += reward.length;
        if (reward.length > 0) await post(`${base}/multislot/events/${eventId}/reward`, { reward });
      }
      rates.push(hits / 240);
      await new Promise((resolve) => setTimeout(resolve, 350));
      const round = (await post('/v1/models/train')).json();
      assert.equal(round.status, 'trained', JSON.stringify(round));
    }
    await put(`${base}/configurations/service`, { ...config, explorationPercentage: 0 });
    const greedy = await post(`${base}/multislot/rank`, {
      contextFeatures: [{ tier: 'gold' }],
      actions,
      slots,
    });
    assert.deepEqual(
      greedy.json().slots.map((s: { rewardActionId: string }) => s.rewardActionId),
      ['shoes', 'news', 'hat'],
      `rates per block ${rates}`,
    );
    assert.ok(rates.at(-1)! > rates[0] + 0.2, `the reward rate rises: ${rates}`);
    await put(`${base}/configurations/service`, config);
  });
});
