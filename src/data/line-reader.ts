import { createReadStream, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { EngineError } from '../core/engine-error.ts';

/** One record of a delimited file: its cells, the physical line it starts on, and its raw text. */
export interface DelimitedRecord {
  cells: string[];
  line: number;
  raw: string;
  /** Set when the record could not be split (an unclosed quote at end of file). */
  error?: string;
}

export interface ReadProgress {
  bytesRead: number;
  totalBytes: number;
}

/**
 * Opens a file for streaming, decompressing `.gz`; a missing file is E_FILE_NOT_FOUND. The stream
 * yields strings (UTF-8) unless `bytes` is set, when it yields Buffers.
 */
export function openText(
  path: string,
  bytes = false,
  range?: { start: number; end: number },
): { stream: Readable; totalBytes: number; bytesRead: () => number } {
  let totalBytes: number;
  try {
    totalBytes = statSync(path).size;
  } catch {
    throw new EngineError('E_FILE_NOT_FOUND', `cannot read '${path}'`, { path, hint: 'check the path' });
  }
  if (range && path.endsWith('.gz')) throw new Error('a compressed file is read whole, not by range');
  if (range && range.end <= range.start)
    return { stream: Readable.from([]), totalBytes, bytesRead: () => range.start };
  const file = createReadStream(path, {
    highWaterMark: 1 << 20,
    ...(range ? { start: range.start, end: range.end - 1 } : {}),
  });
  const stream = path.endsWith('.gz') ? file.pipe(createGunzip()) : file;
  if (!bytes) stream.setEncoding('utf8');
  const offset = range?.start ?? 0;
  return { stream, totalBytes, bytesRead: () => offset + file.bytesRead };
}

/**
 * Streams the lines of a text file in batches (one batch per ~1 MiB read), with 1-based line
 * numbers. Batching keeps the per-line cost to a string slice: no promise or object per line.
 */
export async function* readLineBatches(
  path: string,
  onProgress?: (progress: ReadProgress) => void,
): AsyncGenerator<{ lines: string[]; firstLine: number }> {
  const { stream, totalBytes, bytesRead } = openText(path);
  let carry = '';
  let lineNumber = 1;
  for await (const chunk of stream as AsyncIterable<string>) {
    const text = carry + chunk;
    const lines: string[] = [];
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      lines.push(text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end));
      start = end + 1;
    }
    carry = text.slice(start);
    if (lines.length > 0) {
      yield { lines, firstLine: lineNumber };
      lineNumber += lines.length;
    }
    onProgress?.({ bytesRead: bytesRead(), totalBytes });
  }
  if (carry.length > 0) {
    yield { lines: [carry.endsWith('\r') ? carry.slice(0, -1) : carry], firstLine: lineNumber };
  }
  onProgress?.({ bytesRead: totalBytes, totalBytes });
}

/**
 * The lines of a file as byte ranges of one buffer per batch (~1 MiB read), with 1-based line
 * numbers; a line's end excludes its "\n" and a "\r" before it. Nothing is decoded: a reader that
 * can take its cells from the bytes never makes a string. The arrays are reused from one batch to
 * the next, so read a batch before asking for the next.
 */
export interface ByteLines {
  buffer: Buffer;
  starts: Int32Array;
  ends: Int32Array;
  count: number;
  firstLine: number;
}

/** A byte range of an uncompressed file that starts at a line, and that line's number. */
export interface LineRange {
  start: number;
  /** Exclusive. */
  end: number;
  firstLine: number;
}

export async function* readByteLineBatches(
  path: string,
  onProgress?: (progress: ReadProgress) => void,
  range?: LineRange,
): AsyncGenerator<ByteLines> {
  const { stream, totalBytes, bytesRead } = openText(path, true, range);
  let carry: Buffer | undefined;
  let starts = new Int32Array(1 << 15);
  let ends = new Int32Array(1 << 15);
  let lineNumber = range?.firstLine ?? 1;
  for await (const buffer of stream as AsyncIterable<Buffer>) {
    let start = 0;
    if (carry !== undefined && carry.length > 0) {
      // The line cut by the last read goes alone, joined to its end, so the block is never copied
      // whole (that copy was a tenth of a 10 M-event import).
      const newline = buffer.indexOf(10);
      if (newline < 0) {
        carry = Buffer.concat([carry, buffer]);
        onProgress?.({ bytesRead: bytesRead(), totalBytes });
        continue;
      }
      const line = Buffer.concat([carry, buffer.subarray(0, newline)]);
      starts[0] = 0;
      ends[0] = line.length > 0 && line[line.length - 1] === 13 ? line.length - 1 : line.length;
      yield { buffer: line, starts, ends, count: 1, firstLine: lineNumber };
      lineNumber++;
      start = newline + 1;
    }
    let count = 0;
    for (let end = buffer.indexOf(10, start); end !== -1; end = buffer.indexOf(10, start)) {
      if (count === starts.length) {
        starts = grown(starts);
        ends = grown(ends);
      }
      starts[count] = start;
      ends[count] = end > start && buffer[end - 1] === 13 ? end - 1 : end;
      count++;
      start = end + 1;
    }
    carry = buffer.subarray(start);
    if (count > 0) {
      yield { buffer, starts, ends, count, firstLine: lineNumber };
      lineNumber += count;
    }
    onProgress?.({ bytesRead: bytesRead(), totalBytes });
  }
  if (carry !== undefined && carry.length > 0) {
    starts[0] = 0;
    ends[0] = carry[carry.length - 1] === 13 ? carry.length - 1 : carry.length;
    yield { buffer: carry, starts, ends, count: 1, firstLine: lineNumber };
  }
  onProgress?.({ bytesRead: range?.end ?? totalBytes, totalBytes });
}

function grown(array: Int32Array): Int32Array<ArrayBuffer> {
  const next = new Int32Array(array.length * 2);
  next.set(array);
  return next;
}

/**
 * Joins physical lines into the records of a delimited (CSV/TSV) file, RFC 4180 quoting: a quoted
 * cell may hold the delimiter, doubled quotes and line breaks. Lines without a quote take the fast
 * path (split). Empty lines outside a quoted cell are skipped.
 */
export class RecordAssembler {
  private pending: { text: string; line: number } | undefined;

  constructor(private readonly delimiter: string) {}

  /** A quoted cell is open: the next line continues the current record. */
  get open(): boolean {
    return this.pending !== undefined;
  }

  /** The record this line completes, or undefined (an empty line, or a quoted cell still open). */
  push(text: string, line: number): DelimitedRecord | undefined {
    let startLine = line;
    if (this.pending) {
      text = `${this.pending.text}\n${text}`;
      startLine = this.pending.line;
      this.pending = undefined;
    }
    if (text.indexOf('"') === -1) {
      return text.length > 0 ? { cells: text.split(this.delimiter), line: startLine, raw: text } : undefined;
    }
    const cells = splitQuoted(text, this.delimiter);
    if (cells === undefined) {
      this.pending = { text, line: startLine };
      return undefined;
    }
    return { cells, line: startLine, raw: text };
  }

  /** At the end of the file: the record a quoted cell left open, as an error record. */
  end(): DelimitedRecord | undefined {
    const pending = this.pending;
    this.pending = undefined;
    if (!pending) return undefined;
    return {
      cells: [],
      line: pending.line,
      raw: pending.text.slice(0, 200),
      error: 'a quoted cell is never closed before the end of the file',
    };
  }
}

/** Streams the records of a delimited file (see RecordAssembler), in batches. */
export async function* readDelimited(
  path: string,
  delimiter: string,
  onProgress?: (progress: ReadProgress) => void,
): AsyncGenerator<DelimitedRecord[]> {
  const assembler = new RecordAssembler(delimiter);
  for await (const { lines, firstLine } of readLineBatches(path, onProgress)) {
    const records: DelimitedRecord[] = [];
    for (let k = 0; k < lines.length; k++) {
      const record = assembler.push(lines[k], firstLine + k);
      if (record) records.push(record);
    }
    if (records.length > 0) yield records;
  }
  const last = assembler.end();
  if (last) yield [last];
}

/** Splits one record with quotes; undefined when a quoted cell runs past the end (continues on the next line). */
export function splitQuoted(text: string, delimiter: string): string[] | undefined {
  const cells: string[] = [];
  let i = 0;
  const n = text.length;
  for (;;) {
    if (text[i] === '"') {
      let cell = '';
      let j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q === -1) return undefined;
        cell += text.slice(j, q);
        if (text[q + 1] === '"') {
          cell += '"';
          j = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      // Anything between the closing quote and the delimiter is kept, as lenient readers do.
      const next = text.indexOf(delimiter, i);
      cells.push(next === -1 ? cell + text.slice(i) : cell + text.slice(i, next));
      if (next === -1) return cells;
      i = next + 1;
    } else {
      const next = text.indexOf(delimiter, i);
      if (next === -1) {
        cells.push(text.slice(i));
        return cells;
      }
      cells.push(text.slice(i, next));
      i = next + 1;
    }
    if (i === n) {
      cells.push('');
      return cells;
    }
  }
}
