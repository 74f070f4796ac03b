import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../../src/core/rng.ts';
import { NStepAccumulator } from '../../src/replay/n-step.ts';
import { PrioritizedReplay } from '../../src/replay/prioritized-replay.ts';
import { createBatch } from '../../src/replay/replay-batch.ts';
import { SumTree } from '../../src/replay/sum-tree.ts';
import { UniformReplay } from '../../src/replay/uniform-replay.ts';

const obs = (v: number) => Float32Array.of(v);

describe('replay', () => {
  test('sum tree totals, minimum and prefix-sum search', () => {
    const tree = new SumTree(5);
    for (const [i, p] of [3, 1, 4, 1, 5].entries()) tree.set(i, p);
    assert.equal(tree.total, 14);
    assert.equal(tree.min, 1);
    // cumulative: [0,3) → 0, [3,4) → 1, [4,8) → 2, [8,9) → 3, [9,14) → 4
    assert.deepEqual(
      [0, 2.99, 3, 3.5, 4, 7.99, 8, 9, 13.99].map((m) => tree.find(m)),
      [0, 0, 1, 1, 2, 2, 3, 4, 4],
    );
    tree.set(4, 0);
    assert.equal(tree.total, 9);
    assert.equal(tree.min, 0);
    assert.equal(tree.find(8.5), 3, 'a zero-priority leaf is never returned');
  });

  test('uniform replay is a ring: old transitions are overwritten', () => {
    const replay = new UniformReplay(3, 1, 2, false);
    for (let i = 0; i < 5; i++) {
      replay.add({
        observation: obs(i),
        action: i % 2,
        reward: i,
        nextObservation: obs(i + 1),
        terminated: false,
        gammaPower: 0.9,
      });
    }
    assert.equal(replay.size, 3);
    const batch = createBatch(200, 1, 2, false);
    replay.sample(batch, new Rng(1));
    const seen = new Set(batch.rewards);
    assert.deepEqual([...seen].sort(), [2, 3, 4]);
    for (let i = 0; i < 200; i++) assert.equal(batch.nextObservations[i], batch.observations[i] + 1);
  });

  test('prioritised replay samples ∝ priority and weights by (N·P)^−β / max', () => {
    const replay = new PrioritizedReplay(4, 1, 2, false);
    for (let i = 0; i < 4; i++) {
      replay.add({
        observation: obs(i),
        action: 0,
        reward: i,
        nextObservation: obs(i),
        terminated: false,
        gammaPower: 1,
      });
    }
    replay.updatePriorities(Int32Array.of(0, 1, 2, 3), [1, 2, 3, 4], 4);
    const batch = createBatch(1000, 1, 2, false);
    const counts = [0, 0, 0, 0];
    const rng = new Rng(2);
    for (let r = 0; r < 20; r++) {
      replay.sampleWithPriority(batch, rng, 1);
      for (let i = 0; i < batch.size; i++) counts[batch.indices[i]]++;
    }
    for (const [i, c] of counts.entries())
      assert.ok(Math.abs(c / 20_000 - (i + 1) / 10) < 0.01, `index ${i}: ${c}`);
    // β = 1: w_i = (N·p_i/Σ)^−1 / (N·p_min/Σ)^−1 = p_min / p_i.
    replay.sampleWithPriority(batch, rng, 1);
    for (let i = 0; i < 50; i++) {
      const p = batch.indices[i] + 1;
      assert.ok(Math.abs(batch.weights[i] - 1 / p) < 1e-9);
    }
    // New transitions enter with the maximum priority seen.
    replay.add({
      observation: obs(9),
      action: 0,
      reward: 9,
      nextObservation: obs(9),
      terminated: false,
      gammaPower: 1,
    });
    assert.equal(replay.priority(0), 4);
  });

  test('n-step accumulator: 2-step returns, flush at termination, bootstrap after truncation', () => {
    const acc = new NStepAccumulator(2, 0.5);
    assert.equal(acc.push(obs(0), 0, 1, obs(1), false, false).length, 0);
    const first = acc.push(obs(1), 1, 2, obs(2), false, false);
    assert.equal(first.length, 1);
    assert.equal(first[0].reward, 1 + 0.5 * 2);
    assert.equal(first[0].gammaPower, 0.25);
    assert.equal(first[0].nextObservation[0], 2);
    const end = acc.push(obs(2), 0, 4, obs(3), true, false);
    assert.deepEqual(
      end.map((t) => [t.observation[0], t.reward, t.gammaPower, t.terminated]),
      [
        [1, 2 + 0.5 * 4, 0.25, true],
        [2, 4, 0.5, true],
      ],
    );
    const truncated = acc.push(obs(7), 1, 1, obs(8), false, true);
    assert.deepEqual(
      truncated.map((t) => [t.reward, t.gammaPower, t.terminated, t.nextObservation[0]]),
      [[1, 0.5, false, 8]],
    );
  });
});
