import { EngineError } from '../../core/engine-error.ts';
import { bootstrapInterval } from './bootstrap.ts';
import {
  ESTIMATORS,
  type EstimatorName,
  type EstimatorOptions,
  estimate,
  importanceWeights,
  type LoggedBandit,
  MODEL_BASED,
  roundTerms,
} from './estimators.ts';

export interface OffPolicyEvaluateInput extends LoggedBandit, EstimatorOptions {
  /** Default: every estimator the inputs allow ('dm' and the DR family need rewardEstimates). */
  estimators?: string[];
  /** Bootstrap CI level (default 0.95). */
  confidence?: number;
  seed?: number;
  /** Bootstrap resamples (default 500). */
  resamples?: number;
  /** Clip importance weights at this value (default: no clipping). */
  maxWeight?: number;
}

export interface EstimateWithInterval {
  value: number;
  lower: number;
  upper: number;
}

export interface OverlapDiagnostics {
  rounds: number;
  /** Kish's effective sample size (Σw)² / Σw² of the importance weights. */
  effectiveSampleSize: number;
  meanWeight: number;
  maxWeight: number;
  /** Rounds where the target policy gives the logged action no probability. */
  zeroWeightRounds: number;
  warnings: string[];
}

function validate(input: LoggedBandit): void {
  const { actions, loggedActions, rewards, loggingPropensities, targetProbabilities, rewardEstimates } =
    input;
  const n = loggedActions.length;
  const fail = (message: string, path: string, hint: string) => {
    throw new EngineError('E_OPE_INPUT', message, { path, hint });
  };
  if (!Number.isInteger(actions) || actions < 1)
    fail(`actions must be a positive integer, got ${actions}`, 'actions', 'pass the size of the action set');
  if (n === 0) fail('no logged rounds', 'loggedActions', 'pass at least one logged round');
  if (rewards.length !== n)
    fail(`rewards has ${rewards.length} entries, loggedActions ${n}`, 'rewards', 'one reward per round');
  if (loggingPropensities.length !== n) {
    fail(
      `loggingPropensities has ${loggingPropensities.length} entries, loggedActions ${n}`,
      'loggingPropensities',
      'one propensity per round',
    );
  }
  if (targetProbabilities.length !== n * actions) {
    fail(
      `targetProbabilities has ${targetProbabilities.length} entries, expected n × actions = ${n * actions}`,
      'targetProbabilities',
      'row-major n × actions',
    );
  }
  if (rewardEstimates && rewardEstimates.length !== n * actions) {
    fail(
      `rewardEstimates has ${rewardEstimates.length} entries, expected ${n * actions}`,
      'rewardEstimates',
      'row-major n × actions',
    );
  }
  for (let i = 0; i < n; i++) {
    const a = loggedActions[i];
    if (!Number.isInteger(a) || a < 0 || a >= actions)
      fail(
        `round ${i}: logged action ${a} is outside 0..${actions - 1}`,
        `loggedActions[${i}]`,
        'actions are 0-based indices',
      );
    const p = loggingPropensities[i];
    if (!(p > 0 && p <= 1))
      fail(
        `round ${i}: logging propensity ${p} is not in (0, 1]`,
        `loggingPropensities[${i}]`,
        'log the probability the logging policy gave its action',
      );
    if (!Number.isFinite(rewards[i]))
      fail(`round ${i}: reward ${rewards[i]} is not finite`, `rewards[${i}]`, 'rewards must be numbers');
    let total = 0;
    for (let b = 0; b < actions; b++) {
      const q = targetProbabilities[i * actions + b];
      if (!(q >= 0 && q <= 1))
        fail(
          `round ${i}: target probability ${q} for action ${b} is not in [0, 1]`,
          `targetProbabilities[${i * actions + b}]`,
          'a distribution per round',
        );
      total += q;
    }
    if (Math.abs(total - 1) > 1e-4)
      fail(
        `round ${i}: target probabilities sum to ${total}, not 1`,
        `targetProbabilities[${i}]`,
        'each row must be a distribution',
      );
  }
}

/** How much the target and logging policies overlap: the first thing to read before trusting IPS. */
export function overlapDiagnostics(input: LoggedBandit): OverlapDiagnostics {
  // Only the weights matter here: no need for the reward model's n × actions values.
  const w = importanceWeights(input);
  let sum = 0;
  let squares = 0;
  let max = 0;
  let zeros = 0;
  for (const v of w) {
    sum += v;
    squares += v * v;
    max = Math.max(max, v);
    if (v === 0) zeros++;
  }
  const n = w.length;
  const effectiveSampleSize = squares > 0 ? (sum * sum) / squares : 0;
  const warnings: string[] = [];
  if (effectiveSampleSize < 0.01 * n) {
    warnings.push(
      `poor overlap: effective sample size ${effectiveSampleSize.toFixed(0)} of ${n} rounds; IPS-type estimates will be noisy — prefer DM/DR variants or collect logs with more exploration`,
    );
  }
  const meanWeight = sum / n;
  if (Math.abs(meanWeight - 1) > 0.1 && n >= 1000) {
    warnings.push(
      `mean importance weight ${meanWeight.toFixed(3)} is far from 1: propensities may be wrong or the target policy puts mass where the logger never acted`,
    );
  }
  return { rounds: n, effectiveSampleSize, meanWeight, maxWeight: max, zeroWeightRounds: zeros, warnings };
}

/**
 * Estimate the value of a target policy from logs of another (DESIGN.md, "Off-policy evaluation").
 * Returns each estimator's value with a seeded percentile-bootstrap interval.
 */
export function offPolicyEvaluate(input: OffPolicyEvaluateInput): Record<string, EstimateWithInterval> {
  validate(input);
  const requested = (input.estimators ??
    ESTIMATORS.filter((e) => input.rewardEstimates || !MODEL_BASED.has(e))) as string[];
  for (const name of requested) {
    if (!ESTIMATORS.includes(name as EstimatorName)) {
      throw new EngineError('E_UNKNOWN_ESTIMATOR', `unknown estimator '${name}'`, {
        path: 'estimators',
        hint: `use any of: ${ESTIMATORS.join(', ')}`,
      });
    }
    if (MODEL_BASED.has(name as EstimatorName) && !input.rewardEstimates) {
      throw new EngineError('E_OPE_INPUT', `${name} needs rewardEstimates (a reward model's E[r | x, a])`, {
        path: 'rewardEstimates',
        hint: 'fit one with fitRewardModel(), or ask only for ips and snips',
      });
    }
  }
  const terms = roundTerms(input, input.maxWeight);
  const n = input.loggedActions.length;
  const out: Record<string, EstimateWithInterval> = {};
  requested.forEach((name, k) => {
    const estimator = name as EstimatorName;
    const value = estimate(estimator, terms, input);
    const interval = bootstrapInterval(n, (indices) => estimate(estimator, terms, input, indices), {
      resamples: input.resamples ?? 500,
      confidence: input.confidence ?? 0.95,
      seed: (input.seed ?? 0) + k,
    });
    out[name] = { value, ...interval };
  });
  return out;
}
