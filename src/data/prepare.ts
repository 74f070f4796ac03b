import { EngineError } from '../core/engine-error.ts';
import { enforceSupport, imputeValues, removeBots, removeDuplicates } from './clean-steps.ts';
import { type EventLog, selectRows } from './event-log.ts';
import type { PrepareConfig } from './prepare-config.ts';
import { argsortNumbers, stableSortByGroup } from './sort.ts';

export type SplitPart = 'train' | 'validation' | 'test';
export const SPLIT_PARTS: readonly SplitPart[] = ['train', 'validation', 'test'];

/** One line of the cleaning report: what a step removed (or changed) and why. */
export interface PrepareStep {
  step: string;
  removed: number;
  remaining: number;
  detail: string;
}

/**
 * A log ready for training: rows grouped by session, each session in time order, the `sessions`
 * column numbering sessions 0..S-1, and every session assigned to one part of a time-based split.
 */
export interface PreparedLog {
  log: EventLog;
  /** Offsets: session s holds rows sessionStarts[s] .. sessionStarts[s+1]-1. */
  sessionStarts: Int32Array;
  /** 0 = train, 1 = validation, 2 = test (index into SPLIT_PARTS). */
  sessionPart: Uint8Array;
  /** Validation holds sessions ending at or after `validationFromMs`, test those at or after `testFromMs`. */
  validationFromMs: number;
  testFromMs: number;
  /** Event values standardised with the training part's mean and standard deviation (NaN stays NaN). */
  normalisedValues: Float64Array;
  valueStats: { mean: number; std: number } | undefined;
  steps: PrepareStep[];
}

/**
 * Cleans, sessionises and splits a log. Splitting is by session end time so that no training event
 * happens after a held-out one starts its part: every training session ends before validation begins.
 */
export function prepareLog(source: EventLog, config: PrepareConfig): PreparedLog {
  const n = source.length;
  const steps: PrepareStep[] = [];
  let remaining = n;
  const record = (step: string, removed: number, detail: string) => {
    remaining -= removed;
    steps.push({ step, removed, remaining, detail });
  };
  if (n === 0)
    throw new EngineError('E_LOG_EMPTY', 'the event log has no events', { hint: 'import some first' });
  const keep = new Uint8Array(n).fill(1);
  const byTime = argsortNumbers(source.timestamps.subarray(0, n));
  const userTime = stableSortByGroup(byTime, source.users, source.userIds.length);

  if (config.deduplicate) {
    const outcome = removeDuplicates(source, userTime, keep);
    record('deduplicate', outcome.removed, outcome.detail);
  }
  const bots = removeBots(
    source,
    userTime,
    keep,
    config.bots.maxEventsPerMinute,
    config.bots.maxEventsPerUser,
  );
  record('bot filter', bots.removed, bots.detail);

  // Sessionise: the log's own sessions, or a new session at each inactivity gap of a user.
  const everySession = source.sessions.subarray(0, n).every((s) => s >= 0);
  const mode = config.sessions === 'auto' ? (everySession ? 'given' : 'gap') : config.sessions;
  if (mode === 'given' && !everySession) {
    throw new EngineError('E_SESSIONS_MISSING', 'sessions: given, but some events have no session id', {
      hint: "map a session column in the import, or use sessions: 'gap'",
    });
  }
  const kept = userTime.filter((i) => keep[i] === 1);
  const { order, starts, ids } =
    mode === 'given'
      ? groupGivenSessions(source, kept)
      : gapSessions(source, kept, config.sessionGapMinutes * 60_000);
  steps.push({
    step: 'sessionise',
    removed: 0,
    remaining,
    detail:
      mode === 'given'
        ? `${(starts.length - 1).toLocaleString('en-US')} sessions from the log's session ids`
        : `${(starts.length - 1).toLocaleString('en-US')} sessions at ${config.sessionGapMinutes}-minute inactivity gaps`,
  });

  const support = enforceSupport(source, order, starts, keep, config.minItemSupport, config.minSessionLength);
  record('minimum item support', support.items.removed, support.items.detail);
  record(
    'minimum session length',
    support.sessions.removed,
    `${support.sessions.detail} (${support.rounds} rounds)`,
  );

  // Time-based split on session end time (quantiles of the surviving sessions).
  // One pass: the sessions with a kept event, and the time of their last kept event.
  const survivors: number[] = [];
  const endTimes: number[] = [];
  for (let s = 0; s + 1 < starts.length; s++) {
    let end = -1;
    for (let k = starts[s]; k < starts[s + 1]; k++) if (keep[order[k]]) end = order[k];
    if (end < 0) continue;
    survivors.push(s);
    endTimes.push(source.timestamps[end]);
  }
  if (survivors.length === 0) {
    throw new EngineError('E_LOG_EMPTY', 'cleaning removed every event', {
      hint: 'lower minItemSupport / minSessionLength, or check the bot filter',
    });
  }
  const ends = Float64Array.from(endTimes);
  const sortedEnds = Float64Array.from(ends).sort();
  const cut = (fraction: number) =>
    fraction <= 0
      ? Number.POSITIVE_INFINITY
      : sortedEnds[Math.min(sortedEnds.length - 1, Math.floor(sortedEnds.length * (1 - fraction)))];
  const testFromMs = cut(config.split.test);
  const validationFromMs = Math.min(testFromMs, cut(config.split.test + config.split.validation));
  const partOf = (t: number) => (t >= testFromMs ? 2 : t >= validationFromMs ? 1 : 0);

  // Unseen items: a held-out event on an item training never saw cannot be ranked.
  const seen = new Uint8Array(source.itemIds.length);
  const parts = Uint8Array.from(ends, partOf);
  survivors.forEach((s, k) => {
    if (parts[k] !== 0) return;
    for (let j = starts[s]; j < starts[s + 1]; j++) if (keep[order[j]]) seen[source.items[order[j]]] = 1;
  });
  let unseen = 0;
  let shortHeldOut = 0;
  if (config.dropUnseenItems) {
    survivors.forEach((s, k) => {
      if (parts[k] === 0) return;
      let length = 0;
      for (let j = starts[s]; j < starts[s + 1]; j++) {
        const i = order[j];
        if (keep[i] && !seen[source.items[i]]) {
          keep[i] = 0;
          unseen++;
        }
        length += keep[i];
      }
      if (length > 0 && length < config.minSessionLength) {
        for (let j = starts[s]; j < starts[s + 1]; j++) {
          shortHeldOut += keep[order[j]];
          keep[order[j]] = 0;
        }
      }
    });
  }
  record('unseen items (held-out parts)', unseen, 'validation/test events on items absent from training');
  record(
    'short held-out sessions',
    shortHeldOut,
    `held-out sessions left shorter than ${config.minSessionLength}`,
  );

  // Compact: kept rows grouped by session, sessions renumbered in order of their end time.
  const sessionOrder = survivors
    .map((s, k) => ({ s, end: ends[k], part: parts[k] }))
    .sort((a, b) => a.end - b.end || a.s - b.s);
  const rows: number[] = [];
  const newStarts: number[] = [0];
  const sessionPart: number[] = [];
  const sessionIds: string[] = [];
  for (const { s, part } of sessionOrder) {
    const before = rows.length;
    for (let k = starts[s]; k < starts[s + 1]; k++) if (keep[order[k]]) rows.push(order[k]);
    if (rows.length === before) continue;
    newStarts.push(rows.length);
    sessionPart.push(part);
    sessionIds.push(ids[s]);
  }
  const log = selectRows(source, rows);
  log.sessionIds = sessionIds;
  for (let s = 0; s + 1 < newStarts.length; s++) log.sessions.fill(s, newStarts[s], newStarts[s + 1]);
  const sessionStarts = Int32Array.from(newStarts);
  const part = Uint8Array.from(sessionPart);
  const trainingRows: number[] = [];
  for (let s = 0; s < part.length; s++) {
    if (part[s] === 0) for (let i = sessionStarts[s]; i < sessionStarts[s + 1]; i++) trainingRows.push(i);
  }
  const imputed = imputeValues(log, trainingRows, config.imputeValues);
  steps.push({ step: 'impute values', removed: 0, remaining, detail: imputed.detail });
  const { normalisedValues, valueStats } = normalise(log, trainingRows);
  steps.push({
    step: 'normalise values',
    removed: 0,
    remaining,
    detail: valueStats
      ? `z-score with the training part's mean ${valueStats.mean.toPrecision(4)} and sd ${valueStats.std.toPrecision(4)}`
      : 'the log has no values',
  });
  return {
    log,
    sessionStarts,
    sessionPart: part,
    validationFromMs,
    testFromMs,
    normalisedValues,
    valueStats,
    steps,
  };
}

function groupGivenSessions(log: EventLog, kept: Int32Array) {
  const byTime = argsortNumbers(log.timestamps, kept);
  const order = stableSortByGroup(byTime, log.sessions, log.sessionIds.length);
  const starts: number[] = [0];
  for (let k = 1; k <= order.length; k++) {
    if (k === order.length || log.sessions[order[k]] !== log.sessions[order[k - 1]]) starts.push(k);
  }
  const ids = starts.slice(0, -1).map((k) => log.sessionIds[log.sessions[order[k]]]);
  return { order, starts: Int32Array.from(starts), ids };
}

function gapSessions(log: EventLog, userTimeOrder: Int32Array, gapMs: number) {
  const starts: number[] = [0];
  const ids: string[] = [];
  let perUser = 0;
  for (let k = 0; k < userTimeOrder.length; k++) {
    const i = userTimeOrder[k];
    if (k > 0) {
      const previous = userTimeOrder[k - 1];
      const sameUser = log.users[previous] === log.users[i];
      if (!sameUser || log.timestamps[i] - log.timestamps[previous] > gapMs) {
        starts.push(k);
        perUser = sameUser ? perUser + 1 : 0;
      }
    }
    if (starts[starts.length - 1] === k) ids.push(`${log.userIds[log.users[i]]}#${perUser}`);
  }
  starts.push(userTimeOrder.length);
  return { order: userTimeOrder, starts: Int32Array.from(starts), ids };
}

function normalise(log: EventLog, trainingRows: number[]) {
  let count = 0;
  let sum = 0;
  let squares = 0;
  for (const i of trainingRows) {
    const v = log.values[i];
    if (Number.isNaN(v)) continue;
    count++;
    sum += v;
    squares += v * v;
  }
  const normalisedValues = new Float64Array(log.length).fill(Number.NaN);
  if (count === 0) return { normalisedValues, valueStats: undefined };
  const mean = sum / count;
  const std = Math.sqrt(Math.max(0, squares / count - mean * mean)) || 1;
  for (let i = 0; i < log.length; i++) normalisedValues[i] = (log.values[i] - mean) / std;
  return { normalisedValues, valueStats: { mean, std } };
}

/** Events and sessions per split part, for reports. */
export function splitSummary(prepared: PreparedLog): Record<SplitPart, { sessions: number; events: number }> {
  const out = {
    train: { sessions: 0, events: 0 },
    validation: { sessions: 0, events: 0 },
    test: { sessions: 0, events: 0 },
  };
  for (let s = 0; s < prepared.sessionPart.length; s++) {
    const part = out[SPLIT_PARTS[prepared.sessionPart[s]]];
    part.sessions++;
    part.events += prepared.sessionStarts[s + 1] - prepared.sessionStarts[s];
  }
  return out;
}
