import { setImmediate as yieldToRequests } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import type { JoinedDecision } from '../store/decision-store.ts';
import { type EvaluationOutcome, type EvaluationRequest, evaluateOffline } from './evaluations.ts';
import { HashedLinearModel } from './hashed-linear-model.ts';
import { type LearnJob, type LearnOutcome, learnRound } from './learner.ts';
import type { ServiceConfig } from './service-config.ts';

/** An offline evaluation's input, as plain data (the live model as its bytes). */
export interface EvaluateJob {
  decisions: JoinedDecision[];
  request: EvaluationRequest;
  service: ServiceConfig;
  online: { name: string; arguments: string };
  live: Uint8Array;
  seed: number;
}

/**
 * The service's heavy computations: a learner round's training and judging, and offline evaluations.
 * Both are pure functions of plain data, so they can run on another thread.
 */
export interface Compute {
  learn(job: LearnJob): Promise<LearnOutcome>;
  evaluate(job: EvaluateJob): Promise<EvaluationOutcome>;
  close(): Promise<void>;
}

export const computeJobs = {
  learn: (job: LearnJob) => learnRound(job),
  evaluate: (job: EvaluateJob) => evaluateOffline({ ...job, live: HashedLinearModel.fromBytes(job.live) }),
};

/** On the calling thread (the jobs yield to the event loop now and then, but share it). */
export function inThreadCompute(): Compute {
  return { ...computeJobs, close: async () => {} };
}

type Pending = { resolve: (value: never) => void; reject: (error: Error) => void };

/** Decisions per JSON chunk sent to the worker (about 15 ms of serialising for large decisions). */
const CHUNK = 500;

/**
 * Decisions as JSON chunks, yielding between chunks: posting the objects themselves would make the
 * serving thread clone them in one go (1.8 s for 12,000 decisions of 10 actions × 10 features).
 */
async function pack(decisions: JoinedDecision[]): Promise<string[]> {
  const chunks: string[] = [];
  for (let i = 0; i < decisions.length; i += CHUNK) {
    chunks.push(JSON.stringify(decisions.slice(i, i + CHUNK)));
    await yieldToRequests();
  }
  return chunks;
}

/** The decisions back from their chunks, with their dates as dates again. */
function unpack(chunks: string[]): JoinedDecision[] {
  const date = (v: unknown) => (v === null ? null : new Date(v as string));
  return chunks.flatMap((chunk) =>
    (JSON.parse(chunk) as JoinedDecision[]).map((d) => ({
      ...d,
      createdAt: new Date(d.createdAt),
      activatedAt: date(d.activatedAt),
      rewards: d.rewards.map((r) => ({ ...r, receivedAt: new Date(r.receivedAt) })),
    })),
  );
}

/** How each job's decisions travel to the worker and are restored there. */
export const packedJobs = {
  learn: {
    pack: async (job: LearnJob) => ({
      ...job,
      training: await pack(job.training),
      holdout: await pack(job.holdout),
    }),
    unpack: (
      job: Omit<LearnJob, 'training' | 'holdout'> & { training: string[]; holdout: string[] },
    ): LearnJob => ({
      ...job,
      training: unpack(job.training),
      holdout: unpack(job.holdout),
    }),
  },
  evaluate: {
    pack: async (job: EvaluateJob) => ({ ...job, decisions: await pack(job.decisions) }),
    unpack: (job: Omit<EvaluateJob, 'decisions'> & { decisions: string[] }): EvaluateJob => ({
      ...job,
      decisions: unpack(job.decisions),
    }),
  },
};

/**
 * On a worker thread, started on first use and kept: serving never waits for training. Jobs queue on the
 * one worker (one round or evaluation at a time keeps memory bounded). Errors come back with their code;
 * a worker that dies fails the jobs it held with E_COMPUTE_WORKER_EXITED, and the next job starts a new one.
 */
export class WorkerCompute implements Compute {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private next = 0;
  /** Jobs run on the worker so far (tests read it). */
  jobs = 0;

  async learn(job: LearnJob): Promise<LearnOutcome> {
    return this.run('learn', await packedJobs.learn.pack(job));
  }

  async evaluate(job: EvaluateJob): Promise<EvaluationOutcome> {
    return this.run('evaluate', await packedJobs.evaluate.pack(job));
  }

  private run<T>(kind: keyof typeof computeJobs, job: unknown): Promise<T> {
    const worker = this.start();
    const id = this.next++;
    this.jobs++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: never) => void, reject });
      // A worker with work keeps the process alive; an idle one does not.
      worker.ref();
      worker.postMessage({ id, kind, job });
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    // A JavaScript entry registers the TypeScript loader in the worker, then loads the job runner.
    const worker = new Worker(new URL('./compute-worker.mjs', import.meta.url));
    worker.on(
      'message',
      (m: { id: number; result?: unknown; error?: { message: string; code?: string } }) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (this.pending.size === 0) worker.unref();
        if (m.error) p.reject(Object.assign(new Error(m.error.message), { code: m.error.code }));
        else p.resolve(m.result as never);
      },
    );
    const fail = (error: Error) => {
      if (this.worker !== worker) return;
      this.worker = null;
      for (const p of this.pending.values()) {
        p.reject(
          Object.assign(new Error(`the compute worker stopped: ${error.message}`), {
            code: 'E_COMPUTE_WORKER_EXITED',
          }),
        );
      }
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
    this.worker = worker;
    return worker;
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    for (const p of this.pending.values()) {
      p.reject(Object.assign(new Error('the service is stopping'), { code: 'E_COMPUTE_WORKER_EXITED' }));
    }
    this.pending.clear();
    if (worker) await worker.terminate();
  }
}
