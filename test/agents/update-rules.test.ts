import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { epsilonAt, epsilonGreedy } from '../../src/agents/exploration.ts';
import {
  discountedReturns,
  doubleDqnTargets,
  dqnTargets,
  maskedArgmax,
  priorityFromTdError,
  qLearningUpdate,
  tdLoss,
} from '../../src/agents/update-rules.ts';
import { Rng } from '../../src/core/rng.ts';

const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${a} ≠ ${b}`);

describe('update rules against hand-computed values', () => {
  test('tabular Q-learning step', () => {
    const q = Float64Array.of(1, 2);
    // target = 1 + 0.9 · max(3, 5) = 5.5; error = 5.5 − 2 = 3.5; Q ← 2 + 0.5 · 3.5 = 3.75
    const error = qLearningUpdate(q, 1, 1, Float64Array.of(3, 5), 0.9, 0.5);
    close(error, 3.5);
    close(q[1], 3.75);
    // Terminal: no bootstrap. Masked next action excluded from the max.
    const q2 = Float64Array.of(0);
    qLearningUpdate(q2, 0, 2, null, 0.9, 1);
    close(q2[0], 2);
    const q3 = Float64Array.of(0);
    qLearningUpdate(q3, 0, 0, Float64Array.of(10, 1), 0.5, 1, Uint8Array.of(0, 1));
    close(q3[0], 0.5);
  });

  test('DQN targets: max over allowed actions, γ^k, no bootstrap when terminated', () => {
    const out = new Float32Array(3);
    const nextQ = Float32Array.of(1, 4, 2, /**/ 7, 0, 1, /**/ 9, 9, 9);
    dqnTargets(
      out,
      Float32Array.of(1, 0.5, 3),
      Float32Array.of(0.9, 0.81, 0.9),
      Uint8Array.of(0, 0, 1),
      nextQ,
      3,
      3,
      Uint8Array.of(1, 1, 1, /**/ 0, 1, 1, /**/ 1, 1, 1),
    );
    close(out[0], 1 + 0.9 * 4);
    close(out[1], 0.5 + 0.81 * 1); // action 0 (7) masked: max of (0, 1)
    close(out[2], 3);
  });

  test('Double DQN targets: online network picks, target network evaluates', () => {
    const out = new Float32Array(2);
    const online = Float32Array.of(5, 1, /**/ 0, 2);
    const target = Float32Array.of(0.5, 10, /**/ 3, 4);
    doubleDqnTargets(
      out,
      Float32Array.of(1, 1),
      Float32Array.of(0.5, 0.5),
      Uint8Array.of(0, 0),
      online,
      target,
      2,
      2,
    );
    close(out[0], 1 + 0.5 * 0.5); // online argmax 0 → target 0.5 (plain DQN would use 10)
    close(out[1], 1 + 0.5 * 4);
  });

  test('TD loss: Huber value and gradient at the chosen action only, IS-weighted', () => {
    const dq = new Float32Array(4);
    const errors = new Float32Array(2);
    const q = Float32Array.of(1, 2, 3, 4);
    const loss = tdLoss(
      dq,
      errors,
      q,
      Int32Array.of(1, 0),
      Float32Array.of(1.5, 0),
      Float32Array.of(1, 0.5),
      2,
      2,
      'huber',
      1,
    );
    // residuals: 2 − 1.5 = 0.5 (quadratic: 0.125); 3 − 0 = 3 (linear: 3 − 0.5 = 2.5, weight 0.5 → 1.25)
    close(loss, (0.125 + 1.25) / 2);
    assert.deepEqual([...dq], [0, 0.25, 0.25, 0]);
    assert.deepEqual([...errors], [0.5, 3]);
  });

  test('n-step returns and discounted returns', () => {
    const g = discountedReturns([1, 2, 3], 0.5, 8);
    // G2 = 3 + 0.5·8 = 7; G1 = 2 + 3.5 = 5.5; G0 = 1 + 2.75 = 3.75
    assert.deepEqual([...g], [3.75, 5.5, 7]);
  });

  test('priorities, masked argmax, ε schedule and ε-greedy propensities', () => {
    close(priorityFromTdError(-3, 0.5, 1), 2);
    assert.equal(maskedArgmax([3, 9, 9], 0, 3), 1, 'lowest index on ties');
    assert.equal(maskedArgmax([3, 9, 9], 0, 3, Uint8Array.of(1, 0, 1)), 2);
    close(epsilonAt({ start: 1, end: 0.1, decaySteps: 100, shape: 'linear' }, 50), 0.55);
    close(epsilonAt({ start: 1, end: 0.01, decaySteps: 100, shape: 'exponential' }, 50), 0.1);
    close(epsilonAt({ start: 1, end: 0.1, decaySteps: 100, shape: 'linear' }, 500), 0.1);
    const rng = new Rng(1);
    const counts = [0, 0, 0];
    for (let i = 0; i < 30_000; i++) {
      const c = epsilonGreedy([0, 5, 1], 3, 0.3, rng, Uint8Array.of(1, 1, 0));
      counts[c.action]++;
      close(c.propensity, c.action === 1 ? 0.85 : 0.15);
    }
    assert.equal(counts[2], 0);
    assert.throws(
      () => epsilonGreedy([1, 2], 2, 0.1, rng, Uint8Array.of(0, 0)),
      (e: unknown) => (e as { code: string }).code === 'E_NO_ALLOWED_ACTION',
    );
    close(counts[1] / 30_000, 0.85, 0.01);
  });
});
