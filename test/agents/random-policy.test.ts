import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UniformRandomPolicy } from '../../src/agents/random-policy.ts';

describe('uniform random policy', () => {
  test('uniform over allowed actions with exact propensities; seeded; coded error when none is allowed', () => {
    const policy = new UniformRandomPolicy(4, 7);
    const mask = Uint8Array.of(1, 0, 1, 1);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 30_000; i++) {
      const d = policy.act(undefined, { actionMask: mask });
      counts[d.action]++;
      assert.equal(d.propensity, 1 / 3);
    }
    assert.equal(counts[1], 0);
    for (const a of [0, 2, 3]) assert.ok(Math.abs(counts[a] / 30_000 - 1 / 3) < 0.015);
    const a = new UniformRandomPolicy(5, 1);
    const b = new UniformRandomPolicy(5, 1);
    assert.deepEqual(
      Array.from({ length: 20 }, () => a.act().action),
      Array.from({ length: 20 }, () => b.act().action),
    );
    assert.equal(new UniformRandomPolicy(5).act().propensity, 0.2);
    assert.throws(
      () => policy.act(undefined, { actionMask: new Uint8Array(4) }),
      (e: unknown) => (e as { code: string }).code === 'E_NO_ALLOWED_ACTION',
    );
  });
});
