import { closeSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { EngineError } from '../core/engine-error.ts';
import type { DictionaryEntries, EventLogBuilder } from './event-log.ts';
import { openEventLogChunks } from './event-log-file.ts';
import type { SourceConfig } from './import-config.ts';
import type { RejectSink, RejectSummary } from './rejects.ts';

/**
 * Splitting one large CSV source across two threads. The calling thread reads the file up to a line
 * boundary near its middle; a worker thread reads the rest into its own dictionaries and a temporary
 * `.nbev`. The two parts are then joined: the worker's dictionary entries are interned, in their
 * order, into the import's (which is first-seen order over the whole file, as one thread would
 * give), and its rows appended with their ids mapped. The result is the one-thread import, row for
 * row; a quoted cell open across the split point makes the caller read the rest itself instead.
 */
export interface ShardJob {
  path: string;
  source: SourceConfig;
  header: string[];
  /** The byte where the worker starts: the first byte of a line. */
  start: number;
  /** Where the worker writes its rows and rejects. */
  dir: string;
}

/** The counts of a source's rows (SourceReport without the file). */
export interface RowCounts {
  rows: number;
  imported: number;
  rejected: number;
  byteRows: number;
}

export interface ShardResult {
  counts: RowCounts;
  rejects: RejectSummary;
  /** The worker's dictionaries (its rows' ids index these). */
  dictionaries: Record<'users' | 'items' | 'types' | 'sessions', DictionaryEntries>;
}

export type ShardMessage =
  | { progress: { bytesRead: number; rows: number } }
  | { done: ShardResult }
  | { error: { message: string; code?: string; hint?: string; path?: string } };

/**
 * Where the worker's part starts: the first line start past 55% of an uncompressed file of at least
 * `minBytes` (undefined when the file is not worth splitting). Past the middle, because the worker
 * starts about 0.35 s late (its TypeScript loader) and the join after it grows with its part: on
 * the 10 M-event log, 55% beat 50% in 4 interleaved pairs out of 4 and 60% in 2 of 3.
 */
export function splitPoint(path: string, minBytes: number): number | undefined {
  if (path.endsWith('.gz')) return undefined;
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return undefined; // the reader reports the missing file
  }
  if (size < Math.max(minBytes, 2)) return undefined;
  const fd = openSync(path, 'r');
  try {
    const window = Buffer.alloc(1 << 16);
    for (let at = Math.floor(size * 0.55); at < size; at += window.length) {
      const n = readSync(fd, window, 0, window.length, at);
      const newline = window.subarray(0, n).indexOf(10);
      if (newline >= 0) return at + newline + 1 < size ? at + newline + 1 : undefined;
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * Threads an import uses unless told: one. Since ids are interned in batches (docs/decisions/0013),
 * one thread reads the 10 M-event log as fast as two on our 2-core machine, with a third less memory:
 * the two threads slow each other down by about half, and the worker's start and the join cost
 * the rest. `threads: 2` stays for machines where that is not so; it gives the same log.
 */
export const DEFAULT_IMPORT_THREADS = 1;

export class Shard {
  readonly result: Promise<ShardResult>;
  private readonly worker: Worker;
  private finished = false;

  constructor(
    readonly job: ShardJob,
    onProgress: (progress: { bytesRead: number; rows: number }) => void,
  ) {
    // A JavaScript entry registers the TypeScript loader in the worker, then runs the shard.
    this.worker = new Worker(new URL('./import-worker.mjs', import.meta.url), { workerData: job });
    this.result = new Promise<ShardResult>((resolve, reject) => {
      this.worker.on('message', (message: ShardMessage) => {
        if ('progress' in message) onProgress(message.progress);
        else if ('done' in message) {
          this.finished = true;
          resolve(message.done);
        } else {
          this.finished = true;
          const { message: text, code, hint, path } = message.error;
          reject(code ? new EngineError(code, text, { hint, path }) : new Error(text));
        }
      });
      this.worker.on('error', (error) => {
        this.finished = true;
        reject(error);
      });
      this.worker.on('exit', (code) => {
        if (!this.finished) reject(new Error(`the import worker stopped (exit code ${code})`));
      });
    });
    // Settled by whoever awaits it; a cancelled shard's rejection is expected.
    this.result.catch(() => {});
  }

  /** Stops the worker (if it still runs: it closes its files first) and removes its files. */
  async close(): Promise<void> {
    if (!this.finished) {
      this.finished = true;
      const exited = new Promise((resolve) => this.worker.once('exit', resolve));
      this.worker.postMessage('stop');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
    }
    await this.worker.terminate();
    rmSync(this.job.dir, { recursive: true, force: true });
  }

  /** Appends the worker's rows, ids mapped into `builder`'s dictionaries, and its rejects. */
  async merge(
    result: ShardResult,
    builder: EventLogBuilder,
    counts: RowCounts,
    rejects: RejectSink,
    /** The number in the file of the worker's first line. */
    firstLine: number,
  ): Promise<void> {
    // Each dictionary's entries in the worker's (first-seen) order: the order one thread would give.
    const { dictionaries: d } = result;
    const maps = {
      users: builder.users.addEntries(d.users),
      items: builder.items.addEntries(d.items),
      types: builder.types.addEntries(d.types),
      sessions: builder.sessions.addEntries(d.sessions),
    };
    openEventLogChunks(join(this.job.dir, 'rows.nbev')).forEachChunk((columns, n) =>
      builder.addMapped(columns, n, maps),
    );
    counts.rows += result.counts.rows;
    counts.imported += result.counts.imported;
    counts.rejected += result.counts.rejected;
    counts.byteRows += result.counts.byteRows;
    await rejects.merge(result.rejects, join(this.job.dir, 'rejects.jsonl'), firstLine - 1);
  }
}
