import { closeSync, openSync, writeSync } from 'node:fs';
import { readLineBatches } from './line-reader.ts';
import type { RowProblem } from './row-parser.ts';

export interface RejectedRow extends RowProblem {
  file: string;
  line: number;
}

/** What a reject sink holds besides its file: for a shard to hand to the import it belongs to. */
export interface RejectSummary {
  count: number;
  byCode: [string, number][];
  examples: RejectedRow[];
}

/** Counts rejected rows by code, keeps a few examples, and appends all of them to a JSONL file. */
export class RejectSink {
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

  summary(): RejectSummary {
    return { count: this.count, byCode: [...this.byCode], examples: this.examples };
  }

  /**
   * Appends the rejects of a later part of the input, whose lines were numbered from 1 there: its
   * counts, examples and file, with `lineOffset` added to every line number.
   */
  async merge(summary: RejectSummary, file: string, lineOffset: number): Promise<void> {
    this.count += summary.count;
    for (const [code, n] of summary.byCode) this.byCode.set(code, (this.byCode.get(code) ?? 0) + n);
    for (const row of summary.examples) {
      if (this.examples.length < 10) this.examples.push({ ...row, line: row.line + lineOffset });
    }
    if (this.path === undefined || summary.count === 0) return;
    this.flush();
    this.fd ??= openSync(this.path, 'w');
    for await (const { lines } of readLineBatches(file)) {
      const moved = lines.map((text) => {
        const row = JSON.parse(text) as RejectedRow;
        row.line += lineOffset;
        return JSON.stringify(row);
      });
      writeSync(this.fd, `${moved.join('\n')}\n`);
    }
  }

  private flush(): void {
    if (this.fd !== undefined && this.buffer.length > 0) writeSync(this.fd, `${this.buffer.join('\n')}\n`);
    this.buffer = [];
  }

  close(): void {
    this.flush();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
