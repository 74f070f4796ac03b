import { closeSync, openSync, writeSync } from 'node:fs';
import { EngineError } from '../core/engine-error.ts';
import { type EventLog, EventLogBuilder } from './event-log.ts';
import { EventLogFileWriter } from './event-log-file.ts';
import { compileFastRow, type FastRow } from './fast-rows.ts';
import type { AttributeSourceConfig, ImportConfig, SourceConfig } from './import-config.ts';
import {
  type DelimitedRecord,
  type ReadProgress,
  RecordAssembler,
  readByteLineBatches,
  readLineBatches,
} from './line-reader.ts';
import {
  type CellReader,
  checkHeader,
  compileAttributeParser,
  compileRowParser,
  isRowProblem,
  type RowProblem,
} from './row-parser.ts';

export interface RejectedRow extends RowProblem {
  file: string;
  line: number;
}

export interface SourceReport {
  file: string;
  rows: number;
  imported: number;
  rejected: number;
  /** Of the imported rows, those read straight from their bytes (the rest took the general path). */
  byteRows: number;
}

export interface AttributeReport {
  file: string;
  of: 'user' | 'item';
  rows: number;
  /** Rows whose user or item appears in the events (their attributes were kept). */
  matched: number;
  /** Rows for ids no event names: skipped, and counted here (not rejects: the row itself is fine). */
  unmatched: number;
  rejected: number;
}

export interface ImportReport {
  sources: SourceReport[];
  attributes: AttributeReport[];
  rows: number;
  imported: number;
  rejected: number;
  /** Rejected rows per problem code. */
  rejectedByCode: Record<string, number>;
  /** The first rejected rows, for a summary; all of them are in the rejects file. */
  examples: RejectedRow[];
  users: number;
  items: number;
  sessions: number;
  eventTypes: Record<string, number>;
  firstTimestampMs: number;
  lastTimestampMs: number;
}

export interface ImportProgress extends ReadProgress {
  file: string;
  rows: number;
  rejected: number;
}

export interface ImportOptions {
  config: ImportConfig;
  /** Write every rejected row here as JSON lines {file, line, column, code, reason, raw}. */
  rejectsPath?: string;
  /** Stream the events to this `.nbev` file instead of keeping them in memory (bounded memory). */
  outputPath?: string;
  /** Rows per chunk written to `outputPath` (memory held by the columns; default 65,536). */
  chunkRows?: number;
  /**
   * Read plain CSV rows from their bytes where the mapping allows (default true). The general path
   * reads every row the same way, only slower; false is for checking that.
   */
  byteRows?: boolean;
  onProgress?: (progress: ImportProgress) => void;
}

/**
 * Streams each source, parses every row by the mapping, and keeps the good ones as events. Bad rows
 * are counted by reason and written to the rejects file with their line and column; none is
 * dropped silently. With `outputPath` the events go to disk in chunks and `log` is undefined.
 */
export async function importEvents(
  options: ImportOptions,
): Promise<{ log?: EventLog; report: ImportReport }> {
  const writer = options.outputPath ? new EventLogFileWriter(options.outputPath) : undefined;
  const typeCounts = new Map<number, number>();
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  const builder = new EventLogBuilder({
    initialCapacity: options.chunkRows,
    onChunk: writer
      ? (columns, n) => {
          tally(columns.types, columns.timestamps, n);
          writer.writeChunk(columns, n);
        }
      : undefined,
  });
  function tally(types: Uint8Array, timestamps: Float64Array, n: number): void {
    for (let i = 0; i < n; i++) {
      typeCounts.set(types[i], (typeCounts.get(types[i]) ?? 0) + 1);
      const t = timestamps[i];
      if (t < first) first = t;
      if (t > last) last = t;
    }
  }
  const rejects = new RejectSink(options.rejectsPath);
  const sources: SourceReport[] = [];
  try {
    for (const source of options.config.sources) {
      if (!source.file) {
        throw new EngineError('E_CONFIG_INVALID', 'every source needs a file', {
          path: `sources[${sources.length}].file`,
        });
      }
      sources.push(
        await importSource(
          source.file,
          source,
          builder,
          rejects,
          options.onProgress,
          options.byteRows ?? true,
        ),
      );
    }
    const attributes: AttributeReport[] = [];
    for (const [i, source] of options.config.attributes.entries()) {
      if (!source.file) {
        throw new EngineError('E_CONFIG_INVALID', 'every attribute source needs a file', {
          path: `attributes[${i}].file`,
        });
      }
      attributes.push(await importAttributes(source.file, source, builder, rejects, options.onProgress));
    }
    let log: EventLog | undefined;
    if (writer) builder.flush();
    else {
      log = builder.build();
      tally(log.types, log.timestamps, log.length);
    }
    const report: ImportReport = {
      sources,
      attributes,
      rows: sources.reduce((s, r) => s + r.rows, 0) + attributes.reduce((s, r) => s + r.rows, 0),
      imported: builder.size,
      rejected: rejects.count,
      rejectedByCode: Object.fromEntries(rejects.byCode),
      examples: rejects.examples,
      users: builder.users.size,
      items: builder.items.size,
      sessions: builder.sessions.size,
      eventTypes: Object.fromEntries(
        [...typeCounts].sort((a, b) => a[0] - b[0]).map(([t, n]) => [builder.types.values[t], n]),
      ),
      firstTimestampMs: first,
      lastTimestampMs: last,
    };
    const fraction = report.rows === 0 ? 0 : report.rejected / report.rows;
    if (report.imported === 0 || fraction > options.config.maxRejectFraction) {
      const top = report.examples[0];
      throw new EngineError(
        'E_TOO_MANY_REJECTS',
        `${report.rejected} of ${report.rows} rows rejected (${(100 * fraction).toFixed(1)}%)${
          top ? `; first: ${top.file}:${top.line} ${top.column ?? ''} ${top.code}: ${top.reason}` : ''
        }`,
        {
          path: top ? `${top.file}:${top.line}` : undefined,
          hint: options.rejectsPath
            ? `every rejected row is in ${options.rejectsPath}; check the column mapping`
            : 'check the column mapping, or pass a rejects file to see every rejected row',
        },
      );
    }
    // Only an import that passed the reject check lands under its name.
    writer?.finish(builder.dictionaries());
    return { log, report };
  } catch (error) {
    writer?.abort();
    throw error;
  } finally {
    rejects.close();
  }
}

async function importSource(
  path: string,
  source: SourceConfig,
  builder: EventLogBuilder,
  rejects: RejectSink,
  onProgress: ImportOptions['onProgress'],
  byteRows: boolean,
): Promise<SourceReport> {
  const report: SourceReport = { file: path, rows: 0, imported: 0, rejected: 0, byteRows: 0 };
  const fastRows = (header: string[]): FastRow | undefined => {
    const fast = byteRows ? compileFastRow(source, header, builder) : undefined;
    if (!fast) return undefined;
    return (buffer, start, end) => {
      if (!fast(buffer, start, end)) return false;
      report.rows++;
      report.imported++;
      report.byteRows++;
      return true;
    };
  };
  await readParsedRows(
    path,
    source,
    compileRowParser(source),
    report,
    rejects,
    onProgress,
    (row) => {
      builder.add(row);
      report.imported++;
    },
    fastRows,
  );
  return report;
}

/** An attribute side file: each row's attributes go to the user or item its key names. */
async function importAttributes(
  path: string,
  source: AttributeSourceConfig,
  builder: EventLogBuilder,
  rejects: RejectSink,
  onProgress: ImportOptions['onProgress'],
): Promise<AttributeReport> {
  const report: AttributeReport = {
    file: path,
    of: source.of,
    rows: 0,
    matched: 0,
    unmatched: 0,
    rejected: 0,
  };
  await readParsedRows(path, source, compileAttributeParser(source), report, rejects, onProgress, (row) => {
    if (builder.setAttributesOf(source.of, row.key, row.attributes)) report.matched++;
    else report.unmatched++;
  });
  return report;
}

/**
 * Reads a file's rows through a mapping's parser: rows that cannot be read or parsed are counted and
 * written to the rejects with their line; the rest go to `keep`.
 */
async function readParsedRows<T extends object>(
  path: string,
  source: SourceConfig | AttributeSourceConfig,
  parse: (read: CellReader) => T | RowProblem,
  report: { rows: number; rejected: number },
  rejects: RejectSink,
  onProgress: ImportOptions['onProgress'],
  keep: (row: T) => void,
  fastRows?: (header: string[]) => FastRow | undefined,
): Promise<void> {
  await readRows(
    path,
    source,
    (header) => checkHeader(path, header, source),
    (row, line, raw) => {
      report.rows++;
      const result = isRowProblem(row) ? row : parse(row);
      if (isRowProblem(result)) {
        report.rejected++;
        rejects.add({ file: path, line, ...result }, raw);
      } else keep(result);
    },
    (p) => onProgress?.({ ...p, file: path, rows: report.rows, rejected: report.rejected }),
    fastRows,
  );
}

/** How a file is laid out: the part of a mapping every reader shares. */
type FileLayout = Pick<SourceConfig, 'format' | 'delimiter' | 'header' | 'columns' | 'missing'>;

/**
 * Streams the rows of a CSV or JSONL file: each as a cell reader, or as the problem that kept it
 * from being read (an unclosed quote, a wrong cell count, a line that is not a JSON object), with
 * its line number and raw text. `onHeader` sees a CSV's column names before the first row.
 * `fastRows` may offer, once the header is known, a reader that takes a CSV line from its bytes
 * (and counts it) or declines it, when the line goes the general way.
 */
async function readRows(
  path: string,
  layout: FileLayout,
  onHeader: (header: string[]) => void,
  onRow: (row: CellReader | RowProblem, line: number, raw: string) => void,
  progress: (p: ReadProgress) => void,
  fastRows?: (header: string[]) => FastRow | undefined,
): Promise<void> {
  const missing = new Set(layout.missing);
  if (layout.format === 'jsonl') {
    let current: Record<string, unknown> = {};
    const read: CellReader = (column) => cellOf(lookup(current, column), missing);
    for await (const { lines, firstLine } of readLineBatches(path, progress)) {
      for (let k = 0; k < lines.length; k++) {
        const text = lines[k];
        if (text.trim() === '') continue;
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch (error) {
          onRow({ code: 'E_JSON_INVALID', reason: (error as Error).message }, firstLine + k, text);
          continue;
        }
        if (typeof value !== 'object' || value === null || Array.isArray(value)) {
          onRow({ code: 'E_JSON_INVALID', reason: 'a line must be one JSON object' }, firstLine + k, text);
          continue;
        }
        current = value as Record<string, unknown>;
        onRow(read, firstLine + k, text);
      }
    }
    return;
  }

  let header: string[] | undefined = layout.header ? undefined : layout.columns;
  let index = new Map<string, number>();
  let fast: FastRow | undefined;
  const useHeader = (names: string[]) => {
    header = names;
    onHeader(names);
    index = new Map(names.map((name, i) => [name, i]));
    fast = fastRows?.(names);
  };
  if (header) useHeader(header);
  let cells: string[] = [];
  const read: CellReader = (column) => {
    const cell = cells[index.get(column) as number];
    return cell === undefined || missing.has(cell) ? undefined : cell;
  };
  const onRecord = (record: DelimitedRecord) => {
    if (record.error) {
      onRow({ code: 'E_UNCLOSED_QUOTE', reason: record.error }, record.line, record.raw);
      return;
    }
    if (!header) {
      useHeader(record.cells.map((name, i) => (i === 0 ? name.replace(/^\uFEFF/, '') : name).trim()));
      return;
    }
    if (record.cells.length !== header.length) {
      onRow(
        {
          code: 'E_COLUMN_COUNT',
          reason: `${record.cells.length} cells where the header has ${header.length}`,
        },
        record.line,
        record.raw,
      );
      return;
    }
    cells = record.cells;
    onRow(read, record.line, record.raw);
  };
  const assembler = new RecordAssembler(layout.delimiter);
  for await (const { buffer, starts, ends, count, firstLine } of readByteLineBatches(path, progress)) {
    for (let k = 0; k < count; k++) {
      if (fast !== undefined && !assembler.open && fast(buffer, starts[k], ends[k])) continue;
      const record = assembler.push(buffer.toString('utf8', starts[k], ends[k]), firstLine + k);
      if (record) onRecord(record);
    }
  }
  const last = assembler.end();
  if (last) onRecord(last);
  if (!header) {
    throw new EngineError('E_FILE_EMPTY', `'${path}' has no header line`, {
      path,
      hint: 'is it the right file?',
    });
  }
}

function lookup(object: Record<string, unknown>, column: string): unknown {
  if (column in object || !column.includes('.')) return object[column];
  let value: unknown = object;
  for (const key of column.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function cellOf(value: unknown, missing: Set<string>): string | number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string') return missing.has(value) ? undefined : value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return JSON.stringify(value);
}

/** Counts rejected rows by code, keeps a few examples, and appends all of them to a JSONL file. */
class RejectSink {
  count = 0;
  readonly byCode = new Map<string, number>();
  readonly examples: RejectedRow[] = [];
  private fd: number | undefined;
  private buffer: string[] = [];

  /** The file is created at the first rejected row, so a clean import leaves none behind. */
  constructor(private readonly path: string | undefined) {}

  add(row: RejectedRow, raw: string): void {
    this.count++;
    this.byCode.set(row.code, (this.byCode.get(row.code) ?? 0) + 1);
    if (this.examples.length < 10) this.examples.push(row);
    if (this.path !== undefined) {
      this.fd ??= openSync(this.path, 'w');
      this.buffer.push(JSON.stringify({ ...row, raw: raw.length > 2000 ? `${raw.slice(0, 2000)}…` : raw }));
      if (this.buffer.length >= 1000) this.flush();
    }
  }

  private flush(): void {
    if (this.fd !== undefined && this.buffer.length > 0) writeSync(this.fd, `${this.buffer.join('\n')}\n`);
    this.buffer = [];
  }

  close(): void {
    this.flush();
    if (this.fd !== undefined) closeSync(this.fd);
  }
}
