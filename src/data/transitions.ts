import { EngineError } from '../core/engine-error.ts';
import { emptySequenceBatch, type SequenceBatch } from '../core/types.ts';
import type { ContextEncoder } from './context-features.ts';
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
  /** F, the context features per state (0 without an encoder). */
  features: number;
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

export interface SequenceTransitionOptions {
  part?: SplitPart;
  length?: number;
  rewards?: Readonly<Record<string, number>>;
  /**
   * Event types that enter the state sequence (default: every type). A log with impressions (items
   * shown and not clicked) keeps them out of the state: the state is what the user did, not what the
   * shop showed.
   */
  historyTypes?: readonly string[];
  /**
   * Event types that enter the state as a second kind of token, item i as N + i + 1 (N the catalogue
   * size): items shown and passed over, so a state tells "clicked X" from "was shown X and skipped it".
   * Needs a network with `tokenKinds: 2`. Default: none.
   */
  impressionTypes?: readonly string[];
  /**
   * Event types whose rows become transitions (default: every type). With impressions among them, an
   * action is "show this item" and a skipped item earns 0: the reinforcement-learning view of a
   * recommender's log. Without them, an action is "the next item the user interacted with" (SQN's view).
   */
  actionTypes?: readonly string[];
  /**
   * User/context features of each state: the event's user and time for the state, the next event's
   * time for the next state. Default: none.
   */
  context?: ContextEncoder;
}

/** Which of the log's event types a name list selects (undefined = all); unknown names are an error. */
function typeSelection(
  typeNames: readonly string[],
  names: readonly string[] | undefined,
  what: string,
): Uint8Array {
  if (names === undefined) return new Uint8Array(typeNames.length).fill(1);
  const unknown = names.filter((name) => !typeNames.includes(name));
  if (unknown.length > 0 || names.length === 0) {
    throw new EngineError(
      'E_EVENT_TYPES_UNKNOWN',
      names.length === 0
        ? `${what} is empty`
        : `${what} names event types this log does not have: ${unknown.join(', ')}`,
      { hint: `choose among this log's types: ${typeNames.join(', ')}`, path: what },
    );
  }
  return Uint8Array.from(typeNames, (name) => (names.includes(name) ? 1 : 0));
}

export function sequenceTransitions(
  prepared: PreparedLog,
  options: SequenceTransitionOptions = {},
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
  const inHistory = typeSelection(log.typeNames, options.historyTypes, 'historyTypes');
  const isAction = typeSelection(log.typeNames, options.actionTypes, 'actionTypes');
  const isImpression = options.impressionTypes
    ? typeSelection(log.typeNames, options.impressionTypes, 'impressionTypes')
    : new Uint8Array(log.typeNames.length);
  const overlap = log.typeNames.filter((_, k) => isImpression[k] && options.historyTypes && inHistory[k]);
  if (overlap.length > 0) {
    throw new EngineError(
      'E_EVENT_TYPES_OVERLAP',
      `event types both in historyTypes and impressionTypes: ${overlap.join(', ')}`,
      {
        hint: 'an event type is either taken (history) or passed over (impression)',
        path: 'impressionTypes',
      },
    );
  }
  const catalogue = log.itemIds.length;
  // Token (minus 1) of each event: its item, offset by N for impressions; -1 when it stays out of the state.
  const tokenOf = (t: number): number => {
    const type = log.types[t];
    if (isImpression[type]) return catalogue + log.items[t];
    return inHistory[type] ? log.items[t] : -1;
  };
  let size = 0;
  let longest = 0;
  for (let s = 0; s < sessionPart.length; s++) {
    if (sessionPart[s] !== part) continue;
    longest = Math.max(longest, sessionStarts[s + 1] - sessionStarts[s]);
    for (let t = sessionStarts[s]; t < sessionStarts[s + 1]; t++) size += isAction[log.types[t]];
  }
  const encoder = options.context;
  const F = encoder?.size ?? 0;
  const out: SequenceTransitions = { ...emptySequenceBatch(size, length, F), length, features: F };
  // The session's history so far (the items of its history-type events).
  const history = new Int32Array(longest);
  let row = 0;
  for (let s = 0; s < sessionPart.length; s++) {
    if (sessionPart[s] !== part) continue;
    let kept = 0;
    const first = row;
    for (let t = sessionStarts[s]; t < sessionStarts[s + 1]; t++) {
      const token = tokenOf(t);
      if (isAction[log.types[t]]) {
        writeSequence(history, 0, kept, length, out.states, row * length);
        if (token >= 0) history[kept] = token;
        writeSequence(history, 0, kept + (token >= 0 ? 1 : 0), length, out.nextStates, row * length);
        if (encoder) {
          const end = sessionStarts[s + 1];
          encoder.encodeUser(log, log.users[t], log.timestamps[t], out.contexts, row * F);
          const next = t + 1 < end ? t + 1 : t;
          encoder.encodeUser(log, log.users[t], log.timestamps[next], out.nextContexts, row * F);
        }
        out.actions[row] = log.items[t];
        out.rewards[row] = rewardOfType[log.types[t]];
        row++;
      }
      if (token >= 0) history[kept++] = token;
    }
    // The session's last action row ends its episode.
    if (row > first) out.terminated[row - 1] = 1;
  }
  return out;
}
