import { availableParallelism } from 'node:os';
import { withPath } from '../core/engine-error.ts';
import { createEnvironment } from '../environments/registry.ts';
import { intervalsApart, type Summary, summarize, welchDifference } from '../evaluation/statistics.ts';
import { effectsByRung, type ParameterEffect } from '../evaluation/tuning/importance.ts';
import { RunLog, runKey } from '../evaluation/tuning/run-log.ts';
import { drawTrials, getPath, type ParameterValues, setPath } from '../evaluation/tuning/space.ts';
import { byScore, planRungs, promote, type Rung } from '../evaluation/tuning/strategies.ts';
import { buildAgent, type CurvePoint, type Job, type JobResult } from './run-job.ts';
import { runJobs } from './runner.ts';
import { type CheckedTuneConfig, rankByOf, type TuneConfig } from './tune-config.ts';

/** One training run of a configuration: what the run log keeps. */
export interface RunSummary {
  seed: number;
  trainSteps: number;
  evaluationSteps: number;
  /** Simulator objective: the greedy return. Offline objective: the off-policy estimate on held-out logs. */
  meanReturn: number;
  metrics: Record<string, number>;
  seconds: number;
  curve: CurvePoint[];
  /** Offline objective only: the estimate's interval and the simulator's truth beside it. */
  offline?: {
    estimator: string;
    lower: number;
    upper: number;
    effectiveEpisodes: number;
    /** The behaviour policy's own return on the held-out episodes. */
    logged: number;
    /** The trained agent's greedy return in the simulator (never used to rank). */
    trueReturn: number;
  };
}

/** A run's true return: the simulator's greedy return, also for a run scored offline. */
export const trueReturnOf = (run: RunSummary) => run.offline?.trueReturn ?? run.meanReturn;

export interface TrialRung {
  budget: number;
  runs: RunSummary[];
  /** Mean return over the objective's seeds, with its 95% CI. */
  score: Summary;
}

export interface Trial {
  index: number;
  /** The values drawn for the active parameters. */
  values: ParameterValues;
  /** The full agent config at the full budget. */
  agent: Record<string, unknown>;
  /** Set when the drawn combination is not a valid agent (it never runs). */
  error?: { code: string; message: string };
  /** One entry per rung the trial reached, lowest budget first. */
  rungs: TrialRung[];
}

/** The winner and the base config on fresh seeds, judged by the simulator's true return. */
export interface Validation {
  seeds: number[];
  best: RunSummary[];
  base: RunSummary[];
  bestReturn: Summary;
  baseReturn: Summary;
  /** Offline objective: the two configs' off-policy estimates on the fresh seeds' held-out logs. */
  estimates?: { best: Summary; base: Summary };
  /** best − base, Welch 95% interval. */
  difference: { difference: number; halfWidth: number; lower: number; upper: number };
  /** The two 95% intervals do not overlap. */
  separated: boolean;
}

export interface TuneResult {
  name: string;
  startedAt: string;
  seconds: number;
  workers: number;
  config: TuneConfig;
  rungs: Array<Rung & { promoted: number[] }>;
  trials: Trial[];
  /** Trial indices, best first: by the highest rung reached, then by score there. */
  leaderboard: number[];
  best: number;
  /**
   * How much each parameter mattered, per rung with at least 6 trials: its association with the mean
   * return at that budget (Spearman's ρ for numbers, η² for choices), strongest first. Later rungs
   * hold fewer, already selected trials; the first holds all of them at a short budget.
   */
  effects: Array<{ budget: number; trials: number; parameters: ParameterEffect[] }>;
  /** The search's cost (validation excluded): runs, runs reused from the run log, environment steps. */
  compute: { runs: number; reused: number; trainSteps: number; evaluationSteps: number };
  validation?: Validation;
}

export interface TuneEvents {
  onPlan?(totalRuns: number, rungs: Rung[]): void;
  onRunProgress?(id: string, label: string, done: number, total: number, status: string): void;
  onRunDone?(id: string, label: string, run: RunSummary, finished: number, reused: boolean): void;
  onRung?(index: number, rung: Rung, promoted: number[]): void;
}

/** Which side the fresh-seed check favours: only when the two 95% intervals do not overlap. */
export function winnerOf(v: {
  separated: boolean;
  difference: { difference: number };
}): 'tuned' | 'base' | 'neither' {
  if (!v.separated) return 'neither';
  return v.difference.difference > 0 ? 'tuned' : 'base';
}

/**
 * The score a rung is ranked by. Simulator: the mean return over seeds or its 95% lower bound.
 * Offline: the mean over seeds of each run's off-policy estimate or of its own 95% lower bound.
 */
export function scoreOf(config: TuneConfig, rung: TrialRung): number {
  const lower = rankByOf(config) === 'lower';
  if (config.objective.kind === 'offline') return lower ? meanLowerBound(rung) : rung.score.mean;
  return lower ? rung.score.lower : rung.score.mean;
}

/** Offline objective: the mean over a rung's runs of each run's own lower 95% bound (NaN otherwise). */
export function meanLowerBound(rung: TrialRung): number {
  return rung.runs.reduce((sum, r) => sum + (r.offline?.lower ?? Number.NaN), 0) / rung.runs.length;
}

/** The agent config a run with this budget trains: schedule lengths scaled by budget / steps. */
export function atBudget(
  config: TuneConfig,
  agent: Record<string, unknown>,
  budget: number,
): Record<string, unknown> {
  let out = agent;
  if (budget === config.steps) return out;
  for (const path of config.search.scaleWithBudget) {
    const value = getPath(out, path);
    if (typeof value === 'number') {
      out = setPath(out, path, Math.max(1, Math.round((value * budget) / config.steps)));
    }
  }
  return out;
}

/** The runner's job for one run of a search: this agent config, budget and seed, on the objective. */
export function tuningJob(
  config: TuneConfig,
  label: string,
  agent: Record<string, unknown>,
  budget: number,
  seed: number,
  evaluation: { evaluationEpisodes: number; evaluationSeed: number },
): Job {
  return {
    environment: config.environment.id,
    environmentOptions: config.environment.options,
    entry: { name: label, agent, steps: budget },
    seed,
    evaluationEpisodes: evaluation.evaluationEpisodes,
    evaluationSeed: evaluation.evaluationSeed,
    curvePoints: config.curvePoints,
    ...(config.objective.kind === 'offline' && config.objective.log ? { offline: config.objective.log } : {}),
  };
}

interface PendingRun {
  id: string;
  label: string;
  key: string;
  job: Job;
}

/**
 * Hyper-parameter search on a simulator: draw configurations from the space, train each on the
 * objective's seeds (worker threads, both cores), score by mean greedy return over seeds, and with
 * successive halving give only the best 1/eta of each rung a longer budget. Every finished run is
 * appended to the run log (`runs` path), so a restarted search skips what it already did; results
 * do not depend on the number of workers. Finally the winner and the base config are retrained on
 * fresh seeds and compared with 95% intervals.
 */
export async function runTuning(
  checked: CheckedTuneConfig,
  options: { workers?: number; runs?: string | null; events?: TuneEvents } = {},
): Promise<TuneResult> {
  const { config } = checked;
  const events = options.events ?? {};
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const workers = options.workers ?? availableParallelism();
  const log = new RunLog<RunSummary>(options.runs ?? null);
  const rungs = planRungs({
    strategy: config.search.strategy,
    trials: config.search.trials,
    maxBudget: config.steps,
    minBudget: config.search.minSteps,
    eta: config.search.eta,
  });
  const environment = createEnvironment(config.environment.id, config.environment.options);
  const check = (agent: Record<string, unknown>) =>
    buildAgent(environment, agent, config.objective.firstSeed);
  try {
    check(config.agent);
  } catch (error) {
    throw withPath(error, 'agent');
  }
  const trials: Trial[] = drawTrials({
    count: config.search.trials,
    space: checked.space,
    base: config.agent,
    seed: config.search.seed,
    build: (agent) => agent,
    // Budgets change the config only through scaleWithBudget: build each distinct config once.
    check: (agent) => {
      const distinct = new Set(rungs.map((rung) => JSON.stringify(atBudget(config, agent, rung.budget))));
      for (const json of distinct) check(JSON.parse(json));
    },
    noun: 'agent',
  }).map(({ config: agent, ...t }) => ({ ...t, agent, rungs: [] }));
  const valid = trials.filter((t) => !t.error).map((t) => t.index);
  const objectiveSeeds = Array.from(
    { length: config.objective.seeds },
    (_, s) => config.objective.firstSeed + s,
  );
  const validationSeeds = Array.from(
    { length: config.validation.seeds },
    (_, s) => config.validation.firstSeed + s,
  );
  events.onPlan?.(
    rungs.reduce((n, r) => n + Math.min(r.trials, valid.length) * objectiveSeeds.length, 0) +
      2 * validationSeeds.length,
    rungs,
  );

  let finished = 0;
  const fromLog = new Set<string>();
  const compute = { runs: 0, reused: 0, trainSteps: 0, evaluationSteps: 0 };
  const count = (id: string, run: RunSummary) => {
    compute.runs++;
    if (fromLog.has(id)) compute.reused++;
    compute.trainSteps += run.trainSteps;
    compute.evaluationSteps += run.evaluationSteps;
  };
  const runAll = async (pending: PendingRun[]): Promise<Map<string, RunSummary>> => {
    const out = new Map<string, RunSummary>();
    const todo: PendingRun[] = [];
    for (const p of pending) {
      const cached = log.get(p.key);
      if (cached) {
        out.set(p.id, cached);
        fromLog.add(p.id);
        finished++;
        events.onRunDone?.(p.id, p.label, cached, finished, true);
      } else todo.push(p);
    }
    await runJobs(
      todo.map((p) => p.job),
      workers,
      {
        onJobProgress: (_job, i, done, total, status) =>
          events.onRunProgress?.(todo[i].id, todo[i].label, done, total, status),
      },
      (i, result) => {
        const run = summaryOf(result);
        log.append(todo[i].key, run);
        out.set(todo[i].id, run);
        finished++;
        events.onRunDone?.(todo[i].id, todo[i].label, run, finished, false);
      },
    );
    return out;
  };
  const pendingRun = (
    id: string,
    label: string,
    agent: Record<string, unknown>,
    budget: number,
    seed: number,
    evaluation: { evaluationEpisodes: number; evaluationSeed: number },
  ): PendingRun => {
    const job = tuningJob(config, label, agent, budget, seed, evaluation);
    const { entry, ...rest } = job;
    return { id, label, job, key: runKey({ ...rest, agent, steps: budget }) };
  };

  const planned: Array<Rung & { promoted: number[] }> = [];
  let entering = valid;
  try {
    for (let k = 0; k < rungs.length && entering.length > 0; k++) {
      const budget = rungs[k].budget;
      const pending = entering.flatMap((t) =>
        objectiveSeeds.map((seed) =>
          pendingRun(
            `${t}/${budget}/${seed}`,
            `trial ${t} · ${budget} steps · seed ${seed}`,
            atBudget(config, trials[t].agent, budget),
            budget,
            seed,
            config.objective,
          ),
        ),
      );
      const results = await runAll(pending);
      for (const [id, run] of results) count(id, run);
      for (const t of entering) {
        const runs = objectiveSeeds.map((seed) => results.get(`${t}/${budget}/${seed}`) as RunSummary);
        trials[t].rungs.push({ budget, runs, score: summarize(runs.map((r) => r.meanReturn)) });
      }
      const next = rungs[k + 1];
      const promoted = next
        ? promote(
            entering.map((t) => ({ trial: t, score: scoreOf(config, trials[t].rungs[k]) })),
            Math.min(next.trials, entering.length),
          )
        : [];
      planned.push({ ...rungs[k], trials: entering.length, promoted });
      events.onRung?.(k, rungs[k], promoted);
      entering = promoted;
    }
    const leaderboard = rankTrials(config, trials);
    const best = leaderboard[0];
    let validation: Validation | undefined;
    if (validationSeeds.length > 0) {
      const evaluation = {
        evaluationEpisodes: config.validation.evaluationEpisodes,
        evaluationSeed: config.validation.evaluationSeed,
      };
      const pending = validationSeeds.flatMap((seed) => [
        pendingRun(
          `best/${seed}`,
          `best (trial ${best}) · seed ${seed}`,
          trials[best].agent,
          config.steps,
          seed,
          evaluation,
        ),
        pendingRun(
          `base/${seed}`,
          `base config · seed ${seed}`,
          config.agent,
          config.steps,
          seed,
          evaluation,
        ),
      ]);
      const results = await runAll(pending);
      const bestRuns = validationSeeds.map((seed) => results.get(`best/${seed}`) as RunSummary);
      const baseRuns = validationSeeds.map((seed) => results.get(`base/${seed}`) as RunSummary);
      const bestReturn = summarize(bestRuns.map(trueReturnOf));
      const baseReturn = summarize(baseRuns.map(trueReturnOf));
      validation = {
        seeds: validationSeeds,
        best: bestRuns,
        base: baseRuns,
        bestReturn,
        baseReturn,
        ...(config.objective.kind === 'offline'
          ? {
              estimates: {
                best: summarize(bestRuns.map((r) => r.meanReturn)),
                base: summarize(baseRuns.map((r) => r.meanReturn)),
              },
            }
          : {}),
        difference: welchDifference(bestRuns.map(trueReturnOf), baseRuns.map(trueReturnOf)),
        separated: intervalsApart(bestReturn, baseReturn),
      };
    }
    return {
      name: config.name,
      startedAt,
      seconds: (performance.now() - started) / 1000,
      workers,
      config,
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
      validation,
    };
  } finally {
    log.close();
  }
}

/** Best first: trials that reached a higher rung, then the higher score there; failed trials last. */
export function rankTrials(config: TuneConfig, trials: Trial[]): number[] {
  const keyed = trials.map((t) => {
    const top = t.rungs[t.rungs.length - 1];
    return { trial: t.index, level: t.rungs.length, score: top ? scoreOf(config, top) : Number.NaN };
  });
  return keyed.sort((a, b) => b.level - a.level || byScore(a, b)).map((k) => k.trial);
}

export function summaryOf(result: JobResult): RunSummary {
  const run: RunSummary = {
    seed: result.seed,
    trainSteps: result.trainSteps,
    evaluationSteps: result.evaluation.steps,
    meanReturn: result.evaluation.meanReturn,
    metrics: result.evaluation.metrics,
    seconds: result.seconds,
    curve: result.curve,
  };
  if (!result.offline) return run;
  const { estimate } = result.offline;
  return {
    ...run,
    // What an offline search costs: the transitions it trained on and the held-out steps it scored.
    evaluationSteps: result.offline.heldOutSteps,
    meanReturn: estimate.value,
    offline: {
      estimator: estimate.estimator,
      lower: estimate.lower,
      upper: estimate.upper,
      effectiveEpisodes: estimate.effectiveEpisodes,
      logged: estimate.logged,
      trueReturn: result.evaluation.meanReturn,
    },
  };
}
