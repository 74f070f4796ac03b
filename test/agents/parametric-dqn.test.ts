import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createAgent, loadAgent } from '../../src/agents/create-agent.ts';
import type { EngineError } from '../../src/core/engine-error.ts';
import { Rng } from '../../src/core/rng.ts';
import { box, discrete } from '../../src/core/spaces.ts';
import type { Environment, StepInfo, StepResult } from '../../src/core/types.ts';
import { train } from '../../src/training/train.ts';

/**
 * A catalogue that changes every step: 3–6 candidate items with 3 features each, one of them sometimes
 * out of stock (masked). Reward = s·φ[0:2] + φ[2]: the best item depends on the shopper and the item.
 */
class DynamicCatalogue implements Environment {
  readonly id = 'dynamic-catalogue';
  readonly observationSpace = box([2]);
  readonly actionSpace = discrete(6);
  private rng = new Rng(0);
  private state = new Float32Array(2);
  private info: StepInfo = {};

  private draw(): { observation: Float32Array; info: StepInfo } {
    this.state = Float32Array.from({ length: 2 }, () => this.rng.normal());
    const k = 3 + this.rng.int(4);
    const actionFeatures = Array.from({ length: k }, () =>
      Float32Array.from({ length: 3 }, () => this.rng.normal()),
    );
    const actionMask = new Uint8Array(k).fill(1);
    if (this.rng.float() < 0.5) actionMask[this.rng.int(k)] = 0;
    this.info = { actionFeatures, actionMask };
    return { observation: this.state, info: this.info };
  }

  reward(observation: Float32Array, phi: Float32Array): number {
    return observation[0] * phi[0] + observation[1] * phi[1] + phi[2];
  }

  bestAllowed(observation: Float32Array, info: StepInfo): number {
    let best = -1;
    info.actionFeatures!.forEach((phi, a) => {
      if (
        info.actionMask![a] &&
        (best < 0 || this.reward(observation, phi) > this.reward(observation, info.actionFeatures![best]))
      )
        best = a;
    });
    return best;
  }

  reset(options: { seed?: number } = {}) {
    if (options.seed !== undefined) this.rng = new Rng(options.seed);
    return this.draw();
  }

  step(action: number): StepResult {
    const reward = this.reward(this.state, this.info.actionFeatures![action]);
    const next = this.draw();
    return { observation: next.observation, reward, terminated: true, truncated: false, info: next.info };
  }
}

describe('parametric DQN: Q(s, a) from action features', () => {
  const config = {
    algorithm: 'dqn',
    observationSpace: box([2]),
    actionSpace: discrete(6),
    parametric: true,
    actionFeatureSize: 3,
    gamma: 0,
    seed: 4,
    network: { hidden: [32, 32] },
    learningStarts: 200,
    batchSize: 32,
    epsilon: { start: 1, end: 0.05, decaySteps: 2_000 },
  };

  test('learns to pick the best item from catalogues that change, never a masked one', () => {
    const env = new DynamicCatalogue();
    const agent = createAgent(config);
    train({ environment: env, agent, steps: 6_000, seed: 4 });
    let { observation, info } = env.reset({ seed: 99 });
    let hits = 0;
    const trials = 500;
    for (let i = 0; i < trials; i++) {
      const d = agent.act(observation, {
        actionFeatures: info.actionFeatures!,
        actionMask: info.actionMask!,
        explore: false,
      });
      assert.equal(info.actionMask![d.action], 1);
      if (d.action === env.bestAllowed(observation, info)) hits++;
      ({ observation, info } = env.step(d.action));
    }
    // Random choice among 2–6 allowed items would hit ≈ 30%.
    assert.ok(hits / trials > 0.85, `best item chosen ${hits}/${trials}`);

    const restored = loadAgent(JSON.stringify(agent.toJSON()));
    const candidates = info.actionFeatures!;
    assert.deepEqual(
      restored.act(observation, { actionFeatures: candidates, explore: false }),
      agent.act(observation, { actionFeatures: candidates, explore: false }),
    );
  });

  test('coded errors: missing candidates, wrong feature size, incompatible parts', () => {
    const agent = createAgent(config);
    const code = (run: () => unknown) => {
      try {
        run();
      } catch (e) {
        return (e as EngineError).code;
      }
      return 'none';
    };
    assert.equal(
      code(() => agent.act(new Float32Array(2))),
      'E_ACTION_FEATURES_MISSING',
    );
    assert.equal(
      code(() => agent.act(new Float32Array(2), { actionFeatures: [new Float32Array(2)] })),
      'E_ACTION_FEATURES_SIZE',
    );
    assert.equal(
      code(() =>
        agent.act(new Float32Array(2), {
          actionFeatures: Array.from({ length: 7 }, () => new Float32Array(3)),
        }),
      ),
      'E_TOO_MANY_ACTIONS',
    );
    assert.equal(
      code(() => createAgent({ ...config, dueling: true })),
      'E_CONFIG_INVALID',
    );
    assert.equal(
      code(() => createAgent({ ...config, actionFeatureSize: 0 })),
      'E_CONFIG_INVALID',
    );
  });
});
