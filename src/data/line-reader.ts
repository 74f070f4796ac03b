import { createReadStream, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
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

/** Opens a file for streaming, decompressing `.gz`; a missing file is E_FILE_NOT_FOUND. */
export function openText(path: string): { stream: Readable; totalBytes: number; bytesRead: () => number } {
  let totalBytes: number;
  try {
    totalBytes = statSync(path).size;
  } catch {
    throw new EngineError('E_FILE_NOT_FOUND', `cannot read '${path}'`, { path, hint: 'check the path' });
  }
  const file = createReadStream(path, { highWaterMark: 1 << 20 });
  const stream = path.endsWith('.gz') ? file.pipe(createGunzip()) : file;
  stream.setEncoding('utf8');
  return { stream, totalBytes, bytesRead: () => file.bytesRead };
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
 * Streams the records of a delimited (CSV/TSV) file, RFC 4180 quoting: a quoted cell may hold the
 * delimiter, doubled quotes and line breaks. Lines without a quote take the fast path (split).
 */
export async function* readDelimited(
  path: string,
  delimiter: string,
  onProgress?: (progress: ReadProgress) => void,
): AsyncGenerator<DelimitedRecord[]> {
  let pending: { text: string; line: number } | undefined;
  for await (const { lines, firstLine } of readLineBatches(path, onProgress)) {
    const records: DelimitedRecord[] = [];
    for (let k = 0; k < lines.length; k++) {
      const lineNumber = firstLine + k;
      let text = lines[k];
      let startLine = lineNumber;
      if (pending) {
        text = `${pending.text}\n${text}`;
        startLine = pending.line;
        pending = undefined;
      }
      if (text.indexOf('"') === -1) {
        if (text.length > 0) records.push({ cells: text.split(delimiter), line: startLine, raw: text });
        continue;
      }
      const cells = splitQuoted(text, delimiter);
      if (cells === undefined) pending = { text, line: startLine };
      else records.push({ cells, line: startLine, raw: text });
    }
    if (records.length > 0) yield records;
  }
  if (pending) {
    yield [
      {
        cells: [],
        line: pending.line,
        raw: pending.text.slice(0, 200),
        error: 'a quoted cell is never closed before the end of the file',
      },
    ];
  }
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
