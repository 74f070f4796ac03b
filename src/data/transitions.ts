import { EngineError } from '../core/engine-error.ts';
import type { SequenceBatch } from '../core/types.ts';
import { type PreparedLog, SPLIT_PARTS, type SplitPart } from './prepare.ts';

/** Event rewards SQN uses by default (Xin et al. 2020 use purchase 1.0 and click 0.2; we add cart). */
export const DEFAULT_EVENT_REWARDS: Readonly<Record<string, number>> = { purchase: 1, cart: 0.5, click: 0.2 };

/**
 * Logged session steps as reinforcement-learning transitions over item sequences: the state is the
 * last k items before a step (left-padded with 0, item i as i + 1), the action the item of the
 * step, the reward that of its event type, the next state the sequence with that item appended,
 * terminated at the session's last event. Rows are k wide.
 */
export interface SequenceTransitions extends SequenceBatch {
  /** k, the width of a state row. */
  length: number;
}

/** Write the last `length` items before position `end` of a session into `into` at `at`. */
export function writeSequence(
  items: ArrayLike<number>,
  start: number,
  end: number,
  length: number,
  into: Int32Array,
  at: number,
): void {
  const from = Math.max(start, end - length);
  const pad = length - (end - from);
  into.fill(0, at, at + pad);
  for (let i = from; i < end; i++) into[at + pad + i - from] = items[i] + 1;
}

export function sequenceTransitions(
  prepared: PreparedLog,
  options: { part?: SplitPart; length?: number; rewards?: Readonly<Record<string, number>> } = {},
): SequenceTransitions {
  const part = SPLIT_PARTS.indexOf(options.part ?? 'train');
  const length = options.length ?? 10;
  const rewardByName = options.rewards ?? DEFAULT_EVENT_REWARDS;
  const { log, sessionStarts, sessionPart } = prepared;
  const rewardOfType = Float32Array.from(log.typeNames, (name) => rewardByName[name] ?? 0);
  if (!rewardOfType.some((r) => r !== 0)) {
    throw new EngineError(
      'E_REWARDS_EMPTY',
      `no event type of this log has a reward (types: ${log.typeNames.join(', ')})`,
      {
        hint: 'give rewards by event type name, e.g. {"purchase": 1, "click": 0.2}',
      },
    );
  }
  let size = 0;
  for (let s = 0; s < sessionPart.length; s++)
    if (sessionPart[s] === part) size += sessionStarts[s + 1] - sessionStarts[s];
  const out: SequenceTransitions = {
    states: new Int32Array(size * length),
    actions: new Int32Array(size),
    rewards: new Float32Array(size),
    nextStates: new Int32Array(size * length),
    terminated: new Uint8Array(size),
    size,
    length,
  };
  let row = 0;
  for (let s = 0; s < sessionPart.length; s++) {
    if (sessionPart[s] !== part) continue;
    const start = sessionStarts[s];
    const end = sessionStarts[s + 1];
    for (let t = start; t < end; t++) {
      writeSequence(log.items, start, t, length, out.states, row * length);
      writeSequence(log.items, start, t + 1, length, out.nextStates, row * length);
      out.actions[row] = log.items[t];
      out.rewards[row] = rewardOfType[log.types[t]];
      out.terminated[row] = t === end - 1 ? 1 : 0;
      row++;
    }
  }
  return out;
}
