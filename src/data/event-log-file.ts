import { closeSync, openSync, readFileSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { EngineError } from '../core/engine-error.ts';
import { allocateColumns, type Columns, columnList, type EventLog } from './event-log.ts';

/**
 * The imported-log file (`.nbev`): columns written in chunks as the import streams, then the id
 * dictionaries as JSON. Layout, little-endian:
 *   "NBEV" u32 version
 *   repeated: u32 n, users i32×n, items i32×n, sessions i32×n, timestamps f64×n, values f64×n,
 *             propensities f64×n, types u8×n
 *   u32 0, u32 byteLength, JSON {userIds, itemIds, sessionIds, typeNames, userAttributes, itemAttributes}
 * It is written to `<path>.partial` and renamed at the end, so a crash never leaves a half file.
 */
const MAGIC = 0x5645424e; // "NBEV" read as little-endian u32
const VERSION = 1;
/** Bytes per row in a chunk: users, items, sessions (i32), timestamps, values, propensities (f64), types (u8). */
const ROW_BYTES = 4 * 3 + 8 * 3 + 1;

export class EventLogFileWriter {
  private readonly fd: number;
  private readonly partial: string;
  private rows = 0;
  private closed = false;

  constructor(private readonly path: string) {
    this.partial = `${path}.partial`;
    this.fd = openSync(this.partial, 'w');
    const head = Buffer.alloc(8);
    head.writeUInt32LE(MAGIC, 0);
    head.writeUInt32LE(VERSION, 4);
    writeSync(this.fd, head);
  }

  writeChunk(columns: Columns, n: number): void {
    const count = Buffer.alloc(4);
    count.writeUInt32LE(n, 0);
    writeSync(this.fd, count);
    for (const column of columnList(columns)) {
      writeSync(this.fd, new Uint8Array(column.buffer, column.byteOffset, n * column.BYTES_PER_ELEMENT));
    }
    this.rows += n;
  }

  /** Writes the dictionaries (or their JSON, already encoded) and lands the file under its name. */
  finish(dictionaries: Omit<EventLog, keyof Columns | 'length'> | Buffer): number {
    const json = Buffer.isBuffer(dictionaries)
      ? dictionaries
      : Buffer.from(JSON.stringify(dictionaries), 'utf8');
    const tail = Buffer.alloc(8);
    tail.writeUInt32LE(0, 0);
    tail.writeUInt32LE(json.length, 4);
    writeSync(this.fd, tail);
    writeSync(this.fd, json);
    closeSync(this.fd);
    this.closed = true;
    renameSync(this.partial, this.path);
    return this.rows;
  }

  /** Drops the partial file; safe to call after finish() or twice. */
  abort(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
    rmSync(this.partial, { force: true });
  }
}

/** Writes an in-memory log as a `.nbev` file (atomically, like the import). */
export function writeEventLog(path: string, log: EventLog): number {
  const writer = new EventLogFileWriter(path);
  try {
    writer.writeChunk(log, log.length);
    const { userIds, itemIds, sessionIds, typeNames, userAttributes, itemAttributes } = log;
    return writer.finish({ userIds, itemIds, sessionIds, typeNames, userAttributes, itemAttributes });
  } catch (error) {
    writer.abort();
    throw error;
  }
}

/** Reads a `.nbev` file written by `nextbest import`. */
export function readEventLog(path: string): EventLog {
  return parseEventLog(readEventLogBytes(path), path);
}

/** The bytes of a `.nbev` file (for a caller that also hashes them), or E_FILE_NOT_FOUND. */
export function readEventLogBytes(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch {
    throw new EngineError('E_FILE_NOT_FOUND', `cannot read event log '${path}'`, {
      path,
      hint: "create one with 'nextbest import'",
    });
  }
}

/** An event log from the bytes of a `.nbev` file; `path` names it in errors. */
export function parseEventLog(buffer: Buffer, path: string): EventLog {
  const bad = (why: string) =>
    new EngineError('E_EVENT_LOG_FORMAT', `'${path}' is not a NextBest event log: ${why}`, {
      path,
      hint: "re-create it with 'nextbest import'",
    });
  if (buffer.length < 16 || buffer.readUInt32LE(0) !== MAGIC) throw bad('wrong magic number');
  if (buffer.readUInt32LE(4) !== VERSION) throw bad(`version ${buffer.readUInt32LE(4)} is not ${VERSION}`);
  // First pass: count rows so the columns are allocated once.
  let offset = 8;
  let total = 0;
  for (;;) {
    if (offset + 4 > buffer.length) throw bad('truncated');
    const n = buffer.readUInt32LE(offset);
    offset += 4;
    if (n === 0) break;
    total += n;
    offset += n * ROW_BYTES;
  }
  if (offset + 4 > buffer.length) throw bad('truncated before the dictionaries');
  const jsonLength = buffer.readUInt32LE(offset);
  offset += 4;
  if (offset + jsonLength !== buffer.length) throw bad('the dictionary section has the wrong length');
  const dictionaries = JSON.parse(buffer.toString('utf8', offset, offset + jsonLength));
  const columns = allocateColumns(total);
  offset = 8;
  let at = 0;
  for (;;) {
    const n = buffer.readUInt32LE(offset);
    offset += 4;
    if (n === 0) break;
    for (const column of columnList(columns)) {
      const bytes = n * column.BYTES_PER_ELEMENT;
      new Uint8Array(column.buffer, at * column.BYTES_PER_ELEMENT, bytes).set(
        buffer.subarray(offset, offset + bytes),
      );
      offset += bytes;
    }
    at += n;
  }
  return { length: total, ...columns, ...dictionaries };
}

/**
 * A `.nbev` file read chunk by chunk (memory: one chunk): its dictionaries first (found by skipping
 * over the chunks), then `forEachChunk`. The columns handed to `onChunk` are reused for the next.
 */
export function openEventLogChunks(path: string): {
  dictionaries: Omit<EventLog, keyof Columns | 'length'>;
  forEachChunk: (onChunk: (columns: Columns, n: number) => void) => void;
} {
  const word = Buffer.alloc(4);
  const readWord = (fd: number, position: number) => {
    if (readSync(fd, word, 0, 4, position) !== 4) throw new Error(`'${path}' is truncated`);
    return word.readUInt32LE(0);
  };
  const fd = openSync(path, 'r');
  let dictionaries: Omit<EventLog, keyof Columns | 'length'>;
  try {
    let position = 8;
    for (let n = readWord(fd, position); n > 0; n = readWord(fd, position)) position += 4 + n * ROW_BYTES;
    const json = Buffer.alloc(readWord(fd, position + 4));
    readSync(fd, json, 0, json.length, position + 8);
    dictionaries = JSON.parse(json.toString('utf8'));
  } finally {
    closeSync(fd);
  }
  const forEachChunk = (onChunk: (columns: Columns, n: number) => void) => {
    const fd = openSync(path, 'r');
    try {
      let position = 8;
      let columns = allocateColumns(0);
      for (let n = readWord(fd, position); n > 0; n = readWord(fd, position)) {
        position += 4;
        if (n > columns.users.length) columns = allocateColumns(n);
        for (const column of columnList(columns)) {
          const bytes = n * column.BYTES_PER_ELEMENT;
          readSync(fd, new Uint8Array(column.buffer, 0, bytes), 0, bytes, position);
          position += bytes;
        }
        onChunk(columns, n);
      }
    } finally {
      closeSync(fd);
    }
  };
  return { dictionaries, forEachChunk };
}
