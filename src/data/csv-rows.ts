import { EngineError } from '../core/engine-error.ts';
import type { FastRow } from './fast-rows.ts';
import type { SourceConfig } from './import-config.ts';
import {
  type DelimitedRecord,
  type LineRange,
  type ReadProgress,
  RecordAssembler,
  readByteLineBatches,
} from './line-reader.ts';
import type { CellReader, RowProblem } from './row-parser.ts';

/** How a file is laid out: the part of a mapping every reader shares. */
export type FileLayout = Pick<SourceConfig, 'format' | 'delimiter' | 'header' | 'columns' | 'missing'>;

export interface CsvRowsOptions {
  path: string;
  layout: FileLayout;
  /** Sees the column names before the first row. */
  onHeader: (header: string[]) => void;
  /** Each record as a cell reader, or the problem that kept it from being read, with its line and text. */
  onRow: (row: CellReader | RowProblem, line: number, raw: string) => void;
  /**
   * Once the header is known: a reader that takes a line from its bytes (and counts it) or declines
   * it, when the line goes the general way (decode, split, `onRow`).
   */
  fastRows?: (header: string[]) => FastRow | undefined;
  /** The header, when the caller knows it already (a shard that starts past the first line). */
  header?: string[];
}

/**
 * The rows of a delimited file, read in one go or range by range (ranges start at a line and follow
 * each other). A record's quoted cell may run over line breaks, also across a range boundary.
 */
export class CsvRows {
  header: string[] | undefined;
  /** The number of the next physical line to read. */
  nextLine = 1;
  /** Where the next range starts. */
  nextByte = 0;
  private index = new Map<string, number>();
  private fast: FastRow | undefined;
  private cells: string[] = [];
  private readonly missing: Set<string>;
  private readonly assembler: RecordAssembler;
  private readonly cell: CellReader;

  constructor(private readonly options: CsvRowsOptions) {
    this.missing = new Set(options.layout.missing);
    this.assembler = new RecordAssembler(options.layout.delimiter);
    this.cell = (column) => {
      const cell = this.cells[this.index.get(column) as number];
      return cell === undefined || this.missing.has(cell) ? undefined : cell;
    };
    const known = options.header ?? (options.layout.header ? undefined : options.layout.columns);
    if (known) this.useHeader(known);
  }

  /** A quoted cell is open at the end of what has been read. */
  get open(): boolean {
    return this.assembler.open;
  }

  /** Reads the lines of `range` (default: from `nextByte` to the end of the file). */
  async read(progress?: (p: ReadProgress) => void, end?: number): Promise<void> {
    const range: LineRange | undefined =
      this.nextByte === 0 && end === undefined
        ? undefined
        : { start: this.nextByte, end: end ?? Number.MAX_SAFE_INTEGER, firstLine: this.nextLine };
    const assembler = this.assembler;
    for await (const batch of readByteLineBatches(this.options.path, progress, range)) {
      const { buffer, starts, ends, count, firstLine } = batch;
      for (let k = 0; k < count; k++) {
        const fast = this.fast;
        if (fast !== undefined) {
          if (!assembler.open && fast.row(buffer, starts[k], ends[k])) continue;
          fast.flush(); // the rows before this one go in first
        }
        const record = assembler.push(buffer.toString('utf8', starts[k], ends[k]), firstLine + k);
        if (record) this.onRecord(record);
      }
      this.nextLine = firstLine + count;
    }
    this.fast?.flush();
    if (end !== undefined) this.nextByte = end;
  }

  /** At the end of the file: a quoted cell left open is a rejected record; no header is an error. */
  finish(): void {
    const last = this.assembler.end();
    if (last) this.onRecord(last);
    if (!this.header) {
      throw new EngineError('E_FILE_EMPTY', `'${this.options.path}' has no header line`, {
        path: this.options.path,
        hint: 'is it the right file?',
      });
    }
  }

  private useHeader(names: string[]): void {
    this.header = names;
    this.options.onHeader(names);
    this.index = new Map(names.map((name, i) => [name, i]));
    this.fast = this.options.fastRows?.(names);
  }

  private onRecord(record: DelimitedRecord): void {
    const { onRow } = this.options;
    if (record.error) {
      onRow({ code: 'E_UNCLOSED_QUOTE', reason: record.error }, record.line, record.raw);
      return;
    }
    if (!this.header) {
      this.useHeader(record.cells.map((name, i) => (i === 0 ? name.replace(/^\uFEFF/, '') : name).trim()));
      return;
    }
    if (record.cells.length !== this.header.length) {
      onRow(
        {
          code: 'E_COLUMN_COUNT',
          reason: `${record.cells.length} cells where the header has ${this.header.length}`,
        },
        record.line,
        record.raw,
      );
      return;
    }
    this.cells = record.cells;
    onRow(this.cell, record.line, record.raw);
  }
}
