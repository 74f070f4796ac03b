import { z } from 'zod';
import { parseConfig } from '../core/config.ts';
import { deriveSeed } from '../core/rng.ts';
import type { Agent, AgentStats, Environment, Policy, StepInfo, StepResult } from '../core/types.ts';
import { type Summary, summarize } from '../evaluation/statistics.ts';

export interface TrainProgress {
  step: number;
  totalSteps: number;
  episodes: number;
  /** Return of the last finished episode (NaN before the first). */
  lastReturn: number;
  /** Returns of every episode finished so far, in order (read-only: the result's own array). */
  episodeReturns: readonly number[];
  agent: AgentStats;
}

export interface CheckpointResult {
  step: number;
  /** Stop training early when true (e.g. the task is solved). */
  stop?: boolean;
}

export interface TrainOptions {
  environment: Environment;
  agent: Agent;
  steps: number;
  seed?: number;
  /** Called every `progressInterval` steps and at the end. */
  onProgress?: (progress: TrainProgress) => void;
  /** Called after every environment step with its result (metrics read from info, say). */
  onStep?: (result: StepResult) => void;
  progressInterval?: number;
  /** Called every `checkpointInterval` steps; return { stop: true } to end training early. */
  onCheckpoint?: (step: number) => { stop?: boolean } | undefined;
  checkpointInterval?: number;
}

export interface TrainResult {
  steps: number;
  episodeReturns: number[];
  episodeLengths: number[];
  /** Environment step at which each episode ended. */
  episodeEndSteps: number[];
  wallClockMs: number;
  stoppedEarly: boolean;
}

/** The per-decision inputs an environment offers in `info` (action mask, per-action features). */
export function actOptionsFrom(info: StepInfo): { actionMask?: Uint8Array; actionFeatures?: Float32Array[] } {
  return {
    ...(info.actionMask ? { actionMask: info.actionMask } : {}),
    ...(info.actionFeatures ? { actionFeatures: info.actionFeatures } : {}),
  };
}

const trainOptionsSchema = z.object({
  steps: z.number().int().positive(),
  seed: z.number().int().min(0).default(0),
  progressInterval: z.number().int().positive().default(1000),
  checkpointInterval: z.number().int().positive().default(10_000),
});

/**
 * The loop that joins an agent and an environment (only this layer knows both): act, step, observe.
 * Masks and per-action features from `info` are passed on; each transition carries its propensity.
 */
export function train(options: TrainOptions): TrainResult {
  const parsed = parseConfig(
    trainOptionsSchema,
    {
      steps: options.steps,
      seed: options.seed,
      progressInterval: options.progressInterval,
      checkpointInterval: options.checkpointInterval,
    },
    'train options',
  );
  const { environment, agent } = options;
  const started = performance.now();
  let { observation, info } = environment.reset({ seed: parsed.seed });
  const result: TrainResult = {
    steps: 0,
    episodeReturns: [],
    episodeLengths: [],
    episodeEndSteps: [],
    wallClockMs: 0,
    stoppedEarly: false,
  };
  let episodeReturn = 0;
  let episodeLength = 0;
  for (let step = 1; step <= parsed.steps; step++) {
    const offered = actOptionsFrom(info);
    const decision = agent.act(observation, offered);
    const next = environment.step(decision.action);
    options.onStep?.(next);
    agent.observe({
      observation,
      action: decision.action,
      reward: next.reward,
      nextObservation: next.observation,
      terminated: next.terminated,
      truncated: next.truncated,
      propensity: decision.propensity,
      ...offered,
      ...(next.info.actionMask ? { nextActionMask: next.info.actionMask } : {}),
      ...(next.info.actionFeatures ? { nextActionFeatures: next.info.actionFeatures } : {}),
    });
    episodeReturn += next.reward;
    episodeLength++;
    result.steps = step;
    if (next.terminated || next.truncated) {
      result.episodeReturns.push(episodeReturn);
      result.episodeLengths.push(episodeLength);
      result.episodeEndSteps.push(step);
      episodeReturn = 0;
      episodeLength = 0;
      ({ observation, info } = environment.reset());
    } else {
      observation = next.observation;
      info = next.info;
    }
    if (options.onProgress && (step % parsed.progressInterval === 0 || step === parsed.steps)) {
      options.onProgress({
        step,
        totalSteps: parsed.steps,
        episodes: result.episodeReturns.length,
        lastReturn: result.episodeReturns.at(-1) ?? Number.NaN,
        episodeReturns: result.episodeReturns,
        agent: agent.stats(),
      });
    }
    if (options.onCheckpoint && step % parsed.checkpointInterval === 0) {
      if (options.onCheckpoint(step)?.stop) {
        result.stoppedEarly = true;
        break;
      }
    }
  }
  result.wallClockMs = performance.now() - started;
  return result;
}

export interface EvaluateOptions {
  environment: Environment;
  policy: Policy;
  episodes: number;
  seed?: number;
  /** Act greedily (default) or with the policy's exploration. */
  explore?: boolean;
  /** Stop an episode after this many steps even if the environment does not (default 100,000). */
  maxEpisodeSteps?: number;
}

export interface EvaluateResult {
  returns: number[];
  lengths: number[];
  summary: Summary;
}

/** Run whole episodes with a fixed policy; episode i is reset with a seed derived from (seed, i). */
export function evaluate(options: EvaluateOptions): EvaluateResult {
  const { environment, policy, episodes } = options;
  const seed = options.seed ?? 0;
  const limit = options.maxEpisodeSteps ?? 100_000;
  const returns: number[] = [];
  const lengths: number[] = [];
  for (let e = 0; e < episodes; e++) {
    let { observation, info } = environment.reset({ seed: deriveSeed(seed, e) });
    let total = 0;
    let length = 0;
    for (;;) {
      const decision = policy.act(observation, {
        explore: options.explore ?? false,
        ...actOptionsFrom(info),
      });
      const next = environment.step(decision.action);
      total += next.reward;
      length++;
      if (next.terminated || next.truncated || length >= limit) break;
      observation = next.observation;
      info = next.info;
    }
    returns.push(total);
    lengths.push(length);
  }
  return { returns, lengths, summary: summarize(returns) };
}
