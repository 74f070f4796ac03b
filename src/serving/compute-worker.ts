import { parentPort } from 'node:worker_threads';
import { computeJobs, packedJobs } from './compute.ts';

/** The compute worker: runs each job it is sent, in order, and posts its result or its error back. */
const port = parentPort;
if (!port) throw new Error('compute-worker runs as a worker thread');
let queue = Promise.resolve();
port.on('message', (m: { id: number; kind: keyof typeof computeJobs; job: never }) => {
  queue = queue.then(async () => {
    try {
      const result =
        m.kind === 'learn'
          ? await computeJobs.learn(packedJobs.learn.unpack(m.job))
          : await computeJobs.evaluate(packedJobs.evaluate.unpack(m.job));
      port.postMessage({ id: m.id, result });
    } catch (error) {
      const e = error as Error & { code?: string };
      port.postMessage({ id: m.id, error: { message: e.message, code: e.code } });
    }
  });
});
