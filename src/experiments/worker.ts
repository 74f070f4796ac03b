import { parentPort } from 'node:worker_threads';
import { runJob } from './run-job.ts';
import { serveJobs } from './worker-pool.ts';

/** A worker thread: runs the experiment jobs it is sent, one at a time, and reports progress and results. */
if (!parentPort) throw new Error('experiments/worker.ts runs as a worker thread');
serveJobs(parentPort, runJob);
