import type { EventLog } from './event-log.ts';

/**
 * The cleaning steps, each over an event order (indices into the log) and a keep mask, so nothing is
 * copied until the end. Each returns how many events it removed and a sentence saying why.
 */
export interface StepOutcome {
  removed: number;
  detail: string;
}

/** Exact repeats within a user's events at the same millisecond (double submits, replayed batches). */
export function removeDuplicates(log: EventLog, userTimeOrder: Int32Array, keep: Uint8Array): StepOutcome {
  let removed = 0;
  const n = userTimeOrder.length;
  for (let start = 0; start < n; ) {
    const first = userTimeOrder[start];
    let end = start + 1;
    while (
      end < n &&
      log.users[userTimeOrder[end]] === log.users[first] &&
      log.timestamps[userTimeOrder[end]] === log.timestamps[first]
    ) {
      end++;
    }
    for (let a = start + 1; a < end; a++) {
      const i = userTimeOrder[a];
      if (!keep[i]) continue;
      for (let b = start; b < a; b++) {
        const j = userTimeOrder[b];
        if (keep[j] && sameEvent(log, i, j)) {
          keep[i] = 0;
          removed++;
          break;
        }
      }
    }
    start = end;
  }
  return { removed, detail: 'exact repeats (same user, item, type, time, session and value)' };
}

function sameEvent(log: EventLog, i: number, j: number): boolean {
  return (
    log.items[i] === log.items[j] &&
    log.types[i] === log.types[j] &&
    log.sessions[i] === log.sessions[j] &&
    Object.is(log.values[i], log.values[j])
  );
}

/** Users with an implausible event rate or volume: every event of theirs is removed. */
export function removeBots(
  log: EventLog,
  userTimeOrder: Int32Array,
  keep: Uint8Array,
  maxEventsPerMinute: number,
  maxEventsPerUser: number,
): StepOutcome & { users: number } {
  let removed = 0;
  let users = 0;
  const n = userTimeOrder.length;
  const window: number[] = [];
  for (let start = 0; start < n; ) {
    const user = log.users[userTimeOrder[start]];
    let end = start;
    while (end < n && log.users[userTimeOrder[end]] === user) end++;
    let count = 0;
    let peak = 0;
    window.length = 0;
    let head = 0;
    for (let k = start; k < end; k++) {
      const i = userTimeOrder[k];
      if (!keep[i]) continue;
      count++;
      const t = log.timestamps[i];
      window.push(t);
      while (window[head] <= t - 60_000) head++;
      peak = Math.max(peak, window.length - head);
    }
    if (peak > maxEventsPerMinute || count > maxEventsPerUser) {
      users++;
      for (let k = start; k < end; k++) {
        const i = userTimeOrder[k];
        if (keep[i]) {
          keep[i] = 0;
          removed++;
        }
      }
    }
    start = end;
  }
  return {
    removed,
    users,
    detail: `${users} users above ${maxEventsPerMinute} events/minute or ${maxEventsPerUser} events in all`,
  };
}

/**
 * Items with fewer than `minItemSupport` events, then sessions with fewer than `minSessionLength`
 * events, repeated until neither removes anything (removing one can push the other below its bar).
 */
export function enforceSupport(
  log: EventLog,
  sessionOrder: Int32Array,
  sessionStarts: Int32Array,
  keep: Uint8Array,
  minItemSupport: number,
  minSessionLength: number,
): { items: StepOutcome; sessions: StepOutcome; rounds: number } {
  const support = new Int32Array(log.itemIds.length);
  let itemEvents = 0;
  let sessionEvents = 0;
  const removedItems = new Set<number>();
  let removedSessions = 0;
  let rounds = 0;
  for (let changed = true; changed && rounds < 50; rounds++) {
    changed = false;
    support.fill(0);
    for (const i of sessionOrder) if (keep[i]) support[log.items[i]]++;
    for (const i of sessionOrder) {
      if (keep[i] && support[log.items[i]] < minItemSupport) {
        keep[i] = 0;
        itemEvents++;
        removedItems.add(log.items[i]);
        changed = true;
      }
    }
    for (let s = 0; s + 1 < sessionStarts.length; s++) {
      let length = 0;
      for (let k = sessionStarts[s]; k < sessionStarts[s + 1]; k++) length += keep[sessionOrder[k]];
      if (length > 0 && length < minSessionLength) {
        removedSessions++;
        for (let k = sessionStarts[s]; k < sessionStarts[s + 1]; k++) {
          const i = sessionOrder[k];
          if (keep[i]) {
            keep[i] = 0;
            sessionEvents++;
            changed = true;
          }
        }
      }
    }
  }
  return {
    items: {
      removed: itemEvents,
      detail: `${removedItems.size} items with fewer than ${minItemSupport} events`,
    },
    sessions: {
      removed: sessionEvents,
      detail: `${removedSessions} sessions shorter than ${minSessionLength} events`,
    },
    rounds,
  };
}

/**
 * Fills missing event values in place, with medians taken over the training rows only (so the
 * held-out parts do not leak into the fill). Logs without any value are left alone.
 */
export function imputeValues(
  log: EventLog,
  trainingRows: ArrayLike<number>,
  method: 'item-median' | 'global-median' | 'zero' | 'none',
): { filled: number; detail: string } {
  if (method === 'none') return { filled: 0, detail: 'imputation off' };
  const present: number[] = [];
  const byItem = new Map<number, number[]>();
  let missing = 0;
  for (let i = 0; i < log.length; i++) if (Number.isNaN(log.values[i])) missing++;
  for (let k = 0; k < trainingRows.length; k++) {
    const i = trainingRows[k];
    const v = log.values[i];
    if (!Number.isNaN(v)) {
      present.push(v);
      if (method === 'item-median') {
        const list = byItem.get(log.items[i]) ?? [];
        list.push(v);
        byItem.set(log.items[i], list);
      }
    }
  }
  if (present.length === 0 || missing === 0) {
    return { filled: 0, detail: present.length === 0 ? 'the log has no values' : 'no value is missing' };
  }
  const global = median(present);
  const itemMedian = new Map<number, number>();
  for (const [item, list] of byItem) itemMedian.set(item, median(list));
  for (let i = 0; i < log.length; i++) {
    if (!Number.isNaN(log.values[i])) continue;
    log.values[i] =
      method === 'zero' ? 0 : method === 'global-median' ? global : (itemMedian.get(log.items[i]) ?? global);
  }
  return {
    filled: missing,
    detail: `${missing} missing values set to the ${method === 'zero' ? 'value 0' : method === 'global-median' ? 'global median' : "item's median (global median for items without one)"}`,
  };
}

function median(values: number[]): number {
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
