import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAgent, loadAgent, type SqnAgent } from '../../src/agents/index.ts';
import { parseConfig } from '../../src/core/config.ts';
import { EngineError } from '../../src/core/engine-error.ts';
import { Rng } from '../../src/core/rng.ts';
import { box, discrete } from '../../src/core/spaces.ts';
import {
  EventLogBuilder,
  prepareConfigSchema,
  prepareLog,
  sequenceTransitions,
} from '../../src/data/index.ts';
import { evaluateNextItem, PopularityModel, SequenceRecommender } from '../../src/evaluation/index.ts';
import { defaultBatchSize } from '../../src/evaluation/next-item/sequence-recommender.ts';
import { decodeFloat32 } from '../../src/numeric/serialize.ts';
import { cycleLog, prepare, t0 } from '../helpers/cycle-log.ts';

/** An SQN agent on sequences of 4 over 6 items, small enough to train in a test. */
function smallSqn(overrides: Record<string, unknown> = {}): SqnAgent {
  return createAgent({
    algorithm: 'sqn',
    observationSpace: box([4]),
    actionSpace: discrete(6),
    learningStarts: 8,
    batchSize: 8,
    seed: 3,
    network: { embedding: 8, hidden: 8 },
    ...overrides,
  }) as SqnAgent;
}

/** Seeded random transitions over 6 items, sequences of 4; item 2 rewards 1, the rest 0.2. */
function feedRandomSessions(agent: SqnAgent, n: number): void {
  const rng = new Rng(1);
  for (let i = 0; i < n; i++) {
    const a = rng.int(6);
    agent.observe({
      observation: Float32Array.from([0, 0, 1 + rng.int(6), 1 + rng.int(6)]),
      action: a,
      reward: a === 2 ? 1 : 0.2,
      nextObservation: Float32Array.from([0, 1 + rng.int(6), 1 + rng.int(6), a + 1]),
      terminated: rng.float() < 0.3,
      truncated: false,
    });
  }
}

describe('SQN agent', () => {
  it('rejects configs and observations it cannot use, with codes', () => {
    assert.throws(
      () => createAgent({ algorithm: 'sqn', observationSpace: discrete(3), actionSpace: discrete(5) }),
      (e: unknown) =>
        e instanceof EngineError && e.code === 'E_CONFIG_INVALID' && /box\(\[k\]\)/.test(e.message),
    );
    const agent = createAgent({
      algorithm: 'sqn',
      observationSpace: box([3]),
      actionSpace: discrete(5),
      kernels: 'reference',
    });
    assert.throws(
      () => agent.act(Float32Array.from([0, 2, 9])),
      (e: unknown) => e instanceof EngineError && e.code === 'E_OBSERVATION_INVALID',
    );
    assert.throws(
      () => agent.act(Float32Array.from([1, 2])),
      (e: unknown) => e instanceof EngineError && e.code === 'E_OBSERVATION_SIZE',
    );
  });

  it('acts greedily with propensity 1, samples with the softmax propensity, and round-trips a snapshot', () => {
    const agent = smallSqn();
    feedRandomSessions(agent, 40);
    assert.equal(agent.stats().updates, 33);
    const state = Float32Array.from([0, 0, 3, 4]);
    const greedy = agent.act(state, { explore: false });
    assert.equal(greedy.propensity, 1);
    const values = greedy.values as Float32Array;
    assert.equal(greedy.action, values.indexOf(Math.max(...values)));
    const sampled = agent.act(state);
    const max = Math.max(...values);
    const z = values.reduce((s, v) => s + Math.exp(v - max), 0);
    assert.ok(Math.abs(sampled.propensity - Math.exp(values[sampled.action] - max) / z) < 1e-6);
    const restored = loadAgent(JSON.parse(JSON.stringify(agent.toJSON()))) as SqnAgent;
    assert.deepEqual(restored.act(state, { explore: false }).values, values);
    assert.equal(restored.stats().updates, 33);
    agent.dispose();
    restored.dispose();
  });

  it('weight decay (AdamW) shrinks the weights, against the same run without it', () => {
    const squaredNorm = (weightDecay: number) => {
      const agent = smallSqn({ learningRate: 0.01, weightDecay, kernels: 'reference' });
      feedRandomSessions(agent, 60);
      const weights = decodeFloat32(agent.toJSON().state.online as string);
      agent.dispose();
      return weights.reduce((sum, w) => sum + w * w, 0);
    };
    const plain = squaredNorm(0);
    const decayed = squaredNorm(0.5);
    assert.ok(decayed < 0.9 * plain, `squared norm ${decayed} with decay, ${plain} without`);
    assert.throws(
      () =>
        createAgent({
          algorithm: 'sqn',
          observationSpace: box([4]),
          actionSpace: discrete(6),
          weightDecay: -1,
        }),
      (e: unknown) =>
        e instanceof EngineError && e.code === 'E_CONFIG_INVALID' && /weightDecay/.test(e.message),
    );
  });

  it('dropout trains reproducibly from the seed, differs from the run without it, and rejects a rate above 0.9', () => {
    const weights = (dropout: number) => {
      const agent = smallSqn({ network: { embedding: 8, hidden: 8, dropout }, kernels: 'reference' });
      feedRandomSessions(agent, 60);
      const online = decodeFloat32(agent.toJSON().state.online as string);
      agent.dispose();
      return online;
    };
    const first = weights(0.3);
    assert.deepEqual(weights(0.3), first, 'one seed must give the same dropout masks and weights');
    assert.notDeepEqual(weights(0), first, 'dropout must change what is learned');
    assert.throws(
      () => smallSqn({ network: { dropout: 0.95 } }),
      (e: unknown) => e instanceof EngineError && e.code === 'E_CONFIG_INVALID' && /dropout/.test(e.message),
    );
  });

  it('learns long-term value: Q prefers the click that leads to a purchase, and CQL stops over-estimation', () => {
    // From A, shoppers click B or C equally often; after B they buy D, after C they click E and leave.
    const builder = new EventLogBuilder();
    const rng = new Rng(9);
    for (let s = 0; s < 600; s++) {
      const viaB = rng.float() < 0.5;
      const events: Array<[string, string]> = viaB
        ? [
            ['A', 'click'],
            ['B', 'click'],
            ['D', 'purchase'],
          ]
        : [
            ['A', 'click'],
            ['C', 'click'],
            ['E', 'click'],
          ];
      for (const [k, [item, type]] of events.entries()) {
        builder.add({ user: `u${s}`, item, type, timestampMs: t0 + s * 3_600_000 + k * 60_000 });
      }
    }
    const prepared = prepare(builder);
    const id = (name: string) => prepared.log.itemIds.indexOf(name);
    const afterA = Int32Array.from([0, 0, id('A') + 1]);
    const train = (cqlAlpha: number) => {
      const model = new SequenceRecommender({
        encoder: 'gru',
        mode: 'sqn',
        epochs: 25,
        keepBest: false,
        length: 3,
        seed: 1,
        agent: {
          batchSize: 64,
          learningRate: 0.01,
          tau: 0.05,
          cqlAlpha,
          network: { embedding: 16, hidden: 16 },
          kernels: 'reference',
        },
      });
      model.fit(prepared);
      const agent = model.agent as SqnAgent;
      const result = { q: agent.scores(afterA, 'q'), logits: agent.scores(afterA, 'supervised') };
      model.dispose();
      return result;
    };
    // γ = 0.5: Q(A,B) = 0.2 + 0.5·1 = 0.7 and Q(A,C) = 0.2 + 0.5·0.2 = 0.3 on the logged actions.
    const plain = train(0);
    assert.ok(Math.abs(plain.q[id('B')] - 0.7) < 0.15, `Q(A,B) = ${plain.q[id('B')]}`);
    assert.ok(
      Math.abs(plain.logits[id('B')] - plain.logits[id('C')]) < 0.5,
      'the supervised head sees a coin flip',
    );
    // Plain Q-learning bootstraps Q(AC, ·) through items never logged after AC (D generalises from
    // AB), so it over-estimates Q(A,C): the failure CQL exists for.
    assert.ok(plain.q[id('C')] > 0.45, `without CQL, Q(A,C) = ${plain.q[id('C')]} should be over-estimated`);
    // The CQL penalty pushes down actions the log never took, and both values come out right.
    const conservative = train(0.3);
    assert.ok(
      Math.abs(conservative.q[id('B')] - 0.7) < 0.15,
      `with CQL, Q(A,B) = ${conservative.q[id('B')]}`,
    );
    assert.ok(
      Math.abs(conservative.q[id('C')] - 0.3) < 0.15,
      `with CQL, Q(A,C) = ${conservative.q[id('C')]}`,
    );
  });

  it('turns a prepared log into sequence transitions with padding, rewards and terminal flags', () => {
    const builder = new EventLogBuilder();
    for (const [k, item] of ['x', 'y', 'z'].entries()) {
      builder.add({ user: 'u', item, type: k === 2 ? 'purchase' : 'click', timestampMs: t0 + k * 1000 });
    }
    const prepared = prepareLog(
      builder.build(),
      parseConfig(prepareConfigSchema, { minItemSupport: 1, split: { validation: 0, test: 0 } }, 'prepare'),
    );
    const t = sequenceTransitions(prepared, { length: 2 });
    const ids = (name: string) => prepared.log.itemIds.indexOf(name) + 1;
    assert.equal(t.size, 3);
    assert.deepEqual([...t.states], [0, 0, 0, ids('x'), ids('x'), ids('y')]);
    assert.deepEqual([...t.nextStates], [0, ids('x'), ids('x'), ids('y'), ids('y'), ids('z')]);
    assert.deepEqual(
      [...t.rewards].map((r) => Math.round(r * 10) / 10),
      [0.2, 0.2, 1],
    );
    assert.deepEqual([...t.terminated], [0, 0, 1]);
  });
});

describe('sequence recommenders on sessions with structure', () => {
  // Sessions walk a chain of 40 items (i → i+1) with occasional jumps; one popular item everywhere.
  const builder = new EventLogBuilder();
  const rng = new Rng(5);
  for (let s = 0; s < 1500; s++) {
    let item = rng.int(40);
    const length = 3 + rng.int(5);
    for (let k = 0; k < length; k++) {
      builder.add({
        user: `u${s}`,
        item: rng.float() < 0.15 ? 'popular' : `i${item}`,
        type: k === length - 1 ? 'purchase' : 'click',
        timestampMs: t0 + s * 3_600_000 + k * 60_000,
      });
      item = rng.float() < 0.9 ? (item + 1) % 40 : rng.int(40);
    }
  }
  const prepared = prepareLog(builder.build(), parseConfig(prepareConfigSchema, {}, 'prepare'));
  const popularity = new PopularityModel();
  popularity.fit(prepared);
  const base = evaluateNextItem(popularity, prepared).groups.click.metrics['hr@5'];

  for (const encoder of ['gru', 'attention'] as const) {
    it(`a ${encoder} encoder learns the chain and beats popularity with intervals apart`, () => {
      const model = new SequenceRecommender({
        encoder,
        mode: 'supervised',
        epochs: 6,
        seed: 2,
        agent: { batchSize: 128, learningRate: 0.005, network: { embedding: 24, hidden: 24, blocks: 1 } },
      });
      model.fit(prepared);
      assert.equal(model.history.length, 6);
      const hr = evaluateNextItem(model, prepared).groups.click.metrics['hr@5'];
      assert.ok(hr.lower > base.upper, `${model.name} HR@5 ${hr.value} vs popularity ${base.value}`);
      assert.ok(hr.value > 0.6, `${model.name} HR@5 ${hr.value}`);
      model.dispose();
    });
  }
});

describe('a sequence model trained on a log: its defaults', () => {
  it('ties its head and drops a quarter of its units unless told otherwise; small logs get smaller batches', () => {
    assert.deepEqual(
      [100_000, 16_384, 16_383, 4_096, 1_678, 10].map(defaultBatchSize),
      [256, 256, 128, 64, 32, 32],
      '256, halved down to 32 until an epoch has 64 steps',
    );
    const prepared = cycleLog(40, 6, ['click']);
    const fitted = (agent: Record<string, unknown>) => {
      const model = new SequenceRecommender({
        encoder: 'gru',
        mode: 'supervised',
        epochs: 1,
        length: 3,
        agent: { kernels: 'reference', ...agent },
      });
      model.fit(prepared);
      const config = model.agent?.config;
      model.dispose();
      if (!config) throw new Error('no agent after fit');
      return config;
    };
    const defaults = fitted({});
    assert.equal(defaults.network.tiedOutput, true, 'tied by default');
    assert.equal(defaults.network.dropout, 0.25, 'dropout 0.25 by default');
    assert.equal(defaults.batchSize, 32, 'a log this small trains in batches of 32');
    const narrow = fitted({ batchSize: 16, network: { embedding: 8, hidden: 4, dropout: 0 } });
    assert.equal(
      narrow.network.tiedOutput,
      false,
      'a GRU narrower than its embedding is not tied, not refused',
    );
    assert.equal(narrow.network.dropout, 0, 'a dropout given is kept');
    assert.equal(narrow.batchSize, 16, 'a batch size given is kept');
  });
});

describe('a saved sequence model reads another log through that log’s event types', () => {
  const log = (types: string[]) => cycleLog(60, 8, types);
  it('same types in another order are read by name; a missing history type is E_MODEL_MISMATCH', () => {
    // Types beyond the canonical ones are numbered in order of first appearance, so logs differ.
    const trainedOn = log(['view', 'wishlist', 'share']);
    const model = new SequenceRecommender({
      encoder: 'gru',
      mode: 'supervised',
      epochs: 1,
      length: 3,
      historyTypes: ['view', 'wishlist'],
      agent: { batchSize: 32, network: { embedding: 8, hidden: 8 }, kernels: 'reference' },
    });
    model.fit(trainedOn);
    const saved = JSON.parse(JSON.stringify(model.toJSON(trainedOn.log.itemIds)));
    model.dispose();
    const reordered = log(['share', 'view', 'wishlist']);
    assert.notDeepEqual(reordered.log.typeNames, trainedOn.log.typeNames);
    const restored = SequenceRecommender.fromJSON(saved, reordered.log.itemIds, reordered.log.typeNames);
    assert.deepEqual(
      (restored as unknown as { typeNames: string[] }).typeNames,
      reordered.log.typeNames,
      "the log's type indices are read through the log's own names",
    );
    restored.dispose();
    const other = log(['view', 'share']);
    assert.throws(
      () => SequenceRecommender.fromJSON(saved, other.log.itemIds, other.log.typeNames),
      (e: unknown) =>
        e instanceof EngineError &&
        e.code === 'E_MODEL_MISMATCH' &&
        /historyTypes.*'wishlist'/.test(e.message),
    );
  });
});
