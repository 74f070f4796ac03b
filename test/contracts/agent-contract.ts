import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAgent, loadAgent } from '../../src/agents/create-agent.ts';
import { Rng } from '../../src/core/rng.ts';
import type { Agent } from '../../src/core/types.ts';

/**
 * The shared suite every Agent must pass: valid actions with propensities in (0, 1], masks respected,
 * seeded determinism, and an exact toJSON()/loadAgent() round-trip through JSON text.
 */
export function agentContract(
  name: string,
  config: Record<string, unknown>,
  observationSize: number,
  actions: number,
) {
  const observations = (seed: number, count: number) => {
    const rng = new Rng(seed);
    return Array.from({ length: count }, () =>
      Float32Array.from({ length: observationSize }, () => rng.normal()),
    );
  };

  const exercise = (agent: Agent, steps: number) => {
    const obs = observations(11, steps + 1);
    const chosen: number[] = [];
    for (let i = 0; i < steps; i++) {
      const d = agent.act(obs[i]);
      chosen.push(d.action);
      agent.observe({
        observation: obs[i],
        action: d.action,
        reward: (d.action === 0 ? 1 : 0) + obs[i][0],
        nextObservation: obs[i + 1],
        terminated: i % 17 === 16,
        truncated: i % 23 === 22,
        propensity: d.propensity,
      });
    }
    return chosen;
  };

  test(`${name}: acts inside the action space with a propensity in (0, 1]`, () => {
    const agent = createAgent(config);
    for (const o of observations(1, 50)) {
      const d = agent.act(o);
      assert.ok(Number.isInteger(d.action) && d.action >= 0 && d.action < actions);
      assert.ok(d.propensity > 0 && d.propensity <= 1, `propensity ${d.propensity}`);
    }
    agent.dispose?.();
  });

  test(`${name}: never picks a masked action`, () => {
    const agent = createAgent(config);
    const mask = new Uint8Array(actions);
    mask[actions - 1] = 1;
    for (const o of observations(2, 30)) assert.equal(agent.act(o, { actionMask: mask }).action, actions - 1);
    assert.throws(
      () => agent.act(observations(3, 1)[0], { actionMask: new Uint8Array(actions) }),
      (e: unknown) => (e as { code?: string }).code === 'E_NO_ALLOWED_ACTION',
    );
    agent.dispose?.();
  });

  test(`${name}: the same seed gives the same decisions`, () => {
    const a = createAgent(config);
    const b = createAgent(config);
    assert.deepEqual(exercise(a, 300), exercise(b, 300));
    a.dispose?.();
    b.dispose?.();
  });

  test(`${name}: a snapshot restores identical greedy actions and values through JSON`, () => {
    const agent = createAgent(config);
    exercise(agent, 300);
    const restored = loadAgent(JSON.stringify(agent.toJSON()));
    assert.deepEqual(restored.stats().steps, agent.stats().steps);
    for (const o of observations(4, 40)) {
      const x = agent.act(o, { explore: false });
      const y = restored.act(o, { explore: false });
      assert.equal(y.action, x.action);
      assert.deepEqual(y.values, x.values);
    }
    // Exploration continues identically too: the RNG state is part of the snapshot.
    const o = observations(5, 20);
    assert.deepEqual(
      o.map((v) => agent.act(v).action),
      o.map((v) => restored.act(v).action),
    );
    agent.dispose?.();
    restored.dispose?.();
  });
}
