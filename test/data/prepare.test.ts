import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../../src/core/config.ts';
import { Rng } from '../../src/core/rng.ts';
import {
  argsortNumbers,
  EventLogBuilder,
  type EventRow,
  prepareConfigSchema,
  prepareLog,
  splitSummary,
  stableSortByGroup,
} from '../../src/data/index.ts';

const MINUTE = 60_000;
const T0 = Date.UTC(2024, 0, 1);

function logOf(rows: EventRow[]) {
  const builder = new EventLogBuilder();
  for (const row of rows) builder.add(row);
  return builder.build();
}

const config = (overrides: object = {}) => parseConfig(prepareConfigSchema, overrides, 'prepare config');

describe('sorting columnar logs', () => {
  it('radix argsort matches a comparator sort, stable on ties, for epoch-millisecond keys', () => {
    const rng = new Rng(3);
    const keys = Float64Array.from({ length: 20_000 }, () => T0 + Math.floor(rng.float() * 500) * 997_001);
    const order = argsortNumbers(keys);
    const expected = Array.from(keys.keys()).sort((a, b) => keys[a] - keys[b] || a - b);
    assert.deepEqual(Array.from(order), expected);
    const groups = Int32Array.from(keys, (_, i) => i % 7);
    const byGroup = stableSortByGroup(order, groups, 7);
    const expectedGroup = expected.slice().sort((a, b) => groups[a] - groups[b]);
    assert.deepEqual(Array.from(byGroup), expectedGroup);
  });
});

describe('cleaning, sessionisation and split', () => {
  it('removes duplicates and bots, sessionises at 30-minute gaps, and says what each step removed', () => {
    const rows: EventRow[] = [];
    // Alice: two sessions (a 45-minute gap), one exact duplicate.
    for (const [minute, item] of [
      [0, 'a'],
      [1, 'b'],
      [1, 'b'],
      [2, 'c'],
      [47, 'a'],
      [48, 'b'],
    ] as const) {
      rows.push({ user: 'alice', item, type: 'click', timestampMs: T0 + minute * MINUTE });
    }
    // Bob: one session.
    for (const [minute, item] of [
      [5, 'c'],
      [6, 'a'],
      [7, 'b'],
    ] as const) {
      rows.push({ user: 'bob', item, type: 'click', timestampMs: T0 + minute * MINUTE });
    }
    // A bot: 200 events in 60 seconds (the limit is 120 a minute).
    for (let k = 0; k < 200; k++) {
      rows.push({ user: 'bot', item: ['a', 'b', 'c'][k % 3], type: 'click', timestampMs: T0 + k * 300 });
    }
    const prepared = prepareLog(
      logOf(rows),
      config({ minItemSupport: 1, split: { validation: 0, test: 0 } }),
    );
    const steps = Object.fromEntries(prepared.steps.map((s) => [s.step, s]));
    assert.equal(steps.deduplicate.removed, 1);
    assert.equal(steps['bot filter'].removed, 200);
    assert.match(steps['bot filter'].detail, /^1 users/);
    assert.match(steps.sessionise.detail, /^3 sessions/);
    assert.equal(prepared.log.length, 8);
    assert.deepEqual(Array.from(prepared.sessionStarts), [0, 3, 6, 8]);
    assert.deepEqual(prepared.log.sessionIds, ['alice#0', 'bob#0', 'alice#1']);
    const items = Array.from(prepared.log.items, (i) => prepared.log.itemIds[i]);
    assert.deepEqual(items, ['a', 'b', 'c', 'c', 'a', 'b', 'a', 'b']);
  });

  it('applies item support and session length until both hold', () => {
    // Item 'rare' has 2 events; removing it leaves session s2 with 1 event, which goes too. That
    // takes item 'x' below support 3 in the second round, which leaves s3 with one event; the
    // third round changes nothing.
    const rows: EventRow[] = [];
    const session = (id: string, start: number, items: string[]) =>
      items.forEach((item, k) => {
        rows.push({ user: id, session: id, item, type: 'click', timestampMs: T0 + (start + k) * MINUTE });
      });
    session('s1', 0, ['a', 'b', 'a', 'b']);
    session('s2', 10, ['rare', 'x']);
    session('s3', 20, ['rare', 'x', 'a']);
    session('s4', 30, ['x', 'b', 'a']);
    const prepared = prepareLog(
      logOf(rows),
      config({ minItemSupport: 3, minSessionLength: 2, split: { validation: 0, test: 0 } }),
    );
    const steps = Object.fromEntries(prepared.steps.map((s) => [s.step, s]));
    assert.equal(steps['minimum item support'].removed, 2 + 2);
    assert.equal(steps['minimum session length'].removed, 2);
    assert.match(steps['minimum session length'].detail, /^2 sessions .*\(3 rounds\)/);
    assert.deepEqual(prepared.log.sessionIds, ['s1', 's4']);
    assert.equal(prepared.log.length, 4 + 2);
  });

  it('splits by session end time with no training event after the held-out parts begin', () => {
    const rng = new Rng(11);
    const rows: EventRow[] = [];
    for (let s = 0; s < 400; s++) {
      const start = T0 + Math.floor(rng.float() * 30 * 24 * 60) * MINUTE;
      const length = 2 + Math.floor(rng.float() * 6);
      for (let k = 0; k < length; k++) {
        rows.push({
          user: `u${s % 150}`,
          item: `i${Math.floor(rng.float() * 40)}`,
          type: k === length - 1 && rng.float() < 0.3 ? 'purchase' : 'click',
          timestampMs: start + k * 2 * MINUTE,
          value: k === 0 ? undefined : 10 + (s % 5),
        });
      }
    }
    const prepared = prepareLog(logOf(rows), config({ minItemSupport: 1 }));
    const summary = splitSummary(prepared);
    const total = summary.train.sessions + summary.validation.sessions + summary.test.sessions;
    assert.ok(Math.abs(summary.test.sessions / total - 0.1) < 0.03, JSON.stringify(summary));
    assert.ok(Math.abs(summary.validation.sessions / total - 0.1) < 0.03, JSON.stringify(summary));
    const { log, sessionStarts, sessionPart } = prepared;
    let lastTrain = Number.NEGATIVE_INFINITY;
    for (let s = 0; s < sessionPart.length; s++) {
      const end = log.timestamps[sessionStarts[s + 1] - 1];
      if (sessionPart[s] === 0) lastTrain = Math.max(lastTrain, end);
      if (sessionPart[s] === 1) assert.ok(end >= prepared.validationFromMs && end < prepared.testFromMs);
      if (sessionPart[s] === 2) assert.ok(end >= prepared.testFromMs);
      for (let i = sessionStarts[s] + 1; i < sessionStarts[s + 1]; i++) {
        assert.ok(log.timestamps[i] >= log.timestamps[i - 1], 'sessions are in time order');
      }
    }
    assert.ok(lastTrain < prepared.validationFromMs);
    // Values: first events were missing and got the training median; normalisation uses training stats.
    assert.ok(prepared.valueStats);
    for (let i = 0; i < log.length; i++) assert.ok(!Number.isNaN(log.values[i]));
    let sum = 0;
    let n = 0;
    for (let s = 0; s < sessionPart.length; s++) {
      if (sessionPart[s] !== 0) continue;
      for (let i = sessionStarts[s]; i < sessionStarts[s + 1]; i++) {
        sum += prepared.normalisedValues[i];
        n++;
      }
    }
    assert.ok(Math.abs(sum / n) < 1e-9, 'training values have mean 0 after normalisation');
  });

  it('drops held-out events on items training never saw', () => {
    const rows: EventRow[] = [];
    for (let s = 0; s < 10; s++) {
      const items = s < 8 ? ['a', 'b'] : ['a', 'new', 'b'];
      items.forEach((item, k) => {
        rows.push({ user: `u${s}`, item, type: 'click', timestampMs: T0 + s * 3_600_000 + k * MINUTE });
      });
    }
    const prepared = prepareLog(
      logOf(rows),
      config({ minItemSupport: 1, split: { validation: 0, test: 0.2 } }),
    );
    const step = prepared.steps.find((s) => s.step === 'unseen items (held-out parts)');
    assert.equal(step?.removed, 2);
    assert.ok(!Array.from(prepared.log.items).some((i) => prepared.log.itemIds[i] === 'new'));
  });

  it('refuses given sessions when some events have none', () => {
    const log = logOf([
      { user: 'u', item: 'a', type: 'click', timestampMs: T0, session: 's' },
      { user: 'u', item: 'b', type: 'click', timestampMs: T0 + 1 },
    ]);
    assert.throws(
      () => prepareLog(log, config({ sessions: 'given' })),
      (error: Error & { code?: string }) => error.code === 'E_SESSIONS_MISSING',
    );
  });
});
