import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../../src/core/config.ts';
import { EngineError } from '../../src/core/engine-error.ts';
import { Rng } from '../../src/core/rng.ts';
import { ContextEncoder } from '../../src/data/context-features.ts';
import {
  EventLogBuilder,
  prepareConfigSchema,
  prepareLog,
  sequenceTransitions,
} from '../../src/data/index.ts';
import { evaluateNextItem, SequenceRecommender } from '../../src/evaluation/index.ts';

import { segmentLog, segmentModelOptions } from '../helpers/segment-log.ts';

const t0 = Date.UTC(2024, 0, 1);
const HOUR = 3_600_000;

describe('user and context features', () => {
  const prepared = segmentLog();

  it('the encoder fits on training users only, and encodes numbers, categories, gaps and time', () => {
    const encoder = ContextEncoder.fit(prepared, {
      userAttributes: ['segment', 'age', 'age:categorical'],
      time: true,
      maxCategories: 5,
    });
    // age: z-score + missing flag; segment: 5 kept + other; age as categories: 5 + other; time: 4.
    assert.equal(encoder.size, 2 + 6 + 6 + 4);
    const names = encoder.names();
    assert.equal(names.length, encoder.size);
    for (const name of ['segment=other', 'age', 'age missing', 'age=other', 'hour sin', 'weekday cos']) {
      assert.ok(names.includes(name), name);
    }
    const out = new Float32Array(encoder.size);
    // 06:00 UTC: the hour sits a quarter round the circle.
    encoder.encode((name) => ({ segment: 'unheard-of', age: 41 })[name], Date.UTC(2024, 0, 1, 6), out, 0);
    const age = encoder.toJSON().columns[1];
    assert.equal(age.kind, 'numeric');
    if (age.kind === 'numeric') assert.ok(Math.abs(out[6] - (41 - age.mean) / age.std) < 1e-5);
    assert.equal(out[7], 0, 'age is present');
    assert.equal(out[5], 1, "an unseen segment sets the 'other' feature");
    assert.equal(
      out.slice(0, 5).reduce((a, b) => a + b),
      0,
    );
    assert.ok(Math.abs(out[14] - 1) < 1e-6 && Math.abs(out[15]) < 1e-6, 'hour sin/cos at 06:00');
    encoder.encode(() => null, t0, out, 0);
    assert.equal(out[6], 0);
    assert.equal(out[7], 1, 'a missing number sets its flag');
    assert.equal(
      out.slice(0, 6).reduce((a, b) => a + b),
      0,
      'a missing category sets nothing',
    );
    // The round trip through a model file keeps every statistic.
    const again = ContextEncoder.fromJSON(JSON.parse(JSON.stringify(encoder.toJSON())));
    assert.deepEqual(again.toJSON(), encoder.toJSON());
    // Only training users enter the statistics: a test-period user with age 10,000 does not move the mean.
    const skewed = new EventLogBuilder();
    for (let u = 0; u < 100; u++) {
      const age = u >= 90 ? 10_000 : 30;
      for (let k = 0; k < 2; k++) {
        skewed.add({
          user: `u${u}`,
          item: `i${(u + k) % 5}`,
          type: 'click',
          timestampMs: t0 + u * HOUR + k * 60_000,
          userAttributes: { age },
        });
      }
    }
    const split = prepareLog(
      skewed.build(),
      parseConfig(prepareConfigSchema, { minItemSupport: 1, split: { validation: 0, test: 0.1 } }, 'prepare'),
    );
    const fitted = ContextEncoder.fit(split, { userAttributes: ['age'] }).toJSON().columns[0];
    assert.ok(fitted.kind === 'numeric' && fitted.mean === 30, JSON.stringify(fitted));
  });

  it('names what is wrong with a feature spec, with codes', () => {
    assert.throws(
      () => ContextEncoder.fit(prepared, { userAttributes: ['income'] }),
      (e: unknown) =>
        e instanceof EngineError && e.code === 'E_ATTRIBUTE_UNKNOWN' && /segment, age/.test(e.hint ?? ''),
    );
    assert.throws(
      () => ContextEncoder.fit(prepared, { userAttributes: ['segment:numeric'] }),
      (e: unknown) => e instanceof EngineError && e.code === 'E_ATTRIBUTE_NOT_NUMERIC',
    );
    assert.throws(() => ContextEncoder.fromJSON({ columns: 3 }), /unreadable context encoder/);
  });

  it('transitions carry each state’s features, and the next state’s at the next event’s time', () => {
    const encoder = ContextEncoder.fit(prepared, { userAttributes: ['segment'], time: true });
    const t = sequenceTransitions(prepared, { length: 2, context: encoder });
    assert.equal(t.features, encoder.size);
    assert.equal(t.contexts.length, t.size * encoder.size);
    const F = encoder.size;
    const row = new Float32Array(F);
    const { log } = prepared;
    // Row 0 is the first training event after the first one of a session: its user's segment.
    const first = prepared.sessionStarts[prepared.sessionPart.indexOf(0)];
    encoder.encodeUser(log, log.users[first], log.timestamps[first], row, 0);
    assert.deepEqual(Array.from(t.contexts.subarray(0, F)), Array.from(row));
    encoder.encodeUser(log, log.users[first], log.timestamps[first + 1], row, 0);
    assert.deepEqual(Array.from(t.nextContexts.subarray(0, F)), Array.from(row));
  });

  it('with the segment as a feature, SQN ranks the segment’s item first; from the sequence alone it cannot', () => {
    const train = (context?: { userAttributes: string[] }) => {
      const model = new SequenceRecommender(segmentModelOptions(context));
      model.fit(prepared);
      const hr = evaluateNextItem(model, prepared, { ks: [1, 5] }).groups.click.metrics;
      return { model, hr1: hr['hr@1'], hr5: hr['hr@5'] };
    };
    const plain = train();
    const featured = train({ userAttributes: ['segment'] });
    assert.ok(featured.hr1.value > 0.9, `with the segment: HR@1 ${featured.hr1.value}`);
    assert.ok(plain.hr5.value < 0.6, `sequence alone: HR@5 ${plain.hr5.value}`);
    assert.ok(featured.hr1.lower > plain.hr5.upper);
    // The saved model carries its encoder and scores the same after a round trip.
    const saved = JSON.parse(JSON.stringify(featured.model.toJSON(prepared.log.itemIds)));
    const restored = SequenceRecommender.fromJSON(saved, prepared.log.itemIds, prepared.log.typeNames);
    const again = evaluateNextItem(restored, prepared, { ks: [1, 5] }).groups.click.metrics['hr@1'];
    assert.equal(again.value, featured.hr1.value);
    plain.model.dispose();
    featured.model.dispose();
    restored.dispose();
  });
});

describe('item groups from an item attribute', () => {
  // 10 categories of 30 items; a session opens on any item of category c, then goes to the hub of
  // category c + 1. Each opening item is seen only a few times; its category, hundreds.
  const builder = new EventLogBuilder();
  const rng = new Rng(8);
  for (let s = 0; s < 1500; s++) {
    const c = rng.int(10);
    const item = `c${c}-i${rng.int(30)}`;
    const start = t0 + s * HOUR;
    builder.add({
      user: `u${s}`,
      item,
      type: 'click',
      timestampMs: start,
      itemAttributes: { category: `k${c}` },
    });
    const hub = `hub${(c + 1) % 10}`;
    builder.add({ user: `u${s}`, item: hub, type: 'click', timestampMs: start + 60_000 });
  }
  const prepared = prepareLog(
    builder.build(),
    parseConfig(prepareConfigSchema, { minItemSupport: 1 }, 'prepare'),
  );
  const train = (itemGroups?: string) => {
    const model = new SequenceRecommender({
      encoder: 'gru',
      mode: 'supervised',
      epochs: 2,
      seed: 4,
      length: 2,
      ...(itemGroups ? { itemGroups } : {}),
      agent: { batchSize: 64, learningRate: 0.01, network: { embedding: 16, hidden: 16 } },
    });
    model.fit(prepared);
    return { model, hr1: evaluateNextItem(model, prepared, { ks: [1] }).groups.click.metrics['hr@1'] };
  };

  it('items seen rarely borrow their category’s lesson', () => {
    const plain = train();
    const grouped = train('category');
    assert.ok(
      grouped.hr1.lower > plain.hr1.upper,
      `grouped ${grouped.hr1.value} vs plain ${plain.hr1.value}`,
    );
    const groups = grouped.model.agent?.config.network.itemGroups ?? [];
    assert.equal(groups.length, prepared.log.itemIds.length);
    // The hubs carry no category: they share the one group of items without a value.
    const hub = prepared.log.itemIds.indexOf('hub3');
    assert.equal(groups[hub], 10);
    const saved = JSON.parse(JSON.stringify(grouped.model.toJSON(prepared.log.itemIds)));
    const restored = SequenceRecommender.fromJSON(saved, prepared.log.itemIds, prepared.log.typeNames);
    assert.equal(
      evaluateNextItem(restored, prepared, { ks: [1] }).groups.click.metrics['hr@1'].value,
      grouped.hr1.value,
    );
    for (const m of [plain.model, grouped.model, restored]) m.dispose();
    assert.throws(
      () => train('colour'),
      (e: unknown) =>
        e instanceof EngineError && e.code === 'E_ATTRIBUTE_UNKNOWN' && /category/.test(e.hint ?? ''),
    );
  });
});
