import type { Dictionary, EventLogBuilder } from './event-log.ts';
import type { FieldSpec, SourceConfig } from './import-config.ts';
import { midnightUtc, sessionUserId } from './row-parser.ts';

/**
 * Reads one CSV line's bytes straight into the builder's columns and returns true, or returns false
 * and adds nothing: then the line goes through the general path (decode, split, the compiled row
 * parser), which reads it the same way or rejects it with its reason. So this reader only has to be
 * right about the rows it accepts; anything unusual (a quote, a wrong cell count, a missing or
 * malformed field, a number it cannot read exactly) is left to the general path.
 */
export interface FastRow {
  row(buffer: Buffer, start: number, end: number): boolean;
  /**
   * Adds the rows read but not yet added. Rows whose ids are all integer keys are interned in
   * batches, each dictionary in one tight loop: the lookups of many rows are then in flight at once
   * instead of one cache miss per id stalling each row (it was a third of a 10 M-event import).
   * Call it before a line goes the general way and at the end of a range, so every dictionary
   * still sees the rows in file order.
   */
  flush(): void;
}

/** A field read from one column, or a constant; undefined when the mapping is not one of those. */
type Simple = { column: number } | { constant: string } | undefined;

/**
 * The byte reader for a mapping and header, or undefined when the mapping needs something it does
 * not do (composite keys, attribute columns, a multi-byte delimiter, a "missing" token that reads
 * as a number). Ids that are canonical integers are interned by value with no string made; other
 * ids are decoded once per row.
 */
export function compileFastRow(
  source: SourceConfig,
  header: string[],
  builder: EventLogBuilder,
): FastRow | undefined {
  const delimiter = source.delimiter.charCodeAt(0);
  if (
    source.format !== 'csv' ||
    delimiter > 127 ||
    delimiter === 34 ||
    delimiter === 10 ||
    delimiter === 13
  ) {
    return undefined;
  }
  if (source.userAttributes.length > 0 || source.itemAttributes.length > 0) return undefined;
  const time = source.timestamp;
  // A token like "0" or "-1" meaning "no value" would be read here as a number.
  if (source.missing.some((token) => /^-?[0-9]+(\.[0-9]*)?$/.test(token))) return undefined;
  const missing = new Set(source.missing);

  // The same column lookup as the general path (the last column of a repeated name wins).
  const index = new Map(header.map((name, i) => [name, i]));
  const simple = (spec: FieldSpec | undefined): Simple => {
    if (typeof spec === 'string') return { column: index.get(spec) as number };
    if (spec !== undefined && 'constant' in spec) return spec;
    return undefined;
  };
  const item = simple(source.item);
  const session = simple(source.session);
  const user = simple(source.user);
  if (!item || (source.session !== undefined && !session) || (source.user !== undefined && !user)) {
    return undefined;
  }
  // A timestamp column (ms, s or ISO-8601), or a date column plus an offset column (DIGINETICA).
  const timestampColumn = 'column' in time ? (index.get(time.column) as number) : -1;
  const timestampScale = 'unit' in time && time.unit === 's' ? 1000 : 1;
  const iso = 'unit' in time && time.unit === 'iso';
  const dateColumn = 'date' in time ? (index.get(time.date) as number) : -1;
  const offsetColumn = 'date' in time ? (index.get(time.offsetMs) as number) : -1;
  /** Midnight UTC of a date cell, as the general path reads it (NaN when it reads none), by yyyymmdd. */
  const days = new Map<number, number>();
  const dayOf = (
    buffer: Buffer,
    start: number,
    end: number,
    key = isoDateKey(buffer, start, end),
  ): number => {
    let day = key < 0 ? undefined : days.get(key);
    if (day === undefined) {
      const text = buffer.toString('utf8', start, end);
      day = missing.has(text) ? Number.NaN : midnightUtc(text);
      if (key >= 0) days.set(key, day);
    }
    return day;
  };
  const valueColumn = source.value === undefined ? -1 : (index.get(source.value) as number);
  const propensityColumn = source.propensity === undefined ? -1 : (index.get(source.propensity) as number);

  // Event type: the name a cell's bytes map to, cached by the bytes (a log has a handful).
  const spec = source.eventType;
  const typeColumn =
    typeof spec === 'string'
      ? (index.get(spec) as number)
      : 'column' in spec
        ? (index.get(spec.column) as number)
        : -1;
  const map =
    typeof spec === 'object' && 'map' in spec && spec.map ? new Map(Object.entries(spec.map)) : undefined;
  const keep = typeof spec === 'object' && 'unmapped' in spec ? spec.unmapped === 'keep' : true;
  const typeNames = new ByteCache<string | null>((text) => {
    if (missing.has(text)) return null;
    if (!map) return text;
    return map.get(text) ?? (keep ? text : null);
  });
  const constantType = typeof spec === 'object' && 'constant' in spec ? spec.constant : undefined;

  const width = header.length;
  const cellStart = new Int32Array(width);
  const cellEnd = new Int32Array(width);
  /** The user of each session when the log has no user column: "session:<id>", interned once. */
  const sessionUser: number[] = [];

  /** Each cell's value when it is all digits (at most 15), else NaN: read during the split. */
  const cellDigits = new Float64Array(width);
  /** The id cell's integer key (canonical, < 10^9), or -1 when it must be read as text. */
  const integerKey = (buffer: Buffer, column: number): number => {
    const n = cellEnd[column] - cellStart[column];
    const key = cellDigits[column];
    // NaN fails the comparison; "0" is canonical, "012" is text.
    return n <= 9 && key >= 0 && (n === 1 || buffer[cellStart[column]] !== 48) ? key : -1;
  };
  /** A number cell: its digits, or the exact decimal reader for anything else. */
  const number = (buffer: Buffer, column: number): number => {
    const digits = cellDigits[column];
    return digits >= 0 ? digits : readNumber(buffer, cellStart[column], cellEnd[column]);
  };
  // The current row's item, session and user ids: an integer key, else text (key -1).
  const idKeys = new Int32Array(3);
  const idTexts: (string | undefined)[] = [undefined, undefined, undefined];
  /** Reads an id field into its slot; false when its cell is a "missing" token. */
  const readId = (buffer: Buffer, field: Simple, slot: number): boolean => {
    idKeys[slot] = -1;
    if (field === undefined) return true;
    if ('constant' in field) {
      idTexts[slot] = field.constant;
      return true;
    }
    const key = integerKey(buffer, field.column);
    if (key >= 0) idKeys[slot] = key;
    else if ((idTexts[slot] = text(buffer, field.column)) === undefined) return false;
    return true;
  };
  const intern = (dictionary: Dictionary, slot: number): number =>
    idKeys[slot] >= 0 ? dictionary.idOfInteger(idKeys[slot]) : dictionary.id(idTexts[slot] as string);
  // The next quote in the current buffer: a line before it has none, so bytes need no quote test.
  let quoteBuffer: Buffer | undefined;
  let nextQuote = 0;
  /** The id cell as text, or undefined when it is a "missing" token. */
  const text = (buffer: Buffer, column: number): string | undefined => {
    const value = buffer.toString('utf8', cellStart[column], cellEnd[column]);
    return missing.has(value) ? undefined : value;
  };

  // Rows accepted but not yet added: their ids as integer keys, interned by `flush`.
  const pendingItems = new Int32Array(BATCH);
  const pendingSessions = new Int32Array(BATCH);
  const pendingUsers = new Int32Array(BATCH);
  const pendingTypes = new Int32Array(BATCH);
  const pendingTimes = new Float64Array(BATCH);
  const pendingValues = new Float64Array(BATCH);
  const pendingPropensities = new Float64Array(BATCH);
  let pending = 0;
  const internAll = (dictionary: Dictionary, keys: Int32Array, n: number) => {
    for (let i = 0; i < n; i++) keys[i] = dictionary.idOfInteger(keys[i]);
  };
  const flush = () => {
    const n = pending;
    if (n === 0) return;
    pending = 0;
    internAll(builder.items, pendingItems, n);
    if (session) internAll(builder.sessions, pendingSessions, n);
    internAll(builder.users, pendingUsers, n);
    for (let i = 0; i < n; i++) {
      builder.addIds(
        pendingUsers[i],
        pendingItems[i],
        pendingTypes[i],
        pendingTimes[i],
        session ? pendingSessions[i] : -1,
        pendingValues[i],
        pendingPropensities[i],
      );
    }
  };

  const row = (buffer: Buffer, start: number, end: number): boolean => {
    if (start === end) return false;
    // Split on the delimiter, reading digits on the way; a quote or a wrong cell count goes to the
    // general path.
    if (buffer !== quoteBuffer || nextQuote < start) {
      quoteBuffer = buffer;
      nextQuote = buffer.indexOf(34, start);
      if (nextQuote < 0) nextQuote = buffer.length;
    }
    if (nextQuote < end) return false;
    let cells = 0;
    let cellFrom = start;
    let digits = 0;
    let plain = true;
    for (let i = start; i < end; i++) {
      const byte = buffer[i];
      if (byte === delimiter) {
        if (cells === width - 1) return false;
        cellStart[cells] = cellFrom;
        cellDigits[cells] = plain && i > cellFrom && i - cellFrom <= 15 ? digits : Number.NaN;
        cellEnd[cells++] = i;
        cellFrom = i + 1;
        digits = 0;
        plain = true;
      } else {
        const digit = byte - 48;
        if (digit >= 0 && digit <= 9) digits = digits * 10 + digit;
        else plain = false;
      }
    }
    if (cells !== width - 1) return false;
    cellStart[cells] = cellFrom;
    cellDigits[cells] = plain && end > cellFrom && end - cellFrom <= 15 ? digits : Number.NaN;
    cellEnd[cells] = end;

    // Read every field before interning anything: a row the general path rejects adds no id.
    if (!readId(buffer, item, ITEM) || !readId(buffer, session, SESSION) || !readId(buffer, user, USER)) {
      return false;
    }
    let typeName = constantType as string;
    if (typeColumn >= 0) {
      const name = typeNames.get(buffer, cellStart[typeColumn], cellEnd[typeColumn]);
      if (name === null) return false;
      typeName = name;
    }
    let timestampMs: number;
    if (dateColumn >= 0) {
      // As the general path: a date it can read plus an offset of 0 to 366 days (NaN fails too).
      const day = dayOf(buffer, cellStart[dateColumn], cellEnd[dateColumn]);
      const offset = number(buffer, offsetColumn);
      if (Number.isNaN(day) || !(offset >= 0 && offset <= 366 * DAY_MS)) return false;
      timestampMs = day + offset;
    } else {
      timestampMs = iso
        ? isoTimestamp(buffer, cellStart[timestampColumn], cellEnd[timestampColumn], dayOf)
        : number(buffer, timestampColumn) * timestampScale;
      // Years 1990–2100, as the general path checks (NaN fails too).
      if (!(timestampMs >= 631_152_000_000 && timestampMs <= 4_102_444_800_000)) return false;
    }
    let value = Number.NaN;
    if (valueColumn >= 0) {
      value = number(buffer, valueColumn);
      if (Number.isNaN(value) && text(buffer, valueColumn) !== undefined) return false;
    }
    let propensity = Number.NaN;
    if (propensityColumn >= 0) {
      propensity = number(buffer, propensityColumn);
      if (Number.isNaN(propensity)) {
        if (text(buffer, propensityColumn) !== undefined) return false;
      } else if (!(propensity > 0 && propensity <= 1)) return false;
    }

    // The row is good. With integer ids only, it waits for a batch (see FastRow.flush).
    const typeId = builder.types.id(typeName);
    if (user && idKeys[ITEM] >= 0 && idKeys[USER] >= 0 && (!session || idKeys[SESSION] >= 0)) {
      const k = pending++;
      pendingItems[k] = idKeys[ITEM];
      pendingSessions[k] = idKeys[SESSION];
      pendingUsers[k] = idKeys[USER];
      pendingTypes[k] = typeId;
      pendingTimes[k] = timestampMs;
      pendingValues[k] = value;
      pendingPropensities[k] = propensity;
      if (pending === BATCH) flush();
      return true;
    }
    // Else its ids are interned now, after the rows before it (each dictionary in row order, as
    // the general path does).
    flush();
    const itemId = intern(builder.items, ITEM);
    const sessionId = session ? intern(builder.sessions, SESSION) : -1;
    let userId: number;
    if (user) userId = intern(builder.users, USER);
    else {
      userId = sessionUser[sessionId] ?? -1;
      if (userId < 0) {
        userId = builder.users.id(sessionUserId(builder.sessions.valueOf(sessionId)));
        sessionUser[sessionId] = userId;
      }
    }
    builder.addIds(userId, itemId, typeId, timestampMs, sessionId, value, propensity);
    return true;
  };
  return { row, flush };
}

/** Rows interned per batch: about 70 KB of pending columns. */
const BATCH = 2048;

const DAY_MS = 86_400_000;

/** A `dddd-dd-dd` cell as the number yyyymmdd (a cache key), or -1 for any other text. */
function isoDateKey(buffer: Buffer, start: number, end: number): number {
  if (end - start !== 10 || buffer[start + 4] !== 45 || buffer[start + 7] !== 45) return -1;
  let key = 0;
  for (let i = start; i < end; i++) {
    if (i === start + 4 || i === start + 7) continue;
    const digit = buffer[i] - 48;
    if (digit < 0 || digit > 9) return -1;
    key = key * 10 + digit;
  }
  return key;
}

/**
 * An ISO-8601 date-time in its strict form, `YYYY-MM-DDTHH:MM:SS[.sss](Z|±HH:MM)`, as `Date.parse`
 * reads it: the date through `dayOf` (Date.parse of its midnight, so the same calendar rules), plus
 * the time of day, less the zone offset. NaN for anything else (no zone, a space for T, other
 * fraction lengths, 24:00, leap seconds), which the general path then reads.
 */
function isoTimestamp(
  buffer: Buffer,
  start: number,
  end: number,
  dayOf: (buffer: Buffer, start: number, end: number, key: number) => number,
): number {
  const n = end - start;
  const fraction = n === 24 || n === 29;
  if (n !== 20 && n !== 24 && n !== 25 && n !== 29) return Number.NaN;
  if (buffer[start + 10] !== 84 || buffer[start + 13] !== 58 || buffer[start + 16] !== 58) return Number.NaN;
  const dateKey = isoDateKey(buffer, start, start + 10);
  if (dateKey < 0) return Number.NaN;
  const two = (at: number) => {
    const a = buffer[start + at] - 48;
    const b = buffer[start + at + 1] - 48;
    return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
  };
  const hours = two(11);
  const minutes = two(14);
  const seconds = two(17);
  if (!(hours >= 0 && hours <= 23 && minutes >= 0 && minutes <= 59 && seconds >= 0 && seconds <= 59)) {
    return Number.NaN;
  }
  let ms = 0;
  if (fraction) {
    if (buffer[start + 19] !== 46) return Number.NaN;
    const hundreds = buffer[start + 20] - 48;
    const tens = two(21);
    if (!(hundreds >= 0 && hundreds <= 9 && tens >= 0)) return Number.NaN;
    ms = hundreds * 100 + tens;
  }
  const zone = start + (fraction ? 23 : 19);
  let offsetMinutes = 0;
  if (end - zone === 1) {
    if (buffer[zone] !== 90) return Number.NaN;
  } else {
    const sign = buffer[zone] === 43 ? 1 : buffer[zone] === 45 ? -1 : 0;
    const zoneHours = two(zone - start + 1);
    const zoneMinutes = two(zone - start + 4);
    if (sign === 0 || buffer[zone + 3] !== 58 || !(zoneHours >= 0 && zoneHours <= 23)) return Number.NaN;
    if (!(zoneMinutes >= 0 && zoneMinutes <= 59)) return Number.NaN;
    offsetMinutes = sign * (zoneHours * 60 + zoneMinutes);
  }
  const day = dayOf(buffer, start, start + 10, dateKey);
  return day + ((hours * 60 + minutes - offsetMinutes) * 60 + seconds) * 1000 + ms;
}

/** Slots of the id fields. */
const ITEM = 0;
const SESSION = 1;
const USER = 2;

/** 10^k for k ≤ 22: exact doubles. */
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * A decimal `-?digits(.digits)?` of at most 15 digits, read to the same double `Number()` gives
 * (an integer below 2^53 divided by an exact power of ten rounds once, correctly); NaN for
 * anything else, which the general path then reads.
 */
function readNumber(buffer: Buffer, start: number, end: number): number {
  let i = start;
  const negative = buffer[i] === 45;
  if (negative) i++;
  let mantissa = 0;
  let digits = 0;
  let fraction = -1;
  for (; i < end; i++) {
    const byte = buffer[i];
    if (byte === 46) {
      if (fraction >= 0 || digits === 0) return Number.NaN;
      fraction = 0;
      continue;
    }
    const digit = byte - 48;
    if (digit < 0 || digit > 9) return Number.NaN;
    mantissa = mantissa * 10 + digit;
    digits++;
    if (fraction >= 0) fraction++;
  }
  if (digits === 0 || digits > 15) return Number.NaN;
  const magnitude = fraction > 0 ? mantissa / POWERS_OF_TEN[fraction] : mantissa;
  return negative ? -magnitude : magnitude;
}

/** A small map from byte strings to values, computed from the decoded text on first sight. */
class ByteCache<T> {
  private readonly keys: Uint8Array[] = [];
  private readonly values: T[] = [];

  constructor(private readonly compute: (text: string) => T) {}

  get(buffer: Buffer, start: number, end: number): T {
    const n = end - start;
    for (let k = 0; k < this.keys.length; k++) {
      const key = this.keys[k];
      if (key.length !== n) continue;
      let i = 0;
      while (i < n && key[i] === buffer[start + i]) i++;
      if (i === n) return this.values[k];
    }
    const value = this.compute(buffer.toString('utf8', start, end));
    // A column of many distinct values is computed each time rather than searched.
    if (this.keys.length < 32) {
      this.keys.push(Uint8Array.prototype.slice.call(buffer, start, end));
      this.values.push(value);
    }
    return value;
  }
}
