import { availableParallelism } from 'node:os';
import { withPath } from '../core/engine-error.ts';
import { createEnvironment } from '../environments/registry.ts';
import { type ExperimentConfig, isBaseline } from './config.ts';
import { buildAgent, type Job, type JobResult, runJob } from './run-job.ts';
import { type ExperimentSummary, summarizeExperiment } from './summary.ts';
import { runPool } from './worker-pool.ts';

export interface ExperimentResult {
  name: string;
  startedAt: string;
  seconds: number;
  workers: number;
  config: ExperimentConfig;
  runs: JobResult[];
  summary: ExperimentSummary;
}

export interface RunnerEvents {
  /** A job started, advanced or finished; `worker` is the slot it runs in. */
  onJobProgress?(job: Job, index: number, done: number, total: number, status: string): void;
  onJobDone?(job: Job, index: number, result: JobResult, finished: number, totalJobs: number): void;
}

/** Every (environment, entry, seed) cell, longest first so the workers finish together. */
export function expandJobs(config: ExperimentConfig): Job[] {
  const jobs: Job[] = [];
  for (const environment of config.environments) {
    for (const entry of environment.entries) {
      for (let s = 0; s < config.seeds; s++) {
        jobs.push({
          environment: environment.id,
          environmentOptions: environment.options,
          entry,
          seed: config.firstSeed + s,
          evaluationEpisodes: config.evaluationEpisodes,
          evaluationSeed: config.evaluationSeed,
          curvePoints: config.curvePoints,
        });
      }
    }
  }
  const cost = (job: Job) => (isBaseline(job.entry) ? 0 : job.entry.steps);
  return jobs
    .map((job, i) => ({ job, i }))
    .sort((a, b) => cost(b.job) - cost(a.job) || a.i - b.i)
    .map((x) => x.job);
}

/** Build every environment and agent once before any work starts, so a bad config fails in a second. */
export function checkBuildable(config: ExperimentConfig): void {
  config.environments.forEach((environment, e) => {
    let env: ReturnType<typeof createEnvironment>;
    try {
      env = createEnvironment(environment.id, environment.options);
    } catch (error) {
      throw withPath(error, `environments.${e}.options`);
    }
    environment.entries.forEach((entry, i) => {
      if (isBaseline(entry)) return;
      try {
        buildAgent(env, entry.agent, config.firstSeed);
      } catch (error) {
        throw withPath(error, `environments.${e}.entries.${i}.agent`);
      }
    });
  });
}

/**
 * Run an experiment: every job on a pool of worker threads (`workers` = 0 runs them in this thread),
 * then the summary over seeds. Results do not depend on the number of workers: each job is seeded.
 */
export async function runExperiment(
  config: ExperimentConfig,
  options: { workers?: number; events?: RunnerEvents } = {},
): Promise<ExperimentResult> {
  checkBuildable(config);
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const jobs = expandJobs(config);
  const workers = Math.min(options.workers ?? availableParallelism(), jobs.length);
  const events = options.events ?? {};
  const results: JobResult[] = new Array(jobs.length);
  let finished = 0;
  const done = (index: number, result: JobResult) => {
    results[index] = result;
    finished++;
    events.onJobDone?.(jobs[index], index, result, finished, jobs.length);
  };
  await runJobs(jobs, workers, events, done);
  const ordered = [...results].sort((a, b) => order(config, a) - order(config, b) || a.seed - b.seed);
  return {
    name: config.name,
    startedAt,
    seconds: (performance.now() - started) / 1000,
    workers,
    config,
    runs: ordered,
    summary: summarizeExperiment(config, ordered),
  };
}

function order(config: ExperimentConfig, run: JobResult): number {
  const e = config.environments.findIndex((environment) => environment.id === run.environment);
  const i = config.environments[e].entries.findIndex((entry) => entry.name === run.name);
  return e * 10_000 + i;
}

/**
 * Run jobs on a pool of `workers` worker threads (0: one after another in this thread); `done` gets
 * each result with its index as it arrives. The first failure stops the pool and rejects.
 */
export async function runJobs(
  jobs: Job[],
  workers: number,
  events: RunnerEvents,
  done: (index: number, result: JobResult) => void,
): Promise<void> {
  if (jobs.length === 0) return;
  if (workers <= 0) {
    jobs.forEach((job, index) => {
      done(
        index,
        runJob(job, (d, t, status) => events.onJobProgress?.(job, index, d, t, status)),
      );
    });
    return;
  }
  await runPool<Job, JobResult>(
    jobs,
    {
      entry: new URL('./worker-entry.mjs', import.meta.url),
      size: workers,
      label: (job) => `${job.environment} / ${job.entry.name} / seed ${job.seed}`,
      onProgress: (index, d, t, status) => events.onJobProgress?.(jobs[index], index, d, t, status),
    },
    done,
  );
}
