import { closeSync, openSync, readSync, writeSync } from 'node:fs';
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

  /** Appends the rejects of a later part of the input: its counts, examples and file (when it wrote one). */
  merge(summary: RejectSummary, file: string | undefined): void {
    this.count += summary.count;
    for (const [code, n] of summary.byCode) this.byCode.set(code, (this.byCode.get(code) ?? 0) + n);
    for (const row of summary.examples) if (this.examples.length < 10) this.examples.push(row);
    if (this.path !== undefined && file !== undefined && summary.count > 0) {
      this.flush();
      this.fd ??= openSync(this.path, 'w');
      const from = openSync(file, 'r');
      const chunk = Buffer.allocUnsafe(1 << 20);
      try {
        for (let n = readSync(from, chunk); n > 0; n = readSync(from, chunk)) writeSync(this.fd, chunk, 0, n);
      } finally {
        closeSync(from);
      }
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
