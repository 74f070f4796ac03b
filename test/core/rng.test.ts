import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { deriveSeed, Rng } from '../../src/core/rng.ts';
import { summarize, tCritical } from '../../src/evaluation/statistics.ts';

describe('seeded randomness and statistics', () => {
  test('same seed, same stream; state round-trips; splits are independent', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const xs = Array.from({ length: 100 }, () => a.nextUint32());
    assert.deepEqual(
      xs,
      Array.from({ length: 100 }, () => b.nextUint32()),
    );
    const restored = Rng.fromState(a.state());
    assert.equal(restored.float(), a.float());
    const child = a.split();
    assert.notEqual(child.nextUint32(), a.nextUint32());
    assert.notEqual(deriveSeed(1, 0), deriveSeed(1, 1));
    assert.notEqual(new Rng(2 ** 40).nextUint32(), new Rng(2 ** 40 + 1).nextUint32());
  });

  test('uniform integers are unbiased; normals have mean 0 and variance 1', () => {
    const rng = new Rng(7);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 60_000; i++) counts[rng.int(6)]++;
    for (const c of counts) assert.ok(Math.abs(c - 10_000) < 400, `count ${c}`);
    const normals = Array.from({ length: 50_000 }, () => rng.normal());
    const s = summarize(normals);
    assert.ok(Math.abs(s.mean) < 0.02);
    assert.ok(Math.abs(s.std - 1) < 0.02);
    const gammas = Array.from({ length: 20_000 }, () => rng.gamma(2.5));
    assert.ok(Math.abs(summarize(gammas).mean - 2.5) < 0.05);
    assert.ok(Math.abs(rng.int(2 ** 40) - 2 ** 39) < 2 ** 40);
  });

  test('Student-t critical values and confidence intervals', () => {
    assert.equal(tCritical(4), 2.776);
    assert.ok(Math.abs(tCritical(100) - 1.984) < 0.002);
    assert.ok(Math.abs(tCritical(10, 0.9) - 1.812) < 0.005);
    const s = summarize([1, 2, 3, 4, 5]);
    assert.equal(s.mean, 3);
    assert.ok(Math.abs(s.halfWidth - (2.776 * Math.sqrt(2.5)) / Math.sqrt(5)) < 1e-9);
  });
});
