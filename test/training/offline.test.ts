import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UniformRandomPolicy } from '../../src/agents/random-policy.ts';
import type { Agent, Policy, Transition } from '../../src/core/types.ts';
import { CHAIN_FORWARD, ChainEnvironment } from '../../src/environments/chain.ts';
import { episodeRange, estimateOffline, logTransitions, trainOffline } from '../../src/training/offline.ts';
import { evaluate } from '../../src/training/train.ts';

/** Records what it is fed; acts like nothing. */
function recorder(): Agent & { seen: Transition[] } {
  const seen: Transition[] = [];
  return {
    algorithm: 'recorder',
    seen,
    act: () => ({ action: 0, propensity: 1 }),
    observe: (t) => {
      seen.push(t);
    },
    toJSON: () => ({ format: 'nextbest.agent', version: 1, algorithm: 'recorder', config: {}, state: {} }),
    stats: () => ({ steps: seen.length, updates: 0, loss: Number.NaN }),
  };
}

describe('offline training and evaluation on logged transitions', () => {
  const chain = () => new ChainEnvironment({ length: 3, maxSteps: 4, slip: 0 });

  test('the log chains each step to the next, and an episode ends in its final observation', () => {
    const log = logTransitions({
      environment: chain(),
      behaviour: new UniformRandomPolicy(2, 1),
      episodes: 5,
      seed: 3,
    });
    assert.deepEqual([...log.episodeStarts], [0, 4, 8, 12, 16, 20]);
    assert.equal(log.finalObservations.length, 5);
    assert.ok([...log.propensities].every((p) => p === 0.5));
    const agent = recorder();
    // 1.5 passes: the second pass starts again at the log's first step.
    trainOffline({ agent, log, steps: 30 });
    assert.equal(agent.seen.length, 30);
    assert.deepEqual(agent.seen[20].observation, agent.seen[0].observation);
    assert.equal(agent.seen[20].action, log.actions[0]);
    for (let i = 0; i < 20; i++) {
      const t = agent.seen[i];
      const last = (i + 1) % 4 === 0;
      assert.equal(t.truncated, last, `step ${i}`);
      assert.equal(t.terminated, false);
      assert.deepEqual(
        t.nextObservation,
        last ? log.finalObservations[(i + 1) / 4 - 1] : log.observations[i + 1],
      );
      assert.equal(t.reward, log.rewards[i]);
    }
    const tail = episodeRange(log, 3, 5);
    assert.deepEqual([...tail.episodeStarts], [0, 4, 8]);
    assert.deepEqual(tail.observations[0], log.observations[12]);
    assert.deepEqual(tail.finalObservations[1], log.finalObservations[4]);
  });

  test('an empty training log is a coded error', () => {
    const log = logTransitions({
      environment: chain(),
      behaviour: new UniformRandomPolicy(2, 1),
      episodes: 2,
    });
    assert.throws(
      () => trainOffline({ agent: recorder(), log: episodeRange(log, 1, 1), steps: 5 }),
      (e: Error & { code?: string }) => e.code === 'E_OFFLINE_EMPTY',
    );
  });

  test("the estimate of a greedy policy's return agrees with the simulator's", () => {
    // Chain with slips: 'always forward' earns the end reward only if the slips allow; uniform logging.
    const options = { length: 3, maxSteps: 4, slip: 0.1, seed: 2 };
    const log = logTransitions({
      environment: new ChainEnvironment(options),
      behaviour: new UniformRandomPolicy(2, 2),
      episodes: 6000,
      seed: 9,
    });
    const forward: Policy = { act: () => ({ action: CHAIN_FORWARD, propensity: 1 }) };
    const estimate = estimateOffline(forward, log, { estimator: 'wpdis', resamples: 200, seed: 1 });
    const truth = evaluate({
      environment: new ChainEnvironment(options),
      policy: forward,
      episodes: 20_000,
      seed: 77,
    }).summary;
    assert.ok(
      estimate.lower < truth.mean && truth.mean < estimate.upper,
      `estimate ${estimate.value} [${estimate.lower}, ${estimate.upper}] vs truth ${truth.mean}`,
    );
    assert.ok(estimate.upper - estimate.lower < 2);
    assert.ok(estimate.value > estimate.logged + 3, 'always forward beats uniform logging');
    // All four steps must match: about 6000 / 2⁴ episodes carry the weight.
    assert.ok(
      estimate.effectiveEpisodes > 200 && estimate.effectiveEpisodes < 600,
      `${estimate.effectiveEpisodes}`,
    );
    // A policy without action values: the doubly robust estimator falls back to its weighted IS twin.
    const fallback = estimateOffline(forward, log, { estimator: 'wdr', pointOnly: true });
    assert.equal(fallback.estimator, 'wpdis');
    assert.equal(fallback.value, estimate.value);
  });
});
