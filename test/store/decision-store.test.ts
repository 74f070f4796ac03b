import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { aggregateReward, DecisionStore } from '../../src/store/decision-store.ts';
import { MIGRATIONS, migrate } from '../../src/store/migrations.ts';
import { openPglite } from '../../src/store/sql.ts';
import { testPostgres } from '../helpers/postgres.ts';

const record = (eventId: string, deferred = false) => ({
  eventId,
  context: [{ user: { tier: 'gold' } }],
  actions: [
    { id: 'a', features: [{ price: 1 }] },
    { id: 'b', features: [{ price: 2 }] },
  ],
  excluded: [],
  ranking: [
    { id: 'b', probability: 0.9 },
    { id: 'a', probability: 0.1 },
  ],
  rewardActionId: 'b',
  propensity: 0.9,
  modelVersion: 1,
  deferred,
});

for (const kind of ['pglite', 'postgres'] as const) {
  describe(`decision store on ${kind}`, async () => {
    const sql = kind === 'pglite' ? await openPglite('memory://') : await testPostgres();
    after(async () => ('drop' in sql ? (sql as { drop(): Promise<void> }).drop() : sql.close()));

    test('migrations apply once, also when replicas race', async () => {
      const results = await Promise.all([migrate(sql), migrate(sql)]);
      assert.deepEqual(
        results.flat().sort((a, b) => a - b),
        MIGRATIONS.map((m) => m.version),
      );
      assert.deepEqual(await migrate(sql), []);
    });

    test('insert, duplicate ids, rewards (earliest and sum), activation', async () => {
      const store = new DecisionStore(sql);
      assert.equal(await store.insert(record('e1')), true);
      assert.equal(await store.insert(record('e1')), false, 'an eventId is used once');
      assert.equal(await store.insert(record('e2', true)), true);
      const e1 = await store.get('e1');
      assert.deepEqual(e1?.ranking[0], { id: 'b', probability: 0.9 });
      assert.ok(e1?.activatedAt instanceof Date, 'not deferred: active at once');
      assert.equal((await store.get('e2'))?.activatedAt, null);

      assert.equal(await store.reward('e1', 0.5), true);
      assert.equal(await store.reward('e1', 1), true);
      assert.deepEqual(
        (await store.get('e1'))?.rewards.map((r) => r.value),
        [0.5, 1],
        'every reward is a row, in order',
      );
      assert.equal(aggregateReward([0.5, 1], 'earliest', 0), 0.5);
      assert.equal(aggregateReward([0.5, 1], 'sum', 0), 1.5);
      assert.equal(aggregateReward([], 'sum', -0.25), -0.25, 'no reward: the default');
      await store.reward('e2', 0.25);
      assert.equal(await store.reward('nope', 1), false);

      assert.equal(await store.activate('e2'), true);
      assert.ok((await store.get('e2'))?.activatedAt instanceof Date);
      assert.equal(await store.activate('nope'), false);
      const counts = await store.count();
      assert.deepEqual([counts.events, counts.rewarded, counts.activated, counts.rewards], [2, 2, 2, 3]);
      assert.ok(counts.from instanceof Date && counts.to instanceof Date);

      // Retention: a decision older than the limit goes, with its rewards; newer ones stay.
      await store.insert(record('old'));
      await store.reward('old', 1);
      await sql.query(`update decisions set created_at = now() - interval '10 days' where event_id = 'old'`);
      assert.equal(await store.enforceRetention(-1), 0, '-1 keeps everything');
      assert.equal(await store.enforceRetention(7), 1);
      assert.equal(await store.get('old'), null);
      assert.ok(await store.get('e1'));

      await store.putSetting('service', { x: 1 });
      await store.putSetting('service', { x: 2 });
      assert.deepEqual(await store.getSetting('service'), { x: 2 });
      assert.equal(await store.getSetting('missing'), null);
    });
  });
}
