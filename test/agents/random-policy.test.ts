import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EpsilonSoftPolicy, UniformRandomPolicy } from '../../src/agents/random-policy.ts';

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

describe('epsilon-soft policy (a known logging policy built on a greedy one)', () => {
  const greedy = { act: () => ({ action: 2, propensity: 1 }) };
  test('frequencies match the propensities it reports, and they sum to one over allowed actions', () => {
    const policy = new EpsilonSoftPolicy(greedy, 0.4, 3);
    const mask = Uint8Array.of(1, 0, 1, 1, 1);
    const counts = new Map<number, number>();
    const reported = new Map<number, number>();
    const n = 40_000;
    for (let i = 0; i < n; i++) {
      const d = policy.act(new Float32Array(0), { actionMask: mask });
      counts.set(d.action, (counts.get(d.action) ?? 0) + 1);
      reported.set(d.action, d.propensity);
    }
    assert.equal(counts.get(1), undefined, 'a masked action was chosen');
    assert.equal(reported.get(2), 0.6 + 0.4 / 4);
    assert.equal(reported.get(0), 0.4 / 4);
    let total = 0;
    for (const [action, p] of reported) {
      total += p;
      assert.ok(Math.abs((counts.get(action) ?? 0) / n - p) < 0.01, `action ${action}`);
    }
    assert.ok(Math.abs(total - 1) < 1e-12);
  });

  test('coded errors for a bad epsilon and for unknown actions', () => {
    assert.throws(
      () => new EpsilonSoftPolicy(greedy, 1.5),
      (e: unknown) => (e as { code: string }).code === 'E_CONFIG_INVALID',
    );
    assert.throws(
      () => new EpsilonSoftPolicy(greedy, 0.1).act(new Float32Array(0)),
      (e: unknown) => (e as { code: string }).code === 'E_ACTIONS_UNKNOWN',
    );
    const counted = new EpsilonSoftPolicy(greedy, 1, 0, 4).act(new Float32Array(0));
    assert.equal(counted.propensity, 1 / 4);
  });
});
