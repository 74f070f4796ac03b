import type { Agent, Environment } from '../core/types.ts';
import { evaluate, type TrainProgress, train } from './train.ts';

export interface SolveOptions {
  environment: Environment;
  /** A separate instance for evaluation, so evaluation episodes do not disturb training episodes. */
  evaluationEnvironment: Environment;
  agent: Agent;
  maxSteps: number;
  seed: number;
  /** Solved when the mean greedy return over `episodes` evaluation episodes reaches this. */
  threshold: number;
  episodes?: number;
  checkpointInterval?: number;
  /** Episodes of the cheap screening run before a full evaluation. */
  screenEpisodes?: number;
  onProgress?: (progress: TrainProgress) => void;
  onCheckpoint?: (point: CurvePoint) => void;
}

export interface CurvePoint {
  step: number;
  /** Mean greedy return of the screening episodes at this checkpoint. */
  greedyReturn: number;
  wallClockMs: number;
}

export interface SolveResult {
  solved: boolean;
  /** Environment steps when the full evaluation first passed (NaN if never). */
  stepsToSolve: number;
  /** Mean greedy return of the full evaluation that passed (or of the last one run). */
  finalMean: number;
  wallClockMs: number;
  curve: CurvePoint[];
  episodeReturns: number[];
  episodeEndSteps: number[];
}

/**
 * Train, evaluating the greedy policy every checkpoint: a short screen first, and the full evaluation
 * (e.g. 100 episodes, as CartPole's "solved" is defined) only when the screen passes. Stops when solved.
 */
export function trainUntilSolved(options: SolveOptions): SolveResult {
  const episodes = options.episodes ?? 100;
  const screen = options.screenEpisodes ?? 10;
  const started = performance.now();
  const curve: CurvePoint[] = [];
  let solved = false;
  let stepsToSolve = Number.NaN;
  let finalMean = Number.NaN;
  const result = train({
    environment: options.environment,
    agent: options.agent,
    steps: options.maxSteps,
    seed: options.seed,
    checkpointInterval: options.checkpointInterval ?? 5_000,
    ...(options.onProgress ? { onProgress: options.onProgress, progressInterval: 1000 } : {}),
    onCheckpoint: (step) => {
      const quick = evaluate({
        environment: options.evaluationEnvironment,
        policy: options.agent,
        episodes: screen,
        seed: options.seed * 1_000_003 + step,
      });
      const point = { step, greedyReturn: quick.summary.mean, wallClockMs: performance.now() - started };
      curve.push(point);
      options.onCheckpoint?.(point);
      if (quick.summary.mean < options.threshold) return undefined;
      const full = evaluate({
        environment: options.evaluationEnvironment,
        policy: options.agent,
        episodes,
        seed: options.seed * 1_000_003 + step + 1,
      });
      finalMean = full.summary.mean;
      if (full.summary.mean >= options.threshold) {
        solved = true;
        stepsToSolve = step;
        return { stop: true };
      }
      return undefined;
    },
  });
  return {
    solved,
    stepsToSolve,
    finalMean,
    wallClockMs: performance.now() - started,
    curve,
    episodeReturns: result.episodeReturns,
    episodeEndSteps: result.episodeEndSteps,
  };
}
