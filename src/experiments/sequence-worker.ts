import { parentPort, workerData } from 'node:worker_threads';
import { parseConfig } from '../core/config.ts';
import { readEventLog } from '../data/event-log-file.ts';
import { prepareLog } from '../data/prepare.ts';
import { prepareConfigSchema } from '../data/prepare-config.ts';
import { runSequenceTask, type SequenceLogSource, type SequenceTask } from './tune-sequence.ts';
import { serveJobs } from './worker-pool.ts';

/**
 * A worker thread of a sequence-model search: reads and prepares the log once, as the parent did,
 * then trains and scores or evaluates the runs it is sent, one at a time.
 */
if (!parentPort) throw new Error('experiments/sequence-worker.ts runs as a worker thread');
const source = workerData as SequenceLogSource;
const prepared = prepareLog(
  readEventLog(source.path),
  parseConfig(prepareConfigSchema, source.prepare, 'prepare config'),
);
serveJobs(parentPort, (task: SequenceTask, progress) =>
  runSequenceTask(task, prepared, (epoch, epochs) => progress(epoch, epochs, `epoch ${epoch}/${epochs}`)),
);
