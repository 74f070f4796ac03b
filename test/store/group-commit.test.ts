import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { DecisionStore } from '../../src/store/decision-store.ts';
import { GroupCommit } from '../../src/store/group-commit.ts';
import { migrate } from '../../src/store/migrations.ts';
import { openPglite } from '../../src/store/sql.ts';
import { testPostgres } from '../helpers/postgres.ts';

test('group commit: concurrent items share a write, results come back in order', async () => {
  const writes: number[][] = [];
  const group = new GroupCommit<number, number>(async (items) => {
    writes.push(items);
    await new Promise((r) => setTimeout(r, 5));
    return items.map((x) => x * 10);
  }, 4);
  const out = await Promise.all(Array.from({ length: 10 }, (_, i) => group.add(i)));
  assert.deepEqual(out, [0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
  assert.deepEqual(writes, [
    [0, 1, 2, 3],
    [4, 5, 6, 7],
    [8, 9],
  ]);
  assert.deepEqual(group.stats, { batches: 3, items: 10, largest: 4 });
  // Items added while a write is in flight wait for the next one.
  const first = group.add(100);
  await new Promise((r) => setImmediate(r));
  const late = [group.add(101), group.add(102)];
  assert.deepEqual(await Promise.all([first, ...late]), [1000, 1010, 1020]);
  assert.deepEqual(writes.slice(3), [[100], [101, 102]]);
});

test('group commit: a failing item fails alone; the rest of its batch still commits', async () => {
  const committed: string[] = [];
  const group = new GroupCommit<string, boolean>(async (items) => {
    if (items.includes('bad')) throw new Error('bad item');
    committed.push(...items);
    return items.map(() => true);
  });
  const results = await Promise.allSettled(['a', 'bad', 'c'].map((x) => group.add(x)));
  assert.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'fulfilled'],
  );
  assert.equal((results[1] as PromiseRejectedResult).reason.message, 'bad item');
  assert.deepEqual(committed, ['a', 'c']);
});

const record = (eventId: string, deferred = false) => ({
  eventId,
  context: [{ user: { tier: 'gold' } }],
  actions: [{ id: 'a', features: [{ price: 1 }] }],
  excluded: [],
  ranking: [{ id: 'a', probability: 1 }],
  rewardActionId: 'a',
  propensity: 1,
  modelVersion: 1,
  deferred,
});

for (const kind of ['pglite', 'postgres'] as const) {
  describe(`group commit in the decision store on ${kind}`, async () => {
    const sql = kind === 'pglite' ? await openPglite('memory://') : await testPostgres();
    after(async () => ('drop' in sql ? (sql as { drop(): Promise<void> }).drop() : sql.close()));
    await migrate(sql);
    const store = new DecisionStore(sql);

    test('concurrent inserts go in one statement; a repeated eventId is taken by the first only', async () => {
      const before = store.groups.insert.stats.batches;
      const ids = ['g1', 'g2', 'g1', 'g3', 'g2'];
      const inserted = await Promise.all(ids.map((id, i) => store.insert(record(id, i === 3))));
      assert.deepEqual(inserted, [true, true, false, true, false]);
      assert.equal(store.groups.insert.stats.batches - before, 1, 'one statement for five requests');
      assert.equal(await store.insert(record('g1')), false, 'and later ones too');
      assert.equal((await store.get('g3'))?.activatedAt, null, 'deferred stays deferred');
      assert.ok((await store.get('g2'))?.activatedAt instanceof Date);
    });

    test('concurrent rewards: all stored, in arrival order; unknown ids refused per item', async () => {
      const values = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6];
      const ok = await Promise.all([
        ...values.map((v) => store.reward('g1', v)),
        store.reward('nope', 1),
        store.reward('g2', 7),
      ]);
      assert.deepEqual(ok, [true, true, true, true, true, true, false, true]);
      assert.deepEqual(
        (await store.get('g1'))?.rewards.map((r) => r.value),
        values,
      );
      assert.deepEqual(
        (await store.get('g2'))?.rewards.map((r) => r.value),
        [7],
      );
    });

    test('concurrent activations: known ids true, unknown false, activation kept once set', async () => {
      const ok = await Promise.all([store.activate('g3'), store.activate('missing'), store.activate('g1')]);
      assert.deepEqual(ok, [true, false, true]);
      assert.ok((await store.get('g3'))?.activatedAt instanceof Date);
    });
  });
}
