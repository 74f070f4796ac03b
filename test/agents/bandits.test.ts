import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { LinearBanditAgent } from '../../src/agents/bandits/linear-bandit.ts';
import { RidgeModel } from '../../src/agents/bandits/ridge-model.ts';
import { createAgent } from '../../src/agents/create-agent.ts';
import { Rng } from '../../src/core/rng.ts';
import { box, discrete } from '../../src/core/spaces.ts';
import type { Transition } from '../../src/core/types.ts';

/** Linear bandit: x ~ N(0, I_4), reward θ_a·x + N(0, 0.1²) for 5 arms. */
function linearWorld(seed: number) {
  const rng = new Rng(seed);
  const theta = Array.from({ length: 5 }, () => Array.from({ length: 4 }, () => rng.normal()));
  const mean = (x: Float32Array, a: number) => theta[a].reduce((s, t, j) => s + t * x[j], 0);
  return {
    context: () => Float32Array.from({ length: 4 }, () => rng.normal()),
    reward: (x: Float32Array, a: number) => mean(x, a) + 0.1 * rng.normal(),
    best: (x: Float32Array) => [0, 1, 2, 3, 4].reduce((b, a) => (mean(x, a) > mean(x, b) ? a : b), 0),
    mean,
  };
}

const spaces = { observationSpace: box([4]), actionSpace: discrete(5) };

describe('contextual bandits', () => {
  test('ridge model: Sherman–Morrison inverse matches the closed-form solution', () => {
    const m = new RidgeModel(2, 1);
    const data: Array<[number[], number]> = [
      [[1, 0], 2],
      [[0, 1], -1],
      [[1, 1], 1],
    ];
    for (const [z, r] of data) m.update(Float64Array.from(z), r);
    // A = I + Σ z zᵀ = [[3, 1], [1, 3]], b = [3, 0] → θ = A⁻¹ b = [9/8, −3/8].
    const theta = m.coefficients();
    assert.ok(Math.abs(theta[0] - 9 / 8) < 1e-12 && Math.abs(theta[1] + 3 / 8) < 1e-12);
    assert.ok(Math.abs(m.width(Float64Array.of(1, 0)) - 3 / 8) < 1e-12);
  });

  for (const algorithm of ['linucb', 'linear-thompson', 'epsilon-greedy'] as const) {
    test(`${algorithm} learns a linear bandit online`, () => {
      const world = linearWorld(1);
      const agent = createAgent({
        algorithm,
        ...spaces,
        seed: 2,
        ...(algorithm === 'linear-thompson' ? { propensitySamples: 20 } : {}),
      });
      let hits = 0;
      for (let t = 0; t < 1_500; t++) {
        const x = world.context();
        const d = agent.act(x);
        if (t >= 1_000 && d.action === world.best(x)) hits++;
        agent.observe({
          observation: x,
          action: d.action,
          reward: world.reward(x, d.action),
          nextObservation: x,
          terminated: true,
          truncated: false,
        });
      }
      // ε-greedy explores 10% of the time by design; the others keep exploring only where uncertain.
      assert.ok(
        hits / 500 > (algorithm === 'epsilon-greedy' ? 0.85 : 0.9),
        `${algorithm}: best arm ${hits}/500`,
      );
    });
  }

  test('shared model over action features picks the best of changing candidates', () => {
    const rng = new Rng(4);
    const u = Float32Array.of(1, -2, 0.5);
    const agent = createAgent({
      algorithm: 'linucb',
      ...spaces,
      actionSpace: discrete(8),
      actionFeatureSize: 3,
      seed: 1,
      alpha: 0.5,
    });
    let hits = 0;
    for (let t = 0; t < 1_500; t++) {
      const x = Float32Array.from({ length: 4 }, () => rng.normal());
      const k = 2 + rng.int(7);
      const candidates = Array.from({ length: k }, () =>
        Float32Array.from({ length: 3 }, () => rng.normal()),
      );
      const value = (phi: Float32Array) => phi.reduce((s, v, j) => s + v * u[j], 0) + 0.3 * x[0];
      const d = agent.act(x, { actionFeatures: candidates });
      const best = candidates.reduce((b, phi, a) => (value(phi) > value(candidates[b]) ? a : b), 0);
      if (t >= 1_000 && d.action === best) hits++;
      agent.observe({
        observation: x,
        action: d.action,
        reward: value(candidates[d.action]) + 0.1 * rng.normal(),
        nextObservation: x,
        terminated: true,
        truncated: false,
        actionFeatures: candidates,
      });
    }
    assert.ok(hits / 500 > 0.9, `best candidate ${hits}/500`);
  });

  test('importance-weighted fitting from skewed logs beats the logging policy', () => {
    const world = linearWorld(7);
    const rng = new Rng(8);
    // Logging policy: prefers arm 0 (60%), the rest uniformly; propensities recorded.
    const logs: Transition[] = [];
    let loggingValue = 0;
    for (let t = 0; t < 4_000; t++) {
      const x = world.context();
      const a = rng.float() < 0.6 ? 0 : 1 + rng.int(4);
      const propensity = a === 0 ? 0.6 : 0.1;
      loggingValue += world.mean(x, a);
      logs.push({
        observation: x,
        action: a,
        reward: world.reward(x, a),
        nextObservation: x,
        terminated: true,
        truncated: false,
        propensity,
      });
    }
    const agent = createAgent({ algorithm: 'linucb', ...spaces, seed: 1 }) as LinearBanditAgent;
    agent.fitFromLogs(logs);
    let learnedValue = 0;
    let optimalValue = 0;
    for (let t = 0; t < 2_000; t++) {
      const x = world.context();
      learnedValue += world.mean(x, agent.act(x, { explore: false }).action);
      optimalValue += world.mean(x, world.best(x));
    }
    assert.ok(
      learnedValue / 2_000 > loggingValue / 4_000 + 0.5,
      `learned ${learnedValue / 2_000} vs logging ${loggingValue / 4_000}`,
    );
    assert.ok(
      learnedValue / optimalValue > 0.95,
      `learned ${learnedValue / 2_000} vs optimal ${optimalValue / 2_000}`,
    );
    assert.throws(() => agent.fitFromLogs([{ ...logs[0], propensity: undefined }]), /propensity/);
  });

  test('Thompson sampling propensities match how often each action is chosen', () => {
    const world = linearWorld(3);
    const agent = createAgent({
      algorithm: 'linear-thompson',
      ...spaces,
      seed: 5,
      propensitySamples: 400,
      posteriorScale: 2,
    });
    for (let t = 0; t < 30; t++) {
      const x = world.context();
      const d = agent.act(x);
      agent.observe({
        observation: x,
        action: d.action,
        reward: world.reward(x, d.action),
        nextObservation: x,
        terminated: true,
        truncated: false,
      });
    }
    const x = world.context();
    const counts = new Map<number, number>();
    const reported = new Map<number, number[]>();
    const trials = 1_500;
    for (let t = 0; t < trials; t++) {
      const d = agent.act(x);
      counts.set(d.action, (counts.get(d.action) ?? 0) + 1);
      reported.set(d.action, [...(reported.get(d.action) ?? []), d.propensity]);
    }
    for (const [action, count] of counts) {
      const values = reported.get(action)!;
      const meanReported = values.reduce((a, b) => a + b, 0) / values.length;
      assert.ok(
        Math.abs(count / trials - meanReported) < 0.05,
        `action ${action}: chosen ${count / trials}, reported ${meanReported}`,
      );
    }
  });
});

describe('softmax/ε policy over any scorer', () => {
  test('exact propensities, masks, and a distribution that sums to one', async () => {
    const { SoftmaxPolicy } = await import('../../src/agents/bandits/softmax-policy.ts');
    const scorer = { act: () => ({ action: 0, propensity: 1, values: Float32Array.of(1, 2, 3) }) };
    const policy = new SoftmaxPolicy(scorer, { temperature: 1, epsilon: 0.3, seed: 1 });
    const x = new Float32Array(1);
    const e = [Math.exp(1), Math.exp(2), Math.exp(3)];
    const total = e[0] + e[1] + e[2];
    const expected = e.map((v) => 0.7 * (v / total) + 0.1);
    const p = policy.distribution(x);
    for (let a = 0; a < 3; a++) assert.ok(Math.abs(p[a] - expected[a]) < 1e-12);
    const masked = policy.distribution(x, { actionMask: Uint8Array.of(1, 0, 1) });
    assert.equal(masked[1], 0);
    assert.ok(Math.abs(masked[0] + masked[2] - 1) < 1e-12);
    const counts = [0, 0, 0];
    for (let i = 0; i < 20_000; i++) {
      const d = policy.act(x);
      counts[d.action]++;
      assert.ok(Math.abs(d.propensity - expected[d.action]) < 1e-12);
    }
    for (let a = 0; a < 3; a++) assert.ok(Math.abs(counts[a] / 20_000 - expected[a]) < 0.015);
  });
});

describe('hybrid LinUCB (Li et al. 2010, Algorithm 2)', () => {
  test('without shared features it makes exactly the decisions of disjoint LinUCB', () => {
    const world = linearWorld(11);
    const hybrid = createAgent({ algorithm: 'hybrid-linucb', ...spaces, seed: 1, alpha: 0.7 });
    const disjoint = createAgent({ algorithm: 'linucb', ...spaces, seed: 1, alpha: 0.7 });
    for (let t = 0; t < 300; t++) {
      const x = world.context();
      const a = hybrid.act(x);
      const b = disjoint.act(x);
      assert.equal(a.action, b.action, `step ${t}`);
      const r = world.reward(x, a.action);
      for (const agent of [hybrid, disjoint])
        agent.observe({
          observation: x,
          action: a.action,
          reward: r,
          nextObservation: x,
          terminated: true,
          truncated: false,
        });
    }
  });

  test('learns shared and per-arm effects', () => {
    // r = z_a·β + x·θ_a + noise, 6 arms with 2 shared features each (fixed per arm).
    const rng = new Rng(21);
    const beta = [1.5, -1];
    const z = Array.from({ length: 6 }, () => Float32Array.from({ length: 2 }, () => rng.normal()));
    const theta = Array.from({ length: 6 }, () => Array.from({ length: 3 }, () => 0.5 * rng.normal()));
    const mean = (x: Float32Array, a: number) =>
      beta[0] * z[a][0] + beta[1] * z[a][1] + theta[a].reduce((s, t, j) => s + t * x[j], 0);
    const agent = createAgent({
      algorithm: 'hybrid-linucb',
      observationSpace: box([3]),
      actionSpace: discrete(6),
      actionFeatureSize: 2,
      seed: 2,
      alpha: 0.5,
    });
    let hits = 0;
    for (let t = 0; t < 1_500; t++) {
      const x = Float32Array.from({ length: 3 }, () => rng.normal());
      const d = agent.act(x, { actionFeatures: z });
      const best = [0, 1, 2, 3, 4, 5].reduce((b, a) => (mean(x, a) > mean(x, b) ? a : b), 0);
      if (t >= 1_000 && d.action === best) hits++;
      agent.observe({
        observation: x,
        action: d.action,
        reward: mean(x, d.action) + 0.1 * rng.normal(),
        nextObservation: x,
        terminated: true,
        truncated: false,
        actionFeatures: z,
      });
    }
    assert.ok(hits / 500 > 0.9, `best arm ${hits}/500`);
  });
});
