import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { EngineError } from '../core/engine-error.ts';
import { EventLogBuilder } from './event-log.ts';
import { EventLogFileWriter } from './event-log-file.ts';
import { readSourceRows } from './import-events.ts';
import type { RowCounts, ShardJob, ShardMessage } from './import-shard.ts';
import { RejectSink } from './rejects.ts';

/**
 * An import worker: reads one source from a line start to the end of the file into its own
 * dictionaries, writes its rows to `<dir>/rows.nbev` and its rejects to `<dir>/rejects.jsonl`, and
 * reports its counts (see import-shard.ts for how the parts are joined).
 */
if (!parentPort) throw new Error('import-worker runs as a worker thread');
const port = parentPort;
const post = (message: ShardMessage) => port.postMessage(message);
const job = workerData as ShardJob;
// Asked to stop (the import failed, or reads on alone), the worker unwinds at the next block it reads,
// closing its files: a terminated thread would leave them open in the process.
let stopped = false;
port.on('message', (message) => {
  if (message === 'stop') stopped = true;
});
let writer: EventLogFileWriter | undefined;
try {
  writer = new EventLogFileWriter(join(job.dir, 'rows.nbev'));
  const rows = writer;
  const builder = new EventLogBuilder({ onChunk: (columns, n) => rows.writeChunk(columns, n) });
  const rejects = new RejectSink(join(job.dir, 'rejects.jsonl'));
  const counts: RowCounts = { rows: 0, imported: 0, rejected: 0, byteRows: 0 };
  try {
    await readSourceRows(
      job.path,
      job.source,
      builder,
      rejects,
      counts,
      (p) => {
        if (stopped) throw new Error('the import stopped this worker');
        post({ progress: { bytesRead: p.bytesRead, rows: counts.rows } });
      },
      // Lines are numbered from 1 at the start; the import adds the lines before it to the rejects.
      { byteRows: true, from: { byte: job.start, line: 1, header: job.header } },
    );
    builder.flush();
    // The dictionaries go back in the message, as integer keys where they can.
    writer.finish({
      userIds: [],
      itemIds: [],
      sessionIds: [],
      typeNames: [],
      userAttributes: {},
      itemAttributes: {},
    });
  } finally {
    rejects.close();
  }
  const dictionaries = {
    users: builder.users.entries(),
    items: builder.items.entries(),
    types: builder.types.entries(),
    sessions: builder.sessions.entries(),
  };
  post({ done: { counts, rejects: rejects.summary(), dictionaries } });
} catch (error) {
  writer?.abort();
  const e = error as Error;
  post({
    error:
      e instanceof EngineError
        ? { message: e.message, code: e.code, hint: e.hint, path: e.path }
        : { message: e.message ?? String(error) },
  });
}
port.close();
