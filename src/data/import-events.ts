import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineError } from '../core/engine-error.ts';
import { CsvRows, type FileLayout } from './csv-rows.ts';
import { type EventLog, EventLogBuilder } from './event-log.ts';
import { EventLogFileWriter } from './event-log-file.ts';
import { compileFastRow, type FastRow } from './fast-rows.ts';
import type { AttributeSourceConfig, ImportConfig, SourceConfig } from './import-config.ts';
import { DEFAULT_IMPORT_THREADS, type RowCounts, Shard, splitPoint } from './import-shard.ts';
import { type ReadProgress, readLineBatches } from './line-reader.ts';
import { type RejectedRow, RejectSink } from './rejects.ts';
import {
  type CellReader,
  checkHeader,
  compileAttributeParser,
  compileRowParser,
  isRowProblem,
  type RowProblem,
} from './row-parser.ts';

export type { RejectedRow } from './rejects.ts';

export interface SourceReport {
  file: string;
  rows: number;
  imported: number;
  rejected: number;
  /** Of the imported rows, those read straight from their bytes (the rest took the general path). */
  byteRows: number;
  /** Threads that read the file: 2 when a worker read its second half. */
  threads: number;
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
  /**
   * 2: a worker thread reads the second half of a large CSV source read from its bytes. The result
   * is the same as with 1, the default (docs/decisions/0012 and 0013 say why one is the default).
   */
  threads?: number;
  /** The smallest file split across threads (default 64 MiB). */
  splitMinBytes?: number;
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
  const typeCounts = new Float64Array(256);
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
      typeCounts[types[i]]++;
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
      sources.push(await importSource(source.file, source, builder, rejects, options));
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
        builder.types.values.flatMap((name, t) => (typeCounts[t] > 0 ? [[name, typeCounts[t]]] : [])),
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
    writer?.finish(builder.dictionariesJson());
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
  options: ImportOptions,
): Promise<SourceReport> {
  const counts: RowCounts = { rows: 0, imported: 0, rejected: 0, byteRows: 0 };
  const byteRows = options.byteRows ?? true;
  const threads = options.threads ?? DEFAULT_IMPORT_THREADS;
  const split =
    byteRows && threads > 1 && source.format === 'csv'
      ? splitPoint(path, options.splitMinBytes ?? 64 << 20)
      : undefined;
  let shard: Shard | undefined;
  let merged = false;
  // Progress: this thread's bytes, plus the worker's past the split point while it reads.
  let read: ReadProgress = { bytesRead: 0, totalBytes: 0 };
  let shardRead = { bytesRead: split ?? 0, rows: 0 };
  const progress = () =>
    options.onProgress?.({
      file: path,
      bytesRead: read.bytesRead + (shard ? shardRead.bytesRead - (split ?? 0) : 0),
      totalBytes: read.totalBytes,
      rows: counts.rows + (shard ? shardRead.rows : 0),
      rejected: counts.rejected,
    });
  const startShard = (header: string[]) => {
    if (split === undefined) return;
    const dir = mkdtempSync(join(tmpdir(), 'nextbest-import-'));
    shard = new Shard({ path, source, header, start: split, dir }, (p) => {
      shardRead = p;
      progress();
    });
  };
  const restElsewhere = async (open: boolean, line: number): Promise<boolean> => {
    if (!shard) return false;
    if (open) {
      // The split point is inside a quoted cell: this thread reads on, as if never split.
      await shard.close();
      shard = undefined;
      return false;
    }
    await shard.merge(await shard.result, builder, counts, rejects, line);
    merged = true;
    return true;
  };
  try {
    await readSourceRows(
      path,
      source,
      builder,
      rejects,
      counts,
      (p) => {
        read = p;
        progress();
      },
      {
        byteRows,
        onBytes: startShard,
        split: split === undefined ? undefined : { offset: split, elsewhere: restElsewhere },
      },
    );
  } finally {
    await shard?.close();
  }
  return { file: path, ...counts, threads: merged ? 2 : 1 };
}

/** How the rows of one event source are read: by one thread, or as one part of a split file. */
export interface SourceRowsOptions {
  /** Read plain CSV rows from their bytes where the mapping allows. */
  byteRows: boolean;
  /** Called with the header when rows are read from their bytes (before the first row). */
  onBytes?: (header: string[]) => void;
  /** Start at this line start, with this line number and header (the part after a split point). */
  from?: { byte: number; line: number; header: string[] };
  /**
   * Stop at `offset` and ask `elsewhere` whether the rest was read elsewhere (else read on), telling
   * it whether a quoted cell is open and the number of the line at `offset`.
   */
  split?: { offset: number; elsewhere: (open: boolean, line: number) => Promise<boolean> };
}

/** Reads an event source's rows into the builder, counting them and rejecting bad ones. */
export async function readSourceRows(
  path: string,
  source: SourceConfig,
  builder: EventLogBuilder,
  rejects: RejectSink,
  counts: RowCounts,
  progress: (p: ReadProgress) => void,
  options: SourceRowsOptions,
): Promise<void> {
  const fastRows = (header: string[]): FastRow | undefined => {
    const fast = options.byteRows ? compileFastRow(source, header, builder) : undefined;
    if (!fast) return undefined;
    options.onBytes?.(header);
    return {
      row: (buffer, start, end) => {
        if (!fast.row(buffer, start, end)) return false;
        counts.rows++;
        counts.imported++;
        counts.byteRows++;
        return true;
      },
      flush: fast.flush,
    };
  };
  await readParsedRows(
    path,
    source,
    compileRowParser(source),
    counts,
    rejects,
    progress,
    (row) => {
      builder.add(row);
      counts.imported++;
    },
    { fastRows, from: options.from, split: options.split },
  );
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
  await readParsedRows(
    path,
    source,
    compileAttributeParser(source),
    report,
    rejects,
    (p) => onProgress?.({ ...p, file: path, rows: report.rows, rejected: report.rejected }),
    (row) => {
      if (builder.setAttributesOf(source.of, row.key, row.attributes)) report.matched++;
      else report.unmatched++;
    },
  );
  return report;
}

/** Options of a CSV read beyond the layout: see SourceRowsOptions and CsvRowsOptions. */
interface RowsOptions {
  fastRows?: (header: string[]) => FastRow | undefined;
  from?: SourceRowsOptions['from'];
  split?: SourceRowsOptions['split'];
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
  progress: (p: ReadProgress) => void,
  keep: (row: T) => void,
  options: RowsOptions = {},
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
    progress,
    options,
  );
}

/**
 * Streams the rows of a CSV or JSONL file: each as a cell reader, or as the problem that kept it
 * from being read (an unclosed quote, a wrong cell count, a line that is not a JSON object), with
 * its line number and raw text. `onHeader` sees a CSV's column names before the first row.
 */
async function readRows(
  path: string,
  layout: FileLayout,
  onHeader: (header: string[]) => void,
  onRow: (row: CellReader | RowProblem, line: number, raw: string) => void,
  progress: (p: ReadProgress) => void,
  options: RowsOptions,
): Promise<void> {
  if (layout.format === 'jsonl') {
    const missing = new Set(layout.missing);
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
  const { from, split } = options;
  const rows = new CsvRows({
    path,
    layout,
    onHeader,
    onRow,
    fastRows: options.fastRows,
    header: from?.header,
  });
  if (from) {
    rows.nextByte = from.byte;
    rows.nextLine = from.line;
  }
  if (split) {
    await rows.read(progress, split.offset);
    if (!(await split.elsewhere(rows.open, rows.nextLine))) await rows.read(progress);
  } else await rows.read(progress);
  rows.finish();
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
