import { EngineError } from '../core/engine-error.ts';
import type { ActOptions, Agent, Environment, Policy } from '../core/types.ts';
import {
  type EstimateWithInterval,
  effectiveEpisodes,
  type LoggedEpisodes,
  SEQUENTIAL_ESTIMATORS,
  type SequentialEstimatorName,
  sequentialEstimate,
  sequentialOffPolicyEvaluate,
} from '../evaluation/ope/index.ts';
import { collectEpisodes } from './collect-episodes.ts';

/**
 * Logged decisions with everything offline training needs: per step the observation, what was offered
 * (action mask, per-action features), the action, its reward and logging propensity, and whether the
 * episode ended there. Step i's next state is step i + 1 of the same episode; a truncated episode's last
 * step keeps the observation it ended in.
 */
export interface LoggedTransitions {
  /** Episode e covers steps [episodeStarts[e], episodeStarts[e + 1]). */
  episodeStarts: Int32Array;
  observations: Float32Array[];
  offered: ActOptions[];
  actions: Int32Array;
  rewards: Float64Array;
  propensities: Float64Array;
  terminated: Uint8Array;
  /** The observation after each episode's last step (truncated episodes bootstrap from it). */
  finalObservations: Float32Array[];
  finalOffered: ActOptions[];
}

/** Log `episodes` whole episodes of a behaviour policy (exploration on), with exact propensities. */
export function logTransitions(options: {
  environment: Environment;
  behaviour: Policy;
  episodes: number;
  seed?: number;
}): LoggedTransitions {
  const observations: Float32Array[] = [];
  const offered: ActOptions[] = [];
  const terminated: number[] = [];
  const finalObservations: Float32Array[] = [];
  const finalOffered: ActOptions[] = [];
  const collected = collectEpisodes({
    ...options,
    onStep: ({ observation, offered: o, result }) => {
      observations.push(observation);
      offered.push(o);
      terminated.push(result.terminated ? 1 : 0);
      if (result.terminated || result.truncated) {
        finalObservations.push(result.observation);
        finalOffered.push(offeredIn(result.info));
      }
    },
  });
  return {
    episodeStarts: collected.episodeStarts,
    observations,
    offered,
    actions: collected.actions,
    rewards: collected.rewards,
    propensities: collected.loggingPropensities,
    terminated: Uint8Array.from(terminated),
    finalObservations,
    finalOffered,
  };
}

function offeredIn(info: { actionMask?: Uint8Array; actionFeatures?: Float32Array[] }): ActOptions {
  return {
    ...(info.actionMask ? { actionMask: info.actionMask } : {}),
    ...(info.actionFeatures ? { actionFeatures: info.actionFeatures } : {}),
  };
}

/** Episodes [from, to) of a log as their own log (offsets rebased). */
export function episodeRange(log: LoggedTransitions, from: number, to: number): LoggedTransitions {
  const a = log.episodeStarts[from];
  const b = log.episodeStarts[to];
  return {
    episodeStarts: log.episodeStarts.slice(from, to + 1).map((s) => s - a),
    observations: log.observations.slice(a, b),
    offered: log.offered.slice(a, b),
    actions: log.actions.slice(a, b),
    rewards: log.rewards.slice(a, b),
    propensities: log.propensities.slice(a, b),
    terminated: log.terminated.slice(a, b),
    finalObservations: log.finalObservations.slice(from, to),
    finalOffered: log.finalOffered.slice(from, to),
  };
}

/**
 * Train an agent on logged transitions alone: feed them through `observe`, in logged order, `steps`
 * transitions in all (passes over the log repeat from its start), so the agent's own schedule (replay,
 * learning start, update frequency, target copies) runs as it would online. Nothing is acted.
 */
export function trainOffline(options: {
  agent: Agent;
  log: LoggedTransitions;
  steps: number;
  /** Called every `progressInterval` transitions and at the end. */
  onProgress?: (step: number) => void;
  progressInterval?: number;
}): void {
  const { agent, log, steps } = options;
  const size = log.actions.length;
  if (size === 0) {
    throw new EngineError('E_OFFLINE_EMPTY', 'the training log holds no transitions', {
      hint: 'log more episodes or hold out a smaller share',
    });
  }
  const episodeOf = new Int32Array(size);
  for (let e = 0; e + 1 < log.episodeStarts.length; e++)
    episodeOf.fill(e, log.episodeStarts[e], log.episodeStarts[e + 1]);
  const interval = options.progressInterval ?? Math.max(1, Math.floor(steps / 20));
  for (let step = 1; step <= steps; step++) {
    const i = (step - 1) % size;
    const e = episodeOf[i];
    const last = i + 1 === log.episodeStarts[e + 1];
    const nextObservation = last ? log.finalObservations[e] : log.observations[i + 1];
    const nextOffered = last ? log.finalOffered[e] : log.offered[i + 1];
    agent.observe({
      observation: log.observations[i],
      action: log.actions[i],
      reward: log.rewards[i],
      nextObservation,
      terminated: log.terminated[i] === 1,
      truncated: last && log.terminated[i] === 0,
      propensity: log.propensities[i],
      ...log.offered[i],
      ...(nextOffered.actionMask ? { nextActionMask: nextOffered.actionMask } : {}),
      ...(nextOffered.actionFeatures ? { nextActionFeatures: nextOffered.actionFeatures } : {}),
    });
    if (step % interval === 0 || step === steps) options.onProgress?.(step);
  }
}

/**
 * A greedy policy's side of off-policy evaluation on a log: at each logged step, the probability it
 * gives the logged action (1 or 0), and, where the policy reports its action values, q̂(s, a_logged) and
 * v̂(s) = q̂(s, greedy action) for the doubly robust estimators.
 */
export function greedyTargetOf(policy: Policy, log: LoggedTransitions, gamma: number): LoggedEpisodes {
  const steps = log.actions.length;
  const target = new Float64Array(steps);
  const q = new Float64Array(steps);
  const v = new Float64Array(steps);
  let values = true;
  for (let i = 0; i < steps; i++) {
    const decision = policy.act(log.observations[i], { ...log.offered[i], explore: false });
    target[i] = decision.action === log.actions[i] ? 1 : 0;
    if (decision.values) {
      q[i] = decision.values[log.actions[i]];
      v[i] = decision.values[decision.action];
    } else values = false;
  }
  return {
    episodeStarts: log.episodeStarts,
    rewards: log.rewards,
    loggingPropensities: log.propensities,
    targetPropensities: target,
    gamma,
    ...(values ? { qEstimates: q, vEstimates: v } : {}),
  };
}

export interface OfflineEstimate extends EstimateWithInterval {
  estimator: SequentialEstimatorName;
  /** Kish's effective number of held-out episodes behind the estimate, (Σρ)² / Σρ². */
  effectiveEpisodes: number;
  /** The logging policy's own return on the same episodes (on-policy mean). */
  logged: number;
}

/**
 * The off-policy estimate of a greedy policy's return on held-out logged episodes, with a seeded
 * bootstrap interval. `dr`/`wdr` need a policy that reports action values (the agents do); without them
 * the estimator falls back to its importance-sampling twin (`pdis`/`wpdis`).
 */
export function estimateOffline(
  policy: Policy,
  log: LoggedTransitions,
  options: {
    estimator: SequentialEstimatorName;
    gamma?: number;
    resamples?: number;
    seed?: number;
    /** Value only, no interval (cheap: for learning curves). */
    pointOnly?: boolean;
  },
): OfflineEstimate {
  if (!SEQUENTIAL_ESTIMATORS.includes(options.estimator)) {
    throw new EngineError('E_CONFIG_INVALID', `unknown estimator ${options.estimator}`, {
      hint: `one of ${SEQUENTIAL_ESTIMATORS.join(', ')}`,
    });
  }
  const data = greedyTargetOf(policy, log, options.gamma ?? 1);
  let estimator = options.estimator;
  if (!data.qEstimates && (estimator === 'dr' || estimator === 'wdr'))
    estimator = estimator === 'dr' ? 'pdis' : 'wpdis';
  const effective = effectiveEpisodes(data);
  const logged = sequentialEstimate('pdis', { ...data, targetPropensities: data.loggingPropensities });
  if (options.pointOnly) {
    const value = sequentialEstimate(estimator, data);
    return { estimator, value, lower: value, upper: value, effectiveEpisodes: effective, logged };
  }
  const result = sequentialOffPolicyEvaluate({
    ...data,
    estimators: [estimator],
    resamples: options.resamples ?? 500,
    seed: options.seed ?? 0,
  })[estimator];
  return { estimator, ...result, effectiveEpisodes: effective, logged };
}
