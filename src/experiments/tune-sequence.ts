import { z } from 'zod';
import { parseConfig } from '../core/config.ts';
import { EngineError, withPath } from '../core/engine-error.ts';
import { contextFeatureSpecSchema } from '../data/context-features.ts';
import { type PreparedLog, splitSummary } from '../data/prepare.ts';
import { PopularityModel, SessionKnnModel } from '../evaluation/next-item/baselines.ts';
import { evaluateNextItem, type NextItemEvaluation } from '../evaluation/next-item/evaluate-next-item.ts';
import {
  type EpochReport,
  SEQUENCE_MODELS,
  SequenceRecommender,
  type SequenceRecommenderOptions,
} from '../evaluation/next-item/sequence-recommender.ts';
import { intervalsApart, type Summary, summarize, welchDifference } from '../evaluation/statistics.ts';
import { effectsByRung, type ParameterEffect } from '../evaluation/tuning/importance.ts';
import { RunLog, runKey } from '../evaluation/tuning/run-log.ts';
import {
  type CheckedSpace,
  checkSearchSpace,
  drawTrials,
  type ParameterValues,
  searchSpaceSchema,
} from '../evaluation/tuning/space.ts';
import { byScore, planRungs, promote, type Rung } from '../evaluation/tuning/strategies.ts';
import { FRESH_SEEDS } from './tune-config.ts';
import { runPool } from './worker-pool.ts';

/** `1 epoch`, `3 epochs`. */
export const epochsLabel = (n: number) => (n === 1 ? '1 epoch' : `${n} epochs`);

export const NEXT_ITEM_METRICS = ['hr@5', 'hr@10', 'hr@20', 'ndcg@5', 'ndcg@10', 'ndcg@20'] as const;

/**
 * What a sequence model trained on a log may be given, apart from its seed and epochs (the search
 * sets those): see `SequenceRecommenderOptions`. Parsed strictly, so a misspelt key is an error
 * rather than a setting silently ignored in every trial.
 */
export const sequenceModelOptionsSchema = z
  .object({
    length: z.number().int().min(1).max(200).optional(),
    rewards: z.record(z.string(), z.number()).optional(),
    historyTypes: z.array(z.string()).min(1).optional(),
    impressionTypes: z.array(z.string()).min(1).optional(),
    actionTypes: z.array(z.string()).min(1).optional(),
    context: contextFeatureSpecSchema.optional(),
    itemGroups: z.string().min(1).optional(),
    keepBest: z.boolean().optional(),
    /** Any SQN setting: learningRate, batchSize, weightDecay, cqlAlpha, network: {dropout, embedding...}. */
    agent: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

/**
 * A search over the settings of a sequence model trained on a log: the base options every trial
 * starts from, the space of dotted paths into them (`agent.network.dropout`, `agent.learningRate`,
 * `length`), the budget in epochs, and the metric on the validation sessions that ranks trials. The
 * test sessions are read only by the final check: the winner and the base options retrained on fresh
 * seeds. See configs/tune-sasrec.json.
 */
export const sequenceTuneConfigSchema = z
  .object({
    name: z.string().min(1).max(80).default('sequence model tuning'),
    model: z.enum(Object.keys(SEQUENCE_MODELS) as [string, ...string[]]),
    options: sequenceModelOptionsSchema.prefault({}),
    /** The full budget: passes over the training sessions of a run at the last rung. */
    epochs: z.number().int().min(1).max(1000).default(10),
    space: searchSpaceSchema,
    search: z
      .object({
        strategy: z.enum(['random', 'successive-halving']).default('successive-halving'),
        trials: z.number().int().min(1).max(1000).default(9),
        eta: z.number().int().min(2).max(10).default(3),
        /** Epochs of the first successive-halving rung; default epochs / eta², rounded (at least 1). */
        minEpochs: z.number().int().min(1).optional(),
        seed: z.number().int().min(0).default(1),
        /**
         * The base options enter the search as one more trial (the last index, nothing drawn), so
         * the search returns them when no drawn configuration does better on validation.
         */
        includeBase: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    /** Target groups by event type, as `evaluate --data` reports them. */
    groups: z
      .record(z.string(), z.array(z.string()).min(1))
      .default({ click: ['click'], purchase: ['purchase'] }),
    objective: z
      .object({
        metric: z.enum(NEXT_ITEM_METRICS).default('ndcg@10'),
        /** The target group the metric is read on. */
        group: z.string().default('click'),
        /** Training seeds per configuration: the score is the mean over them. */
        seeds: z.number().int().min(1).max(100).default(1),
        firstSeed: z.number().int().min(0).default(1),
      })
      .strict()
      .prefault({}),
    /** The winner and the base options, retrained on fresh seeds and scored on the test sessions. */
    validation: z.object(FRESH_SEEDS).strict().prefault({}),
  })
  .strict();

export type SequenceTuneConfig = z.output<typeof sequenceTuneConfigSchema>;

/**
 * A model's settings as a file: what `tune --data` writes for its winner (best-options.json), and
 * what `train --data --options` and `evaluate --data --options` read. `model` and `epochs` are the
 * defaults of --model and --epochs; `options` are exactly the options the search trained.
 */
export const sequenceOptionsFileSchema = z
  .object({
    model: z.enum(Object.keys(SEQUENCE_MODELS) as [string, ...string[]]).optional(),
    epochs: z.number().int().min(1).max(1000).optional(),
    options: sequenceModelOptionsSchema,
  })
  .strict();

export type SequenceOptionsFile = z.output<typeof sequenceOptionsFileSchema>;
export type SequenceModelOptions = z.output<typeof sequenceModelOptionsSchema>;

export interface CheckedSequenceTuneConfig {
  config: SequenceTuneConfig;
  space: CheckedSpace;
}

/** Option paths the search may not draw: the model, the budget and the seeds are the search's own. */
const RESERVED: Record<string, string> = {
  encoder: 'choose the encoder with "model"',
  mode: 'choose SQN or supervised with "model"',
  seed: 'seeds are objective.seeds and validation.seeds',
  epochs: 'epochs is the budget; successive halving varies it',
  onEpoch: 'not a setting',
};

/** Parse a sequence tuning config and cross-check its parts; every error names its field path. */
export function parseSequenceTuneConfig(input: unknown): CheckedSequenceTuneConfig {
  const config = parseConfig(sequenceTuneConfigSchema, input, 'sequence tuning config');
  for (const path of Object.keys(config.space)) {
    const head = path.split('.')[0];
    if (Object.hasOwn(RESERVED, head)) {
      throw new EngineError('E_CONFIG_INVALID', `the search cannot vary '${path}'`, {
        path: `space.${path}`,
        hint: RESERVED[head],
      });
    }
  }
  const space = checkSearchSpace(config.space, config.options);
  if (!Object.hasOwn(config.groups, config.objective.group)) {
    throw new EngineError(
      'E_CONFIG_INVALID',
      `objective.group '${config.objective.group}' is not a target group`,
      {
        path: 'objective.group',
        hint: `one of: ${Object.keys(config.groups).join(', ')} (or add it to "groups")`,
      },
    );
  }
  if (config.search.minEpochs !== undefined && config.search.minEpochs > config.epochs) {
    throw new EngineError(
      'E_CONFIG_INVALID',
      `search.minEpochs (${config.search.minEpochs}) is more than epochs (${config.epochs})`,
      { path: 'search.minEpochs', hint: 'lower search.minEpochs or raise epochs' },
    );
  }
  return { config, space };
}

/** One training run of a configuration, as the run log keeps it. */
export interface SequenceRun {
  seed: number;
  epochs: number;
  /** The objective's metric on the part the run was scored on (validation in the search, test after). */
  score: number;
  /** Every metric of every target group on that part, e.g. metrics.click['hr@10'] (NaN without targets). */
  metrics: Record<string, Record<string, number>>;
  /** The epoch whose weights were kept (best validation NDCG@10) and the loss/validation curve. */
  keptEpoch: number;
  curve: Array<{ epoch: number; loss: number; validationNdcg: number }>;
  seconds: number;
}

export interface SequenceTrial {
  index: number;
  values: ParameterValues;
  /** The trial's options (the base with the drawn values). */
  options: SequenceModelOptions;
  /** Set when the drawn combination is not a valid model on this log (it never trains). */
  error?: { code: string; message: string };
  /** The base options themselves (search.includeBase), not a draw. */
  base?: boolean;
  rungs: Array<{ epochs: number; runs: SequenceRun[]; score: Summary }>;
}

/** Where the final check puts the winner and the base options: the test sessions, fresh seeds. */
export interface SequenceFinalCheck {
  seeds: number[];
  best: SequenceRun[];
  base: SequenceRun[];
  /** The objective metric on the test sessions, mean ± 95% CI over the seeds. */
  bestScore: Summary;
  baseScore: Summary;
  /** best − base, Welch 95% interval. */
  difference: { difference: number; halfWidth: number; lower: number; upper: number };
  separated: boolean;
  /** Popularity and session kNN on the same test sessions (the objective metric with a bootstrap CI). */
  references: Array<{ model: string; value: number; lower: number; upper: number }>;
}

export interface SequenceTuneResult {
  kind: 'sequence';
  name: string;
  startedAt: string;
  seconds: number;
  config: SequenceTuneConfig;
  /** The split the runs read: sessions and events per part. */
  split: ReturnType<typeof splitSummary>;
  rungs: Array<Rung & { promoted: number[] }>;
  trials: SequenceTrial[];
  /** Trial indices, best first: by the highest rung reached, then the score there. */
  leaderboard: number[];
  best: number;
  /** Parameter effects per rung that at least 6 trials reached; `budget` is in epochs. */
  effects: Array<{ budget: number; trials: number; parameters: ParameterEffect[] }>;
  compute: { runs: number; reused: number; epochs: number; seconds: number };
  final?: SequenceFinalCheck;
}

export interface SequenceTuneEvents {
  onPlan?(totalRuns: number, rungs: Rung[]): void;
  /** The planned runs changed: the base options won, so the final check trains them alone. */
  onTotal?(totalRuns: number): void;
  onEpoch?(label: string, epoch: number, epochs: number): void;
  onRunDone?(label: string, run: SequenceRun, finished: number, reused: boolean): void;
}

/**
 * Tune a sequence model on a prepared log: draw configurations from the space, train each on the
 * training sessions (seeded), rank by the objective metric on the validation sessions, and with
 * successive halving give only the best 1/eta of each rung eta times the epochs. Every finished run is
 * appended to the run log, keyed by everything that determines it (`dataKey` names the log and its
 * preparation), so a restarted search skips what it already did. The test sessions are read only at
 * the end: the winner and the base options retrained on fresh seeds, with 95% intervals, beside
 * popularity and session kNN.
 */
export async function runSequenceTuning(
  checked: CheckedSequenceTuneConfig,
  prepared: PreparedLog,
  options: {
    /** Names the log and its preparation in the run log's keys (e.g. the file's hash and the prepare config). */
    dataKey: unknown;
    runs?: string | null;
    events?: SequenceTuneEvents;
    /**
     * Worker threads to train on (0, the default: this thread). They need `source`, the file and
     * prepare config that `prepared` came from, to read the log themselves.
     */
    workers?: number;
    source?: SequenceLogSource;
  },
): Promise<SequenceTuneResult> {
  const { config } = checked;
  const events = options.events ?? {};
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const split = splitSummary(prepared);
  for (const part of ['validation', 'test'] as const) {
    if (split[part].sessions === 0 && (part === 'validation' || config.validation.seeds > 0)) {
      throw new EngineError('E_SPLIT_EMPTY', `the ${part} part of the log has no sessions`, {
        hint: `tuning ranks on the validation sessions and checks on the test sessions: give the split a ${part} fraction in --prepare (split.${part})`,
      });
    }
  }
  for (const part of config.validation.seeds > 0 ? [1, 2] : [1]) {
    if (targetsIn(prepared, config, part) > 0) continue;
    const name = part === 1 ? 'validation' : 'test';
    throw new EngineError(
      'E_CONFIG_INVALID',
      `the ${name} sessions hold no '${config.objective.group}' targets`,
      {
        path: 'objective.group',
        hint: `its event types (${config.groups[config.objective.group].join(', ')}) do not occur after a session's first event in the ${name} part; choose another group`,
      },
    );
  }
  const rungs = planRungs({
    strategy: config.search.strategy,
    trials: config.search.trials + (config.search.includeBase ? 1 : 0),
    maxBudget: config.epochs,
    // Budgets are rounded to whole epochs: any rung down to half an epoch rounds to at least one.
    minBudget: config.search.minEpochs ?? Math.max(0.5, config.epochs / config.search.eta ** 2),
    eta: config.search.eta,
  });
  const check = (options: SequenceModelOptions) =>
    new SequenceRecommender(
      recommenderOptions({ model: config.model, options, epochs: 1, seed: config.objective.firstSeed }),
    ).checkConfig(prepared);
  try {
    check(config.options);
  } catch (error) {
    throw withPath(error, 'options');
  }
  const trials: SequenceTrial[] = drawTrials<SequenceModelOptions>({
    count: config.search.trials,
    space: checked.space,
    base: config.options,
    seed: config.search.seed,
    build: (drawn, index) => parseConfig(sequenceModelOptionsSchema, drawn, `trial ${index}`),
    check,
    noun: 'model',
  }).map(({ config: options, ...t }) => ({ ...t, options, rungs: [] }));
  if (config.search.includeBase) {
    trials.push({ index: trials.length, values: {}, options: config.options, base: true, rungs: [] });
  }
  const valid = trials.filter((t) => !t.error).map((t) => t.index);
  const seedsFrom = (first: number, n: number) => Array.from({ length: n }, (_, s) => first + s);
  const objectiveSeeds = seedsFrom(config.objective.firstSeed, config.objective.seeds);
  const finalSeeds = seedsFrom(config.validation.firstSeed, config.validation.seeds);
  // The final check trains best and base on each fresh seed (the base alone if it wins).
  events.onPlan?.(
    rungs.reduce((n, r) => n + Math.min(r.trials, valid.length) * objectiveSeeds.length, 0) +
      2 * finalSeeds.length,
    rungs,
  );

  const log = new RunLog<SequenceRun>(options.runs ?? null);
  const compute = { runs: 0, reused: 0, epochs: 0, seconds: 0 };
  let finished = 0;
  /** Runs in order; those in the run log are reused, the rest train here or on the worker pool. */
  const runAll = async (wanted: Array<{ label: string; job: SequenceJob }>): Promise<SequenceRun[]> => {
    const out: SequenceRun[] = new Array(wanted.length);
    const todo: Array<{ index: number; key: string; label: string; job: SequenceJob }> = [];
    wanted.forEach(({ label, job }, index) => {
      const { groups, objective, model, ...rest } = job;
      const key = runKey({
        data: options.dataKey,
        model,
        groups,
        metric: objective.metric,
        group: objective.group,
        ...rest,
      });
      const cached = log.get(key);
      compute.runs++;
      if (cached) {
        compute.reused++;
        out[index] = cached;
        events.onRunDone?.(label, cached, ++finished, true);
      } else todo.push({ index, key, label, job });
    });
    const store = (k: number, result: SequenceRun) => {
      const { index, key, label, job } = todo[k];
      log.append(key, result);
      compute.epochs += job.epochs;
      compute.seconds += result.seconds;
      out[index] = result;
      events.onRunDone?.(label, result, ++finished, false);
    };
    await runSequenceTasks(
      todo.map(({ job }) => ({ kind: 'score', job })),
      prepared,
      {
        workers: options.workers,
        source: options.source,
        onEpoch: (k, epoch, epochs) => events.onEpoch?.(todo[k].label, epoch, epochs),
      },
      (k, result) => store(k, result as SequenceRun),
    );
    return out;
  };
  const jobOf = (opts: SequenceModelOptions, epochs: number, seed: number, part: 'validation' | 'test') => ({
    model: config.model,
    options: opts,
    epochs,
    seed,
    part,
    groups: config.groups,
    objective: { metric: config.objective.metric, group: config.objective.group },
  });

  try {
    const planned: Array<Rung & { promoted: number[] }> = [];
    let entering = valid;
    for (let k = 0; k < rungs.length && entering.length > 0; k++) {
      const { budget } = rungs[k];
      const runs = await runAll(
        entering.flatMap((t) =>
          objectiveSeeds.map((seed) => ({
            label: `trial ${t} · ${epochsLabel(budget)} · seed ${seed}`,
            job: jobOf(trials[t].options, budget, seed, 'validation'),
          })),
        ),
      );
      entering.forEach((t, n) => {
        const mine = runs.slice(n * objectiveSeeds.length, (n + 1) * objectiveSeeds.length);
        trials[t].rungs.push({ epochs: budget, runs: mine, score: summarize(mine.map((r) => r.score)) });
      });
      const next = rungs[k + 1];
      const promoted = next
        ? promote(
            entering.map((t) => ({ trial: t, score: trials[t].rungs[k].score.mean })),
            Math.min(next.trials, entering.length),
          )
        : [];
      planned.push({ ...rungs[k], trials: entering.length, promoted });
      entering = promoted;
    }
    const leaderboard = [...trials]
      .map((t) => ({
        trial: t.index,
        level: t.rungs.length,
        score: t.rungs.at(-1)?.score.mean ?? Number.NaN,
      }))
      .sort((a, b) => b.level - a.level || byScore(a, b))
      .map((t) => t.trial);
    const best = leaderboard[0];
    let final: SequenceFinalCheck | undefined;
    if (finalSeeds.length > 0) {
      // When the base options won the search, they are checked once and compared with themselves.
      const baseWon = trials[best].base === true;
      if (baseWon) events.onTotal?.(finished + finalSeeds.length);
      const runs = await runAll(
        finalSeeds.flatMap((seed) => [
          ...(baseWon
            ? []
            : [
                {
                  label: `best (trial ${best}) · seed ${seed}`,
                  job: jobOf(trials[best].options, config.epochs, seed, 'test'),
                },
              ]),
          { label: `base options · seed ${seed}`, job: jobOf(config.options, config.epochs, seed, 'test') },
        ]),
      );
      const bestRuns = baseWon ? runs : runs.filter((_, i) => i % 2 === 0);
      const baseRuns = baseWon ? runs : runs.filter((_, i) => i % 2 === 1);
      const bestScore = summarize(bestRuns.map((r) => r.score));
      const baseScore = summarize(baseRuns.map((r) => r.score));
      final = {
        seeds: finalSeeds,
        best: bestRuns,
        base: baseRuns,
        bestScore,
        baseScore,
        difference: welchDifference(
          bestRuns.map((r) => r.score),
          baseRuns.map((r) => r.score),
        ),
        separated: intervalsApart(bestScore, baseScore),
        references: [new PopularityModel(), new SessionKnnModel()].map((model) => {
          model.fit(prepared);
          const e = evaluateNextItem(model, prepared, { part: 'test', groups: config.groups, seed: 0 });
          const m = e.groups[config.objective.group].metrics[config.objective.metric];
          return { model: e.model, value: m.value, lower: m.lower, upper: m.upper };
        }),
      };
    }
    return {
      kind: 'sequence',
      name: config.name,
      startedAt,
      seconds: (performance.now() - started) / 1000,
      config,
      split,
      rungs: planned,
      trials,
      leaderboard,
      best,
      effects: effectsByRung(
        checked.space.space,
        planned.map((rung) => rung.budget),
        trials,
      ),
      compute,
      final,
    };
  } finally {
    log.close();
  }
}

/** Where a worker reads the log from: the `.nbev` file and how it was prepared. */
export interface SequenceLogSource {
  path: string;
  prepare: unknown;
}

/** Train a model on the training sessions and evaluate it on a part: what `evaluate --data` reports per seed. */
export interface SequenceEvaluationJob {
  model: string;
  options: SequenceModelOptions;
  epochs: number;
  seed: number;
  part: 'validation' | 'test';
  groups: Record<string, string[]>;
  /** Bootstrap resamples of the sessions for the intervals (default 200). */
  resamples?: number;
}

/** One run of a search: an evaluation job and the metric it is scored by. */
export interface SequenceJob extends Omit<SequenceEvaluationJob, 'resamples'> {
  objective: { metric: (typeof NEXT_ITEM_METRICS)[number]; group: string };
}

/** What a worker is asked: a search run (scored, for the run log) or a full evaluation. */
export type SequenceTask =
  | { kind: 'score'; job: SequenceJob }
  | { kind: 'evaluate'; job: SequenceEvaluationJob };

/** The recommender a model name, its options, a budget and a seed make. */
function recommenderOptions(run: {
  model: string;
  options: SequenceModelOptions;
  epochs: number;
  seed: number;
}): SequenceRecommenderOptions {
  return { ...run.options, ...SEQUENCE_MODELS[run.model], epochs: run.epochs, seed: run.seed };
}

/** Train one configuration (seeded) on the training sessions and evaluate it on the job's part. */
export function fitAndEvaluate(
  job: SequenceEvaluationJob,
  prepared: PreparedLog,
  onEpoch?: (epoch: number, epochs: number) => void,
): { evaluation: NextItemEvaluation; history: EpochReport[]; seconds: number } {
  const t0 = performance.now();
  const model = new SequenceRecommender({
    ...recommenderOptions(job),
    onEpoch: (r) => onEpoch?.(r.epoch, r.epochs),
  });
  try {
    model.fit(prepared);
    const evaluation = evaluateNextItem(model, prepared, {
      part: job.part,
      groups: job.groups,
      seed: job.seed,
      resamples: job.resamples ?? 200,
    });
    return { evaluation, history: model.history, seconds: (performance.now() - t0) / 1000 };
  } finally {
    model.dispose();
  }
}

/** Train one configuration on the training sessions and score it on the job's part. */
export function trainAndScore(
  job: SequenceJob,
  prepared: PreparedLog,
  onEpoch?: (epoch: number, epochs: number) => void,
): SequenceRun {
  const { evaluation, history, seconds } = fitAndEvaluate({ ...job, resamples: 50 }, prepared, onEpoch);
  const kept = history.reduce((best, r) => (r.validationNdcg > best.validationNdcg ? r : best), history[0]);
  return {
    seed: job.seed,
    epochs: job.epochs,
    score: evaluation.groups[job.objective.group].metrics[job.objective.metric].value,
    metrics: metricValues(evaluation),
    keptEpoch: job.options.keepBest === false ? job.epochs : kept.epoch,
    curve: history.map(({ epoch, loss, validationNdcg }) => ({ epoch, loss, validationNdcg })),
    seconds,
  };
}

/** Run one task here: what a worker does with it. */
export function runSequenceTask(
  task: SequenceTask,
  prepared: PreparedLog,
  onEpoch?: (epoch: number, epochs: number) => void,
): SequenceRun | NextItemEvaluation {
  return task.kind === 'score'
    ? trainAndScore(task.job, prepared, onEpoch)
    : fitAndEvaluate(task.job, prepared, onEpoch).evaluation;
}

/**
 * Run tasks on `workers` worker threads that read the log from `source` themselves, or one after
 * another in this thread (workers 0, no source, or a single task); `done` gets each result with its
 * index as it arrives.
 */
export async function runSequenceTasks(
  tasks: SequenceTask[],
  prepared: PreparedLog,
  options: {
    workers?: number;
    source?: SequenceLogSource;
    onEpoch?: (index: number, epoch: number, epochs: number) => void;
  },
  done: (index: number, result: SequenceRun | NextItemEvaluation) => void,
): Promise<void> {
  const workers = options.source ? Math.max(0, options.workers ?? 0) : 0;
  if (workers > 0 && tasks.length > 1) {
    await runPool<SequenceTask, SequenceRun | NextItemEvaluation>(
      tasks,
      {
        entry: new URL('./sequence-worker-entry.mjs', import.meta.url),
        workerData: options.source,
        size: workers,
        label: ({ job }) => `${job.model} · ${epochsLabel(job.epochs)} · seed ${job.seed}`,
        onProgress: (k, epoch, epochs) => options.onEpoch?.(k, epoch, epochs),
      },
      done,
    );
    return;
  }
  tasks.forEach((task, k) => {
    done(
      k,
      runSequenceTask(task, prepared, (epoch, epochs) => options.onEpoch?.(k, epoch, epochs)),
    );
  });
}

function metricValues(evaluation: NextItemEvaluation): Record<string, Record<string, number>> {
  return Object.fromEntries(
    Object.entries(evaluation.groups).map(([group, { metrics }]) => [
      group,
      Object.fromEntries(Object.entries(metrics).map(([name, i]) => [name, i.value])),
    ]),
  );
}

/** Targets of the objective's group in one part's sessions (1 validation, 2 test; 0: nothing to rank). */
function targetsIn(prepared: PreparedLog, config: SequenceTuneConfig, part: number): number {
  const types = new Set(
    config.groups[config.objective.group]
      .map((name) => prepared.log.typeNames.indexOf(name))
      .filter((t) => t >= 0),
  );
  const { log, sessionStarts, sessionPart } = prepared;
  let targets = 0;
  for (let s = 0; s < sessionPart.length; s++) {
    if (sessionPart[s] !== part) continue;
    // The first event of a session has no prefix to predict it from.
    for (let e = sessionStarts[s] + 1; e < sessionStarts[s + 1]; e++) if (types.has(log.types[e])) targets++;
  }
  return targets;
}
