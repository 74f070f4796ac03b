import { Worker } from 'node:worker_threads';
import { EngineError } from '../core/engine-error.ts';

/**
 * The messages a pool worker sends: `progress` while a job runs, then `result` or `error`. Workers
 * get `{ id, job }` messages, one at a time (see worker.ts and sequence-worker.ts).
 */
export type PoolMessage<R> =
  | { type: 'progress'; id: number; done: number; total: number; status: string }
  | { type: 'result'; id: number; result: R }
  | { type: 'error'; id: number; error: { code: string; message: string; hint?: string; stack?: string } };

export interface PoolOptions<J> {
  /** The worker's entry module: an .mjs that loads its TypeScript through tsx. */
  entry: URL;
  /** Passed to every worker once, at start (e.g. what log to read). */
  workerData?: unknown;
  size: number;
  /** Names a failed job in the error: `cartpole / dqn / seed 3`. */
  label(job: J): string;
  onProgress?(index: number, done: number, total: number, status: string): void;
}

/**
 * Run jobs on `size` worker threads, each taking the next job when it finishes one; `done` gets each
 * result with its index as it arrives. The first failure stops every worker and rejects with the
 * worker's coded error, prefixed by the job's label.
 */
export function runPool<J, R>(
  jobs: J[],
  options: PoolOptions<J>,
  done: (index: number, result: R) => void,
): Promise<void> {
  if (jobs.length === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    let next = 0;
    let running = 0;
    let failed = false;
    const pool: Worker[] = [];
    const stopAll = () => Promise.all(pool.map((w) => w.terminate()));
    const feed = (worker: Worker) => {
      if (failed) return;
      if (next >= jobs.length) {
        if (running === 0) stopAll().then(() => resolve(), reject);
        return;
      }
      const id = next++;
      running++;
      worker.postMessage({ id, job: jobs[id] });
    };
    for (let w = 0; w < Math.min(options.size, jobs.length); w++) {
      // The worker needs this process's loader (--import tsx); V8 flags such as the WebAssembly one are
      // process-wide already, and Node refuses them in a worker's execArgv.
      const worker = new Worker(options.entry, {
        execArgv: process.execArgv.filter((flag) => !flag.startsWith('--experimental-wasm')),
        workerData: options.workerData,
      });
      pool.push(worker);
      worker.on('message', (message: PoolMessage<R>) => {
        if (message.type === 'progress') {
          options.onProgress?.(message.id, message.done, message.total, message.status);
        } else if (message.type === 'result') {
          running--;
          done(message.id, message.result);
          feed(worker);
        } else if (message.type === 'error') {
          failed = true;
          const { code, message: text, hint } = message.error;
          stopAll().finally(() =>
            reject(new EngineError(code, `${options.label(jobs[message.id])}: ${text}`, { hint })),
          );
        }
      });
      worker.on('error', (error) => {
        if (failed) return;
        failed = true;
        stopAll().finally(() => reject(error));
      });
      feed(worker);
    }
  });
}

/**
 * The worker side: answer each `{ id, job }` with `run(job)`'s result, progress at most every 200 ms,
 * or the coded error it threw.
 */
export function serveJobs<J, R>(
  port: {
    on(event: 'message', f: (m: { id: number; job: J }) => void): unknown;
    postMessage(m: unknown): void;
  },
  run: (job: J, progress: (done: number, total: number, status: string) => void) => R,
): void {
  port.on('message', (message) => {
    try {
      let last = 0;
      const result = run(message.job, (done, total, status) => {
        const now = performance.now();
        if (now - last < 200 && done < total) return;
        last = now;
        port.postMessage({ type: 'progress', id: message.id, done, total, status });
      });
      port.postMessage({ type: 'result', id: message.id, result });
    } catch (error) {
      const e = error as Error;
      port.postMessage({
        type: 'error',
        id: message.id,
        error: {
          code: e instanceof EngineError ? e.code : 'E_JOB_FAILED',
          message: e.message,
          hint: e instanceof EngineError ? e.hint : undefined,
          stack: e.stack,
        },
      });
    }
  });
}
