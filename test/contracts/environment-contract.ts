import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/core/rng.ts';
import { flatSize, spaceContains } from '../../src/core/spaces.ts';
import type { Environment } from '../../src/core/types.ts';

/**
 * The shared suite every Environment must pass: seeded determinism, observations inside the space,
 * valid masks, episodes that end, and a coded error for an action outside the space.
 */
export function environmentContract(name: string, make: () => Environment, maxEpisodeSteps = 10_000): void {
  const rollout = (seed: number, steps: number) => {
    const env = make();
    const rng = new Rng(seed + 1);
    const trace: number[] = [];
    let { observation, info } = env.reset({ seed });
    trace.push(...observation);
    for (let i = 0; i < steps; i++) {
      const n = env.actionSpace.kind === 'discrete' ? env.actionSpace.n : 0;
      let action = rng.int(n);
      if (info.actionMask) while (!info.actionMask[action]) action = rng.int(n);
      const r = env.step(action);
      trace.push(r.reward, r.terminated ? 1 : 0, r.truncated ? 1 : 0, ...r.observation);
      if (r.terminated || r.truncated) ({ observation, info } = env.reset());
      else info = r.info;
    }
    return trace;
  };

  test(`${name}: the same seed gives the same trajectory, another seed another`, () => {
    assert.deepEqual(rollout(3, 300), rollout(3, 300));
    assert.notDeepEqual(rollout(3, 300), rollout(4, 300));
  });

  test(`${name}: observations lie in the observation space, masks allow at least one action`, () => {
    const env = make();
    assert.equal(env.actionSpace.kind, 'discrete');
    const n = env.actionSpace.kind === 'discrete' ? env.actionSpace.n : 0;
    const rng = new Rng(9);
    let { observation, info } = env.reset({ seed: 9 });
    for (let i = 0; i < 500; i++) {
      assert.equal(observation.length, flatSize(env.observationSpace));
      assert.ok(spaceContains(env.observationSpace, observation), `observation ${i} outside the space`);
      if (info.actionMask) {
        assert.equal(info.actionMask.length, n);
        assert.ok(info.actionMask.some((v) => v === 1));
      }
      let action = rng.int(n);
      if (info.actionMask) while (!info.actionMask[action]) action = rng.int(n);
      const r = env.step(action);
      assert.ok(Number.isFinite(r.reward));
      if (r.terminated || r.truncated) ({ observation, info } = env.reset());
      else ({ observation, info } = r);
    }
  });

  test(`${name}: episodes end`, () => {
    const env = make();
    const n = env.actionSpace.kind === 'discrete' ? env.actionSpace.n : 0;
    const rng = new Rng(5);
    let { info } = env.reset({ seed: 5 });
    let steps = 0;
    for (;;) {
      let action = rng.int(n);
      if (info.actionMask) while (!info.actionMask[action]) action = rng.int(n);
      const r = env.step(action);
      steps++;
      if (r.terminated || r.truncated) break;
      info = r.info;
      assert.ok(steps <= maxEpisodeSteps, 'episode did not end');
    }
  });

  test(`${name}: an action outside the space is a coded error`, () => {
    const env = make();
    env.reset({ seed: 1 });
    assert.throws(
      () => env.step(-1),
      (e: unknown) => (e as { code?: string }).code === 'E_ACTION_OUT_OF_RANGE',
    );
  });
}
