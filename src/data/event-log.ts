/**
 * A shop's interaction log held as columns: one row per event, ids interned to dense integers.
 * Columns are typed arrays so ten million events fit in ~250 MB and sort, filter and split without
 * allocating an object per row.
 */
export interface EventLog {
  /** Number of events. Columns may be longer (spare capacity); only the first `length` rows count. */
  length: number;
  users: Int32Array;
  items: Int32Array;
  /** Index into `typeNames`. */
  types: Uint8Array;
  /** Milliseconds since the Unix epoch. */
  timestamps: Float64Array;
  /** Index into `sessionIds`, or -1 when the source gave no session (sessionise assigns them). */
  sessions: Int32Array;
  /** Optional numeric value (price, revenue, rating); NaN when absent. */
  values: Float64Array;
  /** Logging propensity for bandit logs; NaN when absent. */
  propensities: Float64Array;
  userIds: string[];
  itemIds: string[];
  sessionIds: string[];
  typeNames: string[];
  /** Attributes by column name: the latest value seen for each user or item (index = dense id). */
  userAttributes: Record<string, (string | number | null)[]>;
  itemAttributes: Record<string, (string | number | null)[]>;
}

/** The event types the engine gives meaning to; logs may add others (kept, rewarded 0 by default). */
export const CANONICAL_EVENT_TYPES = ['click', 'cart', 'purchase'] as const;

export interface EventRow {
  user: string;
  item: string;
  type: string;
  timestampMs: number;
  session?: string;
  value?: number;
  propensity?: number;
  userAttributes?: Record<string, string | number | null>;
  itemAttributes?: Record<string, string | number | null>;
}

/**
 * Interns strings to dense ids in first-seen order. Ids that are canonical integers (most shop
 * logs) are keyed by their number: a small-integer lookup costs a fraction of hashing a fresh
 * string (profiled: this was 35% of import time). Their text is made only when `values` is read,
 * once, after the import: making a string per new id in the row loop cost about 15% of it.
 */
export class Dictionary {
  /** Per id: the integer key, or -1 for an entry kept as text. */
  private readonly keys: number[] = [];
  /** The text entries, in id order. */
  private readonly texts: string[] = [];
  private readonly index = new Map<string, number>();
  private readonly numeric = new IntIndex();
  /** `values` as far as it has been made, and how many texts it has taken. */
  private made: string[] = [];
  private madeTexts = 0;

  constructor(initial: readonly string[] = []) {
    for (const value of initial) this.id(value);
  }

  /** The entries' text by id. Made on first read; later entries are appended to the same array. */
  get values(): string[] {
    const { keys, made } = this;
    for (let id = made.length; id < keys.length; id++) {
      made.push(keys[id] >= 0 ? String(keys[id]) : this.texts[this.madeTexts++]);
    }
    return made;
  }

  /**
   * `JSON.stringify(this.values)` as UTF-8, without making the text of integer ids: their digits
   * are written straight into the bytes. On a 10 M-event log (1.2 M ids) making the strings and
   * stringifying them took about a tenth of the import.
   */
  jsonBytes(): Buffer {
    const { keys, texts } = this;
    const encoded = texts.map((text) => Buffer.from(JSON.stringify(text), 'utf8'));
    // Per integer id: at most 10 digits and 2 quotes; per id a comma; plus the brackets.
    let size = 2 + keys.length;
    for (const bytes of encoded) size += bytes.length;
    for (const key of keys) if (key >= 0) size += 12;
    const out = Buffer.allocUnsafe(size);
    let at = 0;
    let t = 0;
    out[at++] = 0x5b; // [
    for (let id = 0; id < keys.length; id++) {
      if (id > 0) out[at++] = 0x2c; // ,
      let key = keys[id];
      if (key < 0) {
        const bytes = encoded[t++];
        bytes.copy(out, at);
        at += bytes.length;
        continue;
      }
      out[at++] = 0x22; // "
      let digits = 1;
      for (let rest = key; rest >= 10; rest = Math.floor(rest / 10)) digits++;
      for (let d = at + digits - 1; d >= at; d--) {
        out[d] = 0x30 + (key % 10);
        key = Math.floor(key / 10);
      }
      at += digits;
      out[at++] = 0x22;
    }
    out[at++] = 0x5d; // ]
    return out.subarray(0, at);
  }

  /** The text of one id. */
  valueOf(id: number): string {
    return this.keys[id] >= 0 ? String(this.keys[id]) : this.values[id];
  }

  id(value: string): number {
    const key = canonicalInteger(value);
    if (key >= 0) return this.idOfInteger(key);
    let id = this.index.get(value);
    if (id === undefined) {
      id = this.keys.length;
      this.index.set(value, id);
      this.keys.push(-1);
      this.texts.push(value);
    }
    return id;
  }

  /** The id of `String(key)` for a non-negative integer key below 10^9. */
  idOfInteger(key: number): number {
    const id = this.numeric.getOrAdd(key, this.keys.length);
    if (id === this.keys.length) this.keys.push(key);
    return id;
  }

  /** The id of a value already interned, or -1 (nothing is added). */
  find(value: string): number {
    const key = canonicalInteger(value);
    if (key >= 0) return this.numeric.get(key);
    return this.index.get(value) ?? -1;
  }

  get size(): number {
    return this.keys.length;
  }

  /**
   * The entries as integer keys where they are canonical integers (-1 elsewhere) plus the other
   * entries' text in order: cheaper to pass between threads than the strings, and re-interned
   * without parsing (see `addEntries`).
   */
  entries(): DictionaryEntries {
    return { keys: Int32Array.from(this.keys), texts: [...this.texts] };
  }

  /** Interns another dictionary's entries in their order; returns their ids here. */
  addEntries({ keys, texts }: DictionaryEntries): Int32Array {
    const ids = new Int32Array(keys.length);
    let t = 0;
    for (let i = 0; i < keys.length; i++) {
      ids[i] = keys[i] >= 0 ? this.idOfInteger(keys[i]) : this.id(texts[t++]);
    }
    return ids;
  }
}

export interface DictionaryEntries {
  keys: Int32Array;
  texts: string[];
}

/** Appends rows into growing columns; `build()` returns the log without copying spare capacity away. */
export class EventLogBuilder {
  readonly users = new Dictionary();
  readonly items = new Dictionary();
  readonly sessions = new Dictionary();
  readonly types = new Dictionary(CANONICAL_EVENT_TYPES);
  readonly userAttributes: Record<string, (string | number | null)[]> = {};
  readonly itemAttributes: Record<string, (string | number | null)[]> = {};
  private capacity: number;
  private length = 0;
  private flushed = 0;
  private columns: Columns;
  private readonly onChunk: ((columns: Columns, length: number) => void) | undefined;

  /**
   * With `onChunk`, rows are handed over in chunks of `initialCapacity` and the columns reused, so
   * memory stays bounded however long the file (only the id dictionaries grow).
   */
  constructor(
    options: { initialCapacity?: number; onChunk?: (columns: Columns, length: number) => void } = {},
  ) {
    this.capacity = Math.max(16, options.initialCapacity ?? 1 << 16);
    this.columns = allocateColumns(this.capacity);
    this.onChunk = options.onChunk;
  }

  /** Rows added so far. */
  get size(): number {
    return this.flushed + this.length;
  }

  add(row: EventRow): void {
    const user = this.users.id(row.user);
    const item = this.items.id(row.item);
    this.addIds(
      user,
      item,
      this.types.id(row.type),
      row.timestampMs,
      row.session === undefined ? -1 : this.sessions.id(row.session),
      row.value ?? Number.NaN,
      row.propensity ?? Number.NaN,
    );
    if (row.userAttributes) setAttributes(this.userAttributes, user, row.userAttributes);
    if (row.itemAttributes) setAttributes(this.itemAttributes, item, row.itemAttributes);
  }

  /**
   * Appends a row whose ids are already interned in this builder's dictionaries (session -1 for
   * none; value and propensity NaN when absent). The byte-level CSV reader's path.
   */
  addIds(
    user: number,
    item: number,
    type: number,
    timestampMs: number,
    session: number,
    value: number,
    propensity: number,
  ): void {
    if (type > 255) throw new RangeError('an event log holds at most 256 event types');
    this.makeRoom();
    const i = this.length++;
    const c = this.columns;
    c.users[i] = user;
    c.items[i] = item;
    c.types[i] = type;
    c.timestamps[i] = timestampMs;
    c.sessions[i] = session;
    c.values[i] = value;
    c.propensities[i] = propensity;
  }

  /**
   * Appends rows of another builder's columns, their ids mapped into this one's (`users[id]` is the
   * id here of that builder's user `id`, and so on; session -1 stays -1).
   */
  addMapped(
    columns: Columns,
    n: number,
    maps: { users: Int32Array; items: Int32Array; types: Int32Array; sessions: Int32Array },
  ): void {
    const { users, items, types, sessions } = maps;
    for (const t of types) if (t > 255) throw new RangeError('an event log holds at most 256 event types');
    for (let from = 0; from < n; ) {
      this.makeRoom();
      const count = Math.min(n - from, this.capacity - this.length);
      const c = this.columns;
      const at = this.length - from;
      for (let i = from; i < from + count; i++) {
        c.users[at + i] = users[columns.users[i]];
        c.items[at + i] = items[columns.items[i]];
        c.types[at + i] = types[columns.types[i]];
        const session = columns.sessions[i];
        c.sessions[at + i] = session < 0 ? -1 : sessions[session];
      }
      c.timestamps.set(columns.timestamps.subarray(from, from + count), this.length);
      c.values.set(columns.values.subarray(from, from + count), this.length);
      c.propensities.set(columns.propensities.subarray(from, from + count), this.length);
      this.length += count;
      from += count;
    }
  }

  /** When the columns are full: hands them to `onChunk`, or grows them for an in-memory log. */
  private makeRoom(): void {
    if (this.length < this.capacity) return;
    if (this.onChunk) this.flush();
    else this.grow();
  }

  /** Hands the rows not yet handed over to `onChunk`. */
  flush(): void {
    if (!this.onChunk) throw new Error('flush() needs an onChunk sink');
    if (this.length > 0) this.onChunk(this.columns, this.length);
    this.flushed += this.length;
    this.length = 0;
  }

  /**
   * Attributes of a user or item already seen in the events (from a side file). Returns false, and
   * stores nothing, when the id is not among them.
   */
  setAttributesOf(of: 'user' | 'item', key: string, values: Record<string, string | number | null>): boolean {
    const id = (of === 'user' ? this.users : this.items).find(key);
    if (id < 0) return false;
    setAttributes(of === 'user' ? this.userAttributes : this.itemAttributes, id, values);
    return true;
  }

  /** The dictionaries and attributes, for a sink that wrote the columns elsewhere. */
  dictionaries(): Omit<EventLog, keyof Columns | 'length'> {
    return {
      userIds: this.users.values,
      itemIds: this.items.values,
      sessionIds: this.sessions.values,
      typeNames: this.types.values,
      userAttributes: this.userAttributes,
      itemAttributes: this.itemAttributes,
    };
  }

  /** `JSON.stringify(this.dictionaries())` as UTF-8, made without the text of integer ids. */
  dictionariesJson(): Buffer {
    const part = (text: string) => Buffer.from(text, 'utf8');
    return Buffer.concat([
      part('{"userIds":'),
      this.users.jsonBytes(),
      part(',"itemIds":'),
      this.items.jsonBytes(),
      part(',"sessionIds":'),
      this.sessions.jsonBytes(),
      part(',"typeNames":'),
      this.types.jsonBytes(),
      part(
        `,"userAttributes":${JSON.stringify(this.userAttributes)},"itemAttributes":${JSON.stringify(this.itemAttributes)}}`,
      ),
    ]);
  }

  build(): EventLog {
    if (this.onChunk) throw new Error('build() is for in-memory logs; this builder streams to a sink');
    return { length: this.length, ...this.columns, ...this.dictionaries() };
  }

  private grow(): void {
    this.capacity *= 2;
    const next = allocateColumns(this.capacity);
    for (const key of Object.keys(next) as (keyof Columns)[]) {
      (next[key] as Float64Array).set(this.columns[key] as Float64Array);
    }
    this.columns = next;
  }
}

export type Columns = Pick<
  EventLog,
  'users' | 'items' | 'types' | 'timestamps' | 'sessions' | 'values' | 'propensities'
>;

/** The columns in a fixed order (the `.nbev` file's order). */
export function columnList(columns: Columns) {
  const { users, items, sessions, timestamps, values, propensities, types } = columns;
  return [users, items, sessions, timestamps, values, propensities, types];
}

export function allocateColumns(n: number): Columns {
  return {
    users: new Int32Array(n),
    items: new Int32Array(n),
    types: new Uint8Array(n),
    timestamps: new Float64Array(n),
    sessions: new Int32Array(n),
    values: new Float64Array(n),
    propensities: new Float64Array(n),
  };
}

function setAttributes(
  table: Record<string, (string | number | null)[]>,
  id: number,
  values: Record<string, string | number | null>,
): void {
  for (const [name, value] of Object.entries(values)) {
    const column = table[name] ?? [];
    table[name] = column;
    while (column.length <= id) column.push(null);
    if (value !== null) column[id] = value;
  }
}

/** A new log holding the rows at `indices` (in that order), sharing the dictionaries. */
export function selectRows(log: EventLog, indices: ArrayLike<number>): EventLog {
  const n = indices.length;
  const out: EventLog = { ...log, length: n, ...allocateColumns(n) };
  for (let k = 0; k < n; k++) {
    const i = indices[k];
    out.users[k] = log.users[i];
    out.items[k] = log.items[i];
    out.types[k] = log.types[i];
    out.timestamps[k] = log.timestamps[i];
    out.sessions[k] = log.sessions[i];
    out.values[k] = log.values[i];
    out.propensities[k] = log.propensities[i];
  }
  return out;
}

/** Count of events per type name. */
export function countByType(log: EventLog): Record<string, number> {
  const counts = new Array<number>(log.typeNames.length).fill(0);
  for (let i = 0; i < log.length; i++) counts[log.types[i]]++;
  const out: Record<string, number> = {};
  log.typeNames.forEach((name, t) => {
    if (counts[t] > 0) out[name] = counts[t];
  });
  return out;
}

/** The value of a string of 1–9 decimal digits without a leading zero (or "0"), else -1. */
function canonicalInteger(value: string): number {
  const n = value.length;
  if (n === 0 || n > 9) return -1;
  let key = 0;
  for (let i = 0; i < n; i++) {
    const digit = value.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9 || (digit === 0 && i === 0 && n > 1)) return -1;
    key = key * 10 + digit;
  }
  return key;
}

/** Keys below this are looked up in a table indexed by the key itself (at most 16 MB). */
const DIRECT_KEYS = 1 << 22;

/**
 * Map from non-negative int32 keys to ids. Keys below 2^22 (most shop ids) index a table directly,
 * grown to the largest key seen: one memory access, and a million ids fit in 4 MB, so lookups
 * mostly hit the cache (profiled: the hash alone was 18% of a 2M-row import). Larger keys go to an
 * open-addressing hash (linear probing, load ≤ 0.5, Fibonacci hashing), several times faster than
 * a Map of numbers at a million keys. Both hold id + 1, so 0 means absent.
 */
class IntIndex {
  private direct = new Int32Array(1024);
  private keys = new Int32Array(1024).fill(-1);
  private ids = new Int32Array(1024);
  private size = 0;
  private shift = 22; // 32 - log2(capacity)

  /** The key's id, or -1. */
  get(key: number): number {
    if (key < DIRECT_KEYS) return key < this.direct.length ? this.direct[key] - 1 : -1;
    const slot = this.slotOf(key);
    return this.keys[slot] === key ? this.ids[slot] : -1;
  }

  /** The key's id; when absent, `fresh` is stored and returned. */
  getOrAdd(key: number, fresh: number): number {
    if (key < DIRECT_KEYS) {
      if (key >= this.direct.length) this.growDirect(key);
      const id = this.direct[key] - 1;
      if (id >= 0) return id;
      this.direct[key] = fresh + 1;
      return fresh;
    }
    const slot = this.slotOf(key);
    if (this.keys[slot] === key) return this.ids[slot];
    this.keys[slot] = key;
    this.ids[slot] = fresh;
    if (++this.size * 2 > this.keys.length) this.grow();
    return fresh;
  }

  private growDirect(key: number): void {
    let length = this.direct.length;
    while (length <= key) length *= 2;
    const next = new Int32Array(length);
    next.set(this.direct);
    this.direct = next;
  }

  /** The slot holding the key, or the empty slot where it would go. */
  private slotOf(key: number): number {
    const mask = this.keys.length - 1;
    let slot = Math.imul(key, 0x9e3779b1) >>> this.shift;
    for (;;) {
      const k = this.keys[slot];
      if (k === key || k === -1) return slot;
      slot = (slot + 1) & mask;
    }
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldIds = this.ids;
    this.keys = new Int32Array(oldKeys.length * 2).fill(-1);
    this.ids = new Int32Array(oldKeys.length * 2);
    this.shift--;
    const mask = this.keys.length - 1;
    for (let i = 0; i < oldKeys.length; i++) {
      const key = oldKeys[i];
      if (key === -1) continue;
      let slot = Math.imul(key, 0x9e3779b1) >>> this.shift;
      while (this.keys[slot] !== -1) slot = (slot + 1) & mask;
      this.keys[slot] = key;
      this.ids[slot] = oldIds[i];
    }
  }
}
