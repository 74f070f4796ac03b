import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs';
import { EngineError } from '../../core/engine-error.ts';

const FORMAT = 'nextbest-tuning-runs/1';

/** A stable key for a run: the hash of everything that determines its result (canonical JSON). */
export function runKey(what: unknown): string {
  return createHash('sha256').update(canonicalJson(what)).digest('hex').slice(0, 24);
}

function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/**
 * The append-only record of finished runs that makes a search resumable. One JSON line per run, keyed
 * by the hash of what determines it (environment, agent config, budget, seed, evaluation episodes), so
 * a restarted search reuses exactly the runs that would come out the same and runs the rest. Each line
 * is flushed to disk before the run counts as done; a line cut short by a crash is dropped on reopening
 * (that one run is redone), and nothing else is ever rewritten.
 */
export class RunLog<T> {
  private readonly runs = new Map<string, T>();
  private fd: number | null = null;
  /** Runs found in the file when it was opened. */
  readonly found: number;

  constructor(readonly path: string | null) {
    if (path !== null && existsSync(path)) this.load(path);
    this.found = this.runs.size;
  }

  private load(path: string): void {
    const text = readFileSync(path, 'utf8');
    let good = 0; // bytes up to and including the last complete, parsable line
    let offset = 0;
    const lines = text.split('\n');
    lines.forEach((line, i) => {
      const bytes = Buffer.byteLength(line) + (i < lines.length - 1 ? 1 : 0);
      const complete = i < lines.length - 1;
      offset += bytes;
      if (line.trim() === '') {
        if (complete) good = offset;
        return;
      }
      let record: { kind?: string; format?: string; key?: string; run?: T };
      try {
        record = JSON.parse(line);
      } catch {
        if (!complete) return; // the crash cut this line short: drop it below
        throw new EngineError('E_TUNING_LOG_CORRUPT', `${path}:${i + 1}: not a JSON line`, {
          path: `${path}:${i + 1}`,
          hint: 'the run log was edited by hand; fix or delete that line, or pass another --runs file',
        });
      }
      if (i === 0 && record.kind !== 'header') {
        throw new EngineError('E_TUNING_LOG_CORRUPT', `${path} is not a NextBest tuning run log`, {
          path: `${path}:1`,
          hint: 'pass a new file with --runs; this one is left untouched',
        });
      }
      if (record.kind === 'header' && record.format !== FORMAT) {
        throw new EngineError('E_TUNING_LOG_CORRUPT', `${path}: unknown format '${record.format}'`, {
          hint: `this NextBest reads ${FORMAT}; pass a new file with --runs`,
        });
      }
      if (record.kind === 'run' && record.key && record.run !== undefined)
        this.runs.set(record.key, record.run);
      if (complete) good = offset;
    });
    if (good < Buffer.byteLength(text)) truncateSync(path, good);
  }

  get(key: string): T | undefined {
    return this.runs.get(key);
  }

  get size(): number {
    return this.runs.size;
  }

  /** Append a finished run and flush it to disk (kept in memory only when there is no file). */
  append(key: string, run: T): void {
    if (this.path === null) {
      this.runs.set(key, run);
      return;
    }
    if (this.fd === null) {
      const fresh = !existsSync(this.path) || readFileSync(this.path).length === 0;
      this.fd = openSync(this.path, 'a');
      if (fresh) this.write({ kind: 'header', format: FORMAT, created: new Date().toISOString() });
    }
    this.write({ kind: 'run', key, run });
    this.runs.set(key, run);
  }

  private write(record: unknown): void {
    writeSync(this.fd as number, `${JSON.stringify(record)}\n`);
    fsyncSync(this.fd as number);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
