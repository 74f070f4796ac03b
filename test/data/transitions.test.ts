import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../../src/core/config.ts';
import { EventLogBuilder } from '../../src/data/event-log.ts';
import { prepareLog } from '../../src/data/prepare.ts';
import { prepareConfigSchema } from '../../src/data/prepare-config.ts';
import { sequenceTransitions } from '../../src/data/transitions.ts';

const t0 = Date.UTC(2026, 0, 1);

/** One session: x clicked, y shown and skipped, z clicked, w bought. */
function session() {
  const builder = new EventLogBuilder();
  const events: [string, string][] = [
    ['x', 'click'],
    ['y', 'impression'],
    ['z', 'click'],
    ['w', 'purchase'],
  ];
  for (const [k, [item, type]] of events.entries()) {
    builder.add({ user: 'u', item, type, timestampMs: t0 + k * 1000, session: 's' });
  }
  const prepared = prepareLog(
    builder.build(),
    parseConfig(prepareConfigSchema, { minItemSupport: 1, split: { validation: 0, test: 0 } }, 'prepare'),
  );
  const id = (name: string) => prepared.log.itemIds.indexOf(name) + 1;
  return { prepared, id, n: prepared.log.itemIds.length };
}

const rewards = { click: 0.5, purchase: 1, impression: 0 };

describe('sequence transitions: which events make the state and which are actions', () => {
  it('by default every event is both history and an action', () => {
    const { prepared, id } = session();
    const t = sequenceTransitions(prepared, { length: 2, rewards });
    assert.equal(t.size, 4);
    assert.deepEqual([...t.states], [0, 0, 0, id('x'), id('x'), id('y'), id('y'), id('z')]);
    assert.deepEqual([...t.terminated], [0, 0, 0, 1]);
  });

  it('keeps skipped impressions out of the state but still learns from them as actions worth 0', () => {
    const { prepared, id } = session();
    const t = sequenceTransitions(prepared, { length: 2, rewards, historyTypes: ['click', 'purchase'] });
    assert.equal(t.size, 4);
    assert.deepEqual(
      [...t.actions].map((a) => a + 1),
      [id('x'), id('y'), id('z'), id('w')],
    );
    assert.deepEqual([...t.rewards], [0.5, 0, 0.5, 1]);
    // y never enters a state: after it the state is still [x].
    assert.deepEqual([...t.states], [0, 0, 0, id('x'), 0, id('x'), id('x'), id('z')]);
    assert.deepEqual([...t.nextStates], [0, id('x'), 0, id('x'), id('x'), id('z'), id('z'), id('w')]);
  });

  it('trains on interactions only when the action types say so (SQN on a shop log)', () => {
    const { prepared, id } = session();
    const t = sequenceTransitions(prepared, {
      length: 2,
      rewards,
      historyTypes: ['click', 'purchase'],
      actionTypes: ['click', 'purchase'],
    });
    assert.equal(t.size, 3);
    assert.deepEqual(
      [...t.actions].map((a) => a + 1),
      [id('x'), id('z'), id('w')],
    );
    assert.deepEqual([...t.terminated], [0, 0, 1]);
  });

  it('writes impressions as a second token kind, item i as N + i + 1', () => {
    const { prepared, id, n } = session();
    const t = sequenceTransitions(prepared, {
      length: 3,
      rewards,
      historyTypes: ['click', 'purchase'],
      impressionTypes: ['impression'],
    });
    // The state before w: x clicked, y passed over, z clicked.
    assert.deepEqual([...t.states.subarray(9, 12)], [id('x'), n + id('y'), id('z')]);
    assert.deepEqual([...t.nextStates.subarray(3, 6)], [0, id('x'), n + id('y')]);
  });

  it('names unknown or overlapping event types with a code', () => {
    const { prepared } = session();
    assert.throws(
      () => sequenceTransitions(prepared, { rewards, historyTypes: ['view'] }),
      (e: Error & { code?: string }) => e.code === 'E_EVENT_TYPES_UNKNOWN' && /view/.test(e.message),
    );
    assert.throws(
      () => sequenceTransitions(prepared, { rewards, actionTypes: [] }),
      (e: Error & { code?: string }) => e.code === 'E_EVENT_TYPES_UNKNOWN',
    );
    assert.throws(
      () =>
        sequenceTransitions(prepared, {
          rewards,
          historyTypes: ['click', 'impression'],
          impressionTypes: ['impression'],
        }),
      (e: Error & { code?: string }) => e.code === 'E_EVENT_TYPES_OVERLAP',
    );
  });
});
