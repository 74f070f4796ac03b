import { deriveSeed } from '../core/rng.ts';
import type { ActOptions, Decision, Environment, Policy, StepResult } from '../core/types.ts';
import { actOptionsFrom } from './train.ts';

/** A policy whose whole action distribution can be read (for the target side of off-policy evaluation). */
export interface DistributionPolicy {
  distribution(observation: Float32Array, options?: ActOptions): Float64Array;
}

export interface CollectedEpisodes {
  /** Offsets: episode e covers steps [episodeStarts[e], episodeStarts[e + 1]). */
  episodeStarts: Int32Array;
  observations: Float32Array[];
  actions: Int32Array;
  rewards: Float64Array;
  /** The behaviour policy's probability of each logged action. */
  loggingPropensities: Float64Array;
  /** The target policy's probability of each logged action (when a target was given). */
  targetPropensities: Float64Array | null;
  /** Step index within its episode. */
  timeSteps: Int32Array;
}

/**
 * Log whole episodes of a behaviour policy in an environment, with propensities: the export that turns
 * a simulator into off-policy evaluation data with a known ground truth. Episode e is reset with a seed
 * derived from (seed, e), so logs are reproducible. Exploration stays on (these are logging runs).
 */
export function collectEpisodes(options: {
  environment: Environment;
  behaviour: Policy;
  target?: DistributionPolicy;
  episodes: number;
  seed?: number;
  maxEpisodeSteps?: number;
  /** Called after every step with what the step returned (its info carries the simulator's outcome). */
  onStep?: (step: {
    episode: number;
    t: number;
    observation: Float32Array;
    /** The action mask and features the environment offered for this decision. */
    offered: ActOptions;
    decision: Decision;
    result: StepResult;
  }) => void;
}): CollectedEpisodes {
  const { environment, behaviour, target } = options;
  const starts = [0];
  const observations: Float32Array[] = [];
  const actions: number[] = [];
  const rewards: number[] = [];
  const logging: number[] = [];
  const targets: number[] = [];
  const timeSteps: number[] = [];
  const limit = options.maxEpisodeSteps ?? 100_000;
  for (let e = 0; e < options.episodes; e++) {
    let { observation, info } = environment.reset({ seed: deriveSeed(options.seed ?? 0, e) });
    for (let t = 0; t < limit; t++) {
      const actOptions = actOptionsFrom(info);
      const decision = behaviour.act(observation, actOptions);
      observations.push(observation);
      actions.push(decision.action);
      logging.push(decision.propensity);
      timeSteps.push(t);
      if (target) targets.push(target.distribution(observation, actOptions)[decision.action]);
      const result = environment.step(decision.action);
      rewards.push(result.reward);
      options.onStep?.({ episode: e, t, observation, offered: actOptions, decision, result });
      if (result.terminated || result.truncated) break;
      observation = result.observation;
      info = result.info;
    }
    starts.push(rewards.length);
  }
  return {
    episodeStarts: Int32Array.from(starts),
    observations,
    actions: Int32Array.from(actions),
    rewards: Float64Array.from(rewards),
    loggingPropensities: Float64Array.from(logging),
    targetPropensities: target ? Float64Array.from(targets) : null,
    timeSteps: Int32Array.from(timeSteps),
  };
}
