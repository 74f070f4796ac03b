import { parentPort } from 'node:worker_threads';
import { EngineError } from '../core/engine-error.ts';
import { type Job, runJob } from './run-job.ts';

/** A worker thread: runs the jobs it is sent, one at a time, and reports progress and results. */
if (!parentPort) throw new Error('experiments/worker.ts runs as a worker thread');
const port = parentPort;
port.on('message', (message: { id: number; job: Job }) => {
  try {
    let last = 0;
    const result = runJob(message.job, (done, total, status) => {
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
