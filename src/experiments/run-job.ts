import { createAgent } from '../agents/create-agent.ts';
import { EpsilonSoftPolicy } from '../agents/random-policy.ts';
import { EngineError } from '../core/engine-error.ts';
import { deriveSeed } from '../core/rng.ts';
import { actionCount } from '../core/spaces.ts';
import type { Agent, Environment, Policy, StepInfo } from '../core/types.ts';
import { createEnvironment } from '../environments/registry.ts';
import type { SequentialEstimatorName } from '../evaluation/ope/index.ts';
import {
  episodeRange,
  estimateOffline,
  logTransitions,
  type OfflineEstimate,
  trainOffline,
} from '../training/offline.ts';
import { actOptionsFrom, train } from '../training/train.ts';
import { baselineFor, type MetricSpec, metricsFor, type WarmupPolicy } from './baselines.ts';
import { type Entry, isBaseline } from './config.ts';

/** One (environment, entry, seed) cell of an experiment: what a worker thread runs. */
export interface Job {
  environment: string;
  environmentOptions: Record<string, unknown>;
  entry: Entry;
  seed: number;
  evaluationEpisodes: number;
  /** First evaluation episode seed; seed s evaluates episodes evaluationSeed + s·evaluationEpisodes + e. */
  evaluationSeed: number;
  curvePoints: number;
  /**
   * Train on a log instead of the simulator: the environment writes `offline.episodes` episodes under
   * an ε-soft baseline, the agent learns from the older part alone (entry.steps transitions fed), and
   * is scored by an off-policy estimate on the newest part. The simulator then plays the trained agent,
   * from the world as the log left it, for the true return (the check a real log cannot give).
   */
  offline?: OfflineLogSpec;
}

/** How an offline run's log is written and judged. */
export interface OfflineLogSpec {
  /** The environment baseline that writes the log, made ε-soft so every allowed action is logged. */
  behaviour: string;
  epsilon: number;
  episodes: number;
  /** Seed s writes its log with seed deriveSeed(seed, s): each training seed has its own log. */
  seed: number;
  /** The newest share of episodes held out for the estimate. */
  heldOut: number;
  estimator: SequentialEstimatorName;
  /** Discount of the estimated return (1: the undiscounted return the simulator reports). */
  discount: number;
  resamples: number;
}

/** What an offline run adds: the off-policy estimate on held-out episodes and the log's sizes. */
export interface OfflineOutcome {
  estimate: OfflineEstimate;
  trainEpisodes: number;
  heldOutEpisodes: number;
  heldOutSteps: number;
  logSteps: number;
}

/** Every entry's run with seed s is evaluated on the same episodes (common random numbers); seeds differ. */
export const evaluationSeedOf = (job: Job) => job.evaluationSeed + job.seed * job.evaluationEpisodes;

export interface CurvePoint {
  step: number;
  /** Mean return of the training episodes that ended in this window (NaN if none did). */
  meanReturn: number;
  episodes: number;
  /** Reward collected during training up to this step (exploration included). */
  cumulativeReward: number;
  /** The agent's recent mean training loss (TD loss for value methods). */
  loss: number;
  epsilon: number;
  metrics: Record<string, number>;
}

export interface JobResult {
  environment: string;
  name: string;
  kind: 'agent' | 'baseline';
  oracle: boolean;
  seed: number;
  seconds: number;
  trainSteps: number;
  curve: CurvePoint[];
  /** Greedy episodes in the simulator after training: the true return. */
  evaluation: Evaluation;
  offline?: OfflineOutcome;
}

/** Greedy evaluation episodes: their count, environment steps, mean return and metrics. */
export interface Evaluation {
  episodes: number;
  steps: number;
  meanReturn: number;
  metrics: Record<string, number>;
}

export type JobProgress = (done: number, total: number, status: string) => void;

/** Sums of each metric's numerator and denominator; the ratio is the metric. */
class MetricTally {
  private readonly numerators: Record<string, number> = {};
  private readonly denominators: Record<string, number> = {};
  constructor(private readonly specs: Record<string, MetricSpec>) {
    this.clear();
  }
  clear(): void {
    for (const key of Object.keys(this.specs)) {
      this.numerators[key] = 0;
      this.denominators[key] = 0;
    }
  }
  step(info: StepInfo, episodeEnded: boolean): void {
    for (const [key, spec] of Object.entries(this.specs)) {
      this.numerators[key] += spec.numerator(info);
      if (spec.denominator === 'step') this.denominators[key]++;
      else if (spec.denominator === 'episode') this.denominators[key] += episodeEnded ? 1 : 0;
      else this.denominators[key] += spec.denominator(info);
    }
  }
  values(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const key of Object.keys(this.specs)) {
      out[key] = this.denominators[key] > 0 ? this.numerators[key] / this.denominators[key] : Number.NaN;
    }
    return out;
  }
}

/** The agent an entry describes, for this environment and seed (spaces and seed filled in). */
export function buildAgent(environment: Environment, config: Record<string, unknown>, seed: number): Agent {
  const featureSize = (environment as { actionFeatureSize?: number }).actionFeatureSize;
  return createAgent({
    ...(featureSize !== undefined && config.actionFeatureSize === undefined
      ? { actionFeatureSize: featureSize }
      : {}),
    ...config,
    observationSpace: environment.observationSpace,
    actionSpace: environment.actionSpace,
    seed,
  });
}

/** Greedy episodes on fixed episode seeds; the return and each metric, averaged per episode. */
export function evaluatePolicy(
  environment: Environment,
  policy: Policy,
  episodes: number,
  firstSeed: number,
  specs: Record<string, MetricSpec>,
): Evaluation {
  const tally = new MetricTally(specs);
  let total = 0;
  let steps = 0;
  for (let e = 0; e < episodes; e++) {
    let { observation, info } = environment.reset({ seed: firstSeed + e });
    for (;;) {
      const decision = policy.act(observation, { ...actOptionsFrom(info), explore: false });
      const result = environment.step(decision.action);
      total += result.reward;
      steps++;
      const ended = result.terminated || result.truncated;
      tally.step(result.info, ended);
      if (ended) break;
      observation = result.observation;
      info = result.info;
    }
  }
  return { episodes, steps, meanReturn: total / episodes, metrics: tally.values() };
}

function warmUp(environment: Environment, policy: WarmupPolicy, seed: number): void {
  let { observation, info } = environment.reset({ seed });
  for (let t = 0; t < policy.warmup; t++) {
    const decision = policy.act(observation, actOptionsFrom(info));
    const result = environment.step(decision.action);
    policy.learn(decision.action, result.reward);
    if (result.terminated || result.truncated) ({ observation, info } = environment.reset());
    else ({ observation, info } = result);
  }
}

export function runJob(job: Job, onProgress: JobProgress = () => {}): JobResult {
  if (job.offline) return runOfflineJob(job, job.offline, onProgress);
  const started = performance.now();
  const specs = metricsFor(job.environment);
  const make = () => createEnvironment(job.environment, job.environmentOptions);
  const { entry } = job;
  const base = { environment: job.environment, name: entry.name, seed: job.seed };
  if (isBaseline(entry)) {
    const spec = baselineFor(job.environment, entry.baseline);
    const environment = make();
    const policy = spec.make(environment, job.seed);
    if ('warmup' in policy) warmUp(environment, policy as WarmupPolicy, job.seed * 1_000_003);
    onProgress(0, job.evaluationEpisodes, 'evaluating');
    const evaluation = evaluatePolicy(
      environment,
      policy,
      job.evaluationEpisodes,
      evaluationSeedOf(job),
      specs,
    );
    onProgress(job.evaluationEpisodes, job.evaluationEpisodes, 'done');
    return {
      ...base,
      kind: 'baseline',
      oracle: spec.oracle === true,
      seconds: (performance.now() - started) / 1000,
      trainSteps: 0,
      curve: [],
      evaluation,
    };
  }
  const environment = make();
  const agent = buildAgent(environment, entry.agent, job.seed);
  const tally = new MetricTally(specs);
  const interval = Math.max(1, Math.floor(entry.steps / job.curvePoints));
  const curve: CurvePoint[] = [];
  let totalReward = 0;
  let episodesSeen = 0;
  train({
    environment,
    agent,
    steps: entry.steps,
    seed: job.seed,
    progressInterval: interval,
    onStep: (result) => {
      tally.step(result.info, result.terminated || result.truncated);
      totalReward += result.reward;
    },
    onProgress: (p) => {
      const window = p.episodeReturns.slice(episodesSeen);
      episodesSeen = p.episodeReturns.length;
      curve.push({
        step: p.step,
        meanReturn: window.length > 0 ? window.reduce((a, b) => a + b, 0) / window.length : Number.NaN,
        episodes: window.length,
        cumulativeReward: totalReward,
        loss: p.agent.loss,
        epsilon: p.agent.epsilon ?? Number.NaN,
        metrics: tally.values(),
      });
      tally.clear();
      onProgress(p.step, entry.steps, `training, ${p.episodes} episodes`);
    },
  });
  onProgress(entry.steps, entry.steps, 'evaluating');
  const evaluation = evaluatePolicy(make(), agent, job.evaluationEpisodes, evaluationSeedOf(job), specs);
  return agentResult(job, entry.steps, started, curve, evaluation);
}

/** A trained agent's result: its training curve and the greedy evaluation in the simulator. */
function agentResult(
  job: Job,
  trainSteps: number,
  started: number,
  curve: CurvePoint[],
  evaluation: Evaluation,
): JobResult {
  return {
    environment: job.environment,
    name: job.entry.name,
    seed: job.seed,
    kind: 'agent',
    oracle: false,
    seconds: (performance.now() - started) / 1000,
    trainSteps,
    curve,
    evaluation,
  };
}

/** An agent trained on a simulator's log alone (see Job.offline). */
function runOfflineJob(job: Job, spec: OfflineLogSpec, onProgress: JobProgress): JobResult {
  const started = performance.now();
  const { entry } = job;
  if (isBaseline(entry)) {
    throw new EngineError('E_CONFIG_INVALID', 'an offline run trains an agent, not a baseline', {
      path: 'entry',
    });
  }
  const environment = createEnvironment(job.environment, job.environmentOptions);
  const base = baselineFor(job.environment, spec.behaviour).make(environment, job.seed);
  if ('warmup' in base) warmUp(environment, base as WarmupPolicy, job.seed * 1_000_003);
  // Uniformly random logging is its own exact-propensity policy; a greedy baseline is made ε-soft.
  const behaviour =
    spec.behaviour === 'random'
      ? base
      : new EpsilonSoftPolicy(
          base,
          spec.epsilon,
          deriveSeed(spec.seed, 2 * job.seed + 1),
          actionCount(environment.actionSpace),
        );
  onProgress(0, entry.steps, 'writing the log');
  const log = logTransitions({
    environment,
    behaviour,
    episodes: spec.episodes,
    seed: deriveSeed(spec.seed, 2 * job.seed),
  });
  const cut = Math.round(spec.episodes * (1 - spec.heldOut));
  if (cut < 1 || cut >= spec.episodes) {
    throw new EngineError(
      'E_CONFIG_INVALID',
      `holding out ${spec.heldOut} of ${spec.episodes} episodes leaves ${cut} to train on and ${spec.episodes - cut} to judge`,
      { path: 'objective.log.heldOut', hint: 'log more episodes or change the held-out share' },
    );
  }
  const training = episodeRange(log, 0, cut);
  const heldOut = episodeRange(log, cut, spec.episodes);
  const agent = buildAgent(environment, entry.agent, job.seed);
  const judge = (pointOnly: boolean) =>
    estimateOffline(agent, heldOut, {
      estimator: spec.estimator,
      gamma: spec.discount,
      resamples: spec.resamples,
      seed: job.seed,
      pointOnly,
    });
  const curve: CurvePoint[] = [];
  trainOffline({
    agent,
    log: training,
    steps: entry.steps,
    progressInterval: Math.max(1, Math.floor(entry.steps / job.curvePoints)),
    onProgress: (step) => {
      const stats = agent.stats();
      curve.push({
        step,
        meanReturn: judge(true).value,
        episodes: 0,
        cumulativeReward: Number.NaN,
        loss: stats.loss,
        epsilon: stats.epsilon ?? Number.NaN,
        metrics: {},
      });
      onProgress(step, entry.steps, 'training on the log');
    },
  });
  onProgress(entry.steps, entry.steps, 'estimating');
  const estimate = judge(false);
  // The simulator continues from the world the log left (stock, loyalty, interests), as a shop would.
  const evaluation = evaluatePolicy(
    environment,
    agent,
    job.evaluationEpisodes,
    evaluationSeedOf(job),
    metricsFor(job.environment),
  );
  agent.dispose?.();
  return {
    ...agentResult(job, entry.steps, started, curve, evaluation),
    offline: {
      estimate,
      trainEpisodes: cut,
      heldOutEpisodes: spec.episodes - cut,
      heldOutSteps: heldOut.actions.length,
      logSteps: log.actions.length,
    },
  };
}
