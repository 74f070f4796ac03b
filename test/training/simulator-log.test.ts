import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EpsilonSoftPolicy, UniformRandomPolicy } from '../../src/agents/random-policy.ts';
import { parseConfig } from '../../src/core/config.ts';
import type { Environment, Policy } from '../../src/core/types.ts';
import { countByType } from '../../src/data/event-log.ts';
import { prepareLog } from '../../src/data/prepare.ts';
import { prepareConfigSchema } from '../../src/data/prepare-config.ts';
import { ChainEnvironment } from '../../src/environments/chain.ts';
import { EcommerceEnvironment } from '../../src/environments/ecommerce.ts';
import { ItemHistoryEnvironment } from '../../src/environments/item-history.ts';
import { SequenceRecommender } from '../../src/evaluation/next-item/sequence-recommender.ts';
import { welchDifference } from '../../src/evaluation/statistics.ts';
import { baselineFor } from '../../src/experiments/baselines.ts';
import {
  prepareSimulatorLog,
  replayLoggedPeriod,
  simulatorEventLog,
} from '../../src/training/simulator-log.ts';
import { evaluate } from '../../src/training/train.ts';

const world = { seed: 2, items: 30, categories: 4, clickbaitFraction: 0.2 };

describe('event logs written by the ecommerce simulator', () => {
  const env = new EcommerceEnvironment(world);
  const behaviour = new EpsilonSoftPolicy(baselineFor('ecommerce', 'most-popular').make(env, 1), 0.5, 1);
  const sim = simulatorEventLog({ environment: env, behaviour, episodes: 200, seed: 4 });

  it('writes one event per step with the outcome, the shopper and the exact propensity', () => {
    const { log, episodes, returns } = sim;
    assert.equal(log.length, episodes.actions.length);
    assert.equal(log.sessionIds.length, 200);
    for (let i = 0; i < log.length; i++) {
      assert.equal(log.propensities[i], episodes.loggingPropensities[i]);
      assert.ok(log.propensities[i] > 0 && log.propensities[i] <= 1);
      // The whole-catalogue ecommerce simulator's action is the item id.
      assert.equal(log.itemIds[log.items[i]], String(episodes.actions[i]));
      assert.match(log.userIds[log.users[i]], /^u\d+$/);
    }
    // The shaped reward (purchase 1, click or cart 0.5) is recoverable from the event types.
    const counts = countByType(log);
    const fromTypes = counts.purchase + 0.5 * (counts.click + counts.cart);
    const total = returns.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(fromTypes - total) < 1e-9, `${fromTypes} vs ${total}`);
    assert.ok(counts.impression > 0 && counts.click > 0 && counts.purchase > 0);
    // Returns are per episode and add up to the logged rewards.
    const logged = episodes.rewards.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(logged - total) < 1e-9);
  });

  it('is seeded: the same seed writes the same log', () => {
    const again = simulatorEventLog({
      environment: new EcommerceEnvironment(world),
      behaviour: new EpsilonSoftPolicy(
        baselineFor('ecommerce', 'most-popular').make(new EcommerceEnvironment(world), 1),
        0.5,
        1,
      ),
      episodes: 200,
      seed: 4,
    });
    assert.deepEqual(again.returns, sim.returns);
    assert.deepEqual(
      again.log.items.subarray(0, again.log.length),
      sim.log.items.subarray(0, sim.log.length),
    );
  });

  it('refuses a simulator that does not say which item it showed', () => {
    assert.throws(
      () =>
        simulatorEventLog({
          environment: new ChainEnvironment(),
          behaviour: new UniformRandomPolicy(2, 1),
          episodes: 1,
        }),
      (e: Error & { code?: string }) => e.code === 'E_LOG_ENVIRONMENT',
    );
  });

  it('lets a model trained on the log act in the simulator: observations are the clicked items', () => {
    const prepared = prepareLog(
      sim.log,
      parseConfig(prepareConfigSchema, { sessions: 'given', minItemSupport: 1, minSessionLength: 1 }, 'p'),
    );
    const itemIds = prepared.log.itemIds;
    for (const impressions of [false, true]) {
      const wrapped = new ItemHistoryEnvironment(new EcommerceEnvironment(world), {
        itemIds,
        length: 3,
        impressions,
      });
      const random = new UniformRandomPolicy(itemIds.length, 9);
      let { observation, info } = wrapped.reset({ seed: 1 });
      assert.deepEqual([...observation], [0, 0, 0]);
      const expected: number[] = [];
      for (let t = 0; t < 40; t++) {
        const mask = info.actionMask as Uint8Array;
        assert.equal(mask.length, itemIds.length);
        const { action } = random.act(observation, { actionMask: mask });
        const step = wrapped.step(action);
        // The inner simulator showed exactly the chosen log item.
        assert.equal(String(step.info.item), itemIds[action]);
        if (step.info.clicked === true) expected.push(action + 1);
        else if (impressions) expected.push(itemIds.length + action + 1);
        const tail = expected.slice(-3);
        assert.deepEqual([...step.observation], [...Array(3 - tail.length).fill(0), ...tail]);
        if (step.terminated || step.truncated) break;
        observation = step.observation;
        info = step.info;
      }
    }
  });

  it('keeps the shopper’s visible profile as user attributes, and serves it back to a model that reads it', () => {
    const { log } = sim;
    const tiers = log.userAttributes.priceTier;
    assert.ok(tiers, 'the log has a priceTier user attribute');
    const seen = new Set(log.users.subarray(0, log.length));
    for (const user of seen)
      assert.ok([0, 0.5, 1].includes(tiers[user] as number), `user ${user}: ${tiers[user]}`);
    assert.ok(new Set([...seen].map((u) => tiers[u])).size > 1, 'shoppers differ in tier');
    const prepared = prepareSimulatorLog(log);
    const model = new SequenceRecommender({
      mode: 'supervised',
      epochs: 1,
      length: 3,
      context: { userAttributes: ['priceTier:categorical'] },
      agent: { batchSize: 64, network: { embedding: 8, hidden: 8 }, kernels: 'reference' },
    });
    model.fit(prepared);
    const encoder = model.contextEncoder;
    assert.ok(encoder);
    const wrapped = new ItemHistoryEnvironment(new EcommerceEnvironment(world), {
      itemIds: prepared.log.itemIds,
      length: 3,
      context: {
        features: encoder.size,
        encode: (info, out, at) =>
          encoder.encode((name) => (info.profile as Record<string, number>)[name], 0, out, at),
      },
    });
    const { observation, info } = wrapped.reset({ seed: 3 });
    assert.equal(observation.length, 3 + encoder.size);
    const expected = new Float32Array(encoder.size);
    encoder.encode((name) => (info.profile as Record<string, number>)[name], 0, expected, 0);
    assert.deepEqual([...observation.subarray(3)], [...expected]);
    assert.equal(
      expected.reduce((a, b) => a + b),
      1,
      'one tier is set',
    );
    const agent = model.agent;
    assert.ok(agent);
    const { action } = agent.act(observation, { actionMask: info.actionMask as Uint8Array });
    assert.ok(action >= 0 && action < prepared.log.itemIds.length);
    model.dispose();
  });

  it('maps candidate-mode simulators and refuses masked or unknown actions with codes', () => {
    const inner = new EcommerceEnvironment({ ...world, candidates: 5 });
    const itemIds = Array.from({ length: 30 }, (_, i) => String(i));
    const wrapped = new ItemHistoryEnvironment(inner, { itemIds, length: 2 });
    const { info } = wrapped.reset({ seed: 3 });
    const mask = info.actionMask as Uint8Array;
    const offered = [...(info.candidates as Int32Array)].sort((a, b) => a - b);
    assert.deepEqual(
      [...mask.keys()].filter((i) => mask[i]),
      offered,
    );
    const blocked = mask.indexOf(0);
    assert.throws(
      () => wrapped.step(blocked),
      (e: Error & { code?: string }) => e.code === 'E_ACTION_MASKED',
    );
    assert.throws(
      () => wrapped.step(99),
      (e: Error & { code?: string }) => e.code === 'E_ACTION_OUT_OF_RANGE',
    );
    const step = wrapped.step(offered[0]);
    assert.equal(step.info.item, offered[0]);
    assert.throws(
      () => new ItemHistoryEnvironment(inner, { itemIds: ['3', 'shoe'], length: 2 }),
      (e: Error & { code?: string }) => e.code === 'E_CONFIG_INVALID' && /shoe/.test(e.message),
    );
  });
});

describe('offline training on a simulator log, checked online against the truth', () => {
  it('an SQN Q-head trained only on the log earns more in the simulator than the behaviour policy', () => {
    const options = { seed: 1, candidates: 20, clickbaitFraction: 0.2 };
    const episodes = 1_000;
    const behaviourFor = (env: EcommerceEnvironment) =>
      new EpsilonSoftPolicy(baselineFor('ecommerce', 'most-popular').make(env, 1), 0.5, 1);
    const logEnvironment = new EcommerceEnvironment(options);
    const sim = simulatorEventLog({
      environment: logEnvironment,
      behaviour: behaviourFor(logEnvironment),
      episodes,
      seed: 1,
    });
    const prepared = prepareSimulatorLog(sim.log);
    const model = new SequenceRecommender({
      mode: 'sqn',
      epochs: 2,
      seed: 1,
      historyTypes: ['click', 'cart', 'purchase'],
      impressionTypes: ['impression'],
      rewards: { impression: 0, click: 0.5, cart: 0.5, purchase: 1 },
      agent: { actWith: 'q', gamma: 0.5, cqlAlpha: 0.5, learningRate: 0.003 },
    });
    model.fit(prepared);
    const afterLog = () => {
      const environment = new EcommerceEnvironment(options);
      const behaviour = behaviourFor(environment);
      replayLoggedPeriod({ environment, behaviour, episodes, seed: 1 });
      return { environment, behaviour };
    };
    const run = (environment: Environment, policy: Policy) =>
      evaluate({ environment, policy, episodes: 300, seed: 99 }).returns;
    const continuing = afterLog();
    const behaviourReturns = run(continuing.environment, continuing.behaviour);
    const learned = run(
      new ItemHistoryEnvironment(afterLog().environment, {
        itemIds: prepared.log.itemIds,
        length: 10,
        impressions: true,
      }),
      model.agent as Policy,
    );
    const d = welchDifference(learned, behaviourReturns);
    assert.ok(
      d.lower > 0,
      `learned − behaviour = ${d.difference.toFixed(3)} [${d.lower.toFixed(3)}, ${d.upper.toFixed(3)}]`,
    );
    model.dispose();
  });
});
