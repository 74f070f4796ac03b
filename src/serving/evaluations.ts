import { setImmediate as yieldToRequests } from 'node:timers/promises';
import { z } from 'zod';
import { deriveSeed } from '../core/rng.ts';
import { normalQuantile } from '../evaluation/statistics.ts';
import { applyParameters, checkSearchSpace, sampleTrial } from '../evaluation/tuning/space.ts';
import { aggregateReward, type JoinedDecision } from '../store/decision-store.ts';
import { featureImportance } from './explain.ts';
import {
  epsilonGreedyProbabilities,
  fnv1a,
  HashedLinearModel,
  prepareDecision,
  scorePrepared,
} from './hashed-linear-model.ts';
import { trainingWeight } from './learner.ts';
import { type LearningArguments, parseLearningArguments, policySchema } from './learning-settings.ts';
import { type ServiceConfig, servedEpsilon } from './service-config.ts';

/** POST /evaluations: Personalizer's evaluation contract. */
export const evaluationRequestSchema = z
  .object({
    name: z.string().min(1).max(256),
    startTime: z.iso.datetime({ offset: true }),
    endTime: z.iso.datetime({ offset: true }),
    /** Search for better learning settings than the online ones (Personalizer's "optimization discovery"). */
    enableOfflineExperimentation: z.boolean().default(false),
    /** Further learning settings to compare. */
    policies: z.array(policySchema).max(20).default([]),
  })
  .refine((r) => Date.parse(r.startTime) < Date.parse(r.endTime), {
    message: 'startTime must be before endTime',
    path: ['endTime'],
  });
export type EvaluationRequest = z.output<typeof evaluationRequestSchema>;

export type PolicySource = 'Online' | 'Baseline' | 'Random' | 'Custom' | 'OfflineExperimentation';

/** Personalizer's per-window aggregate of one policy's counterfactual rewards. */
export interface PolicyResultSummary {
  timeStamp: string;
  ipsEstimatorNumerator: number;
  ipsEstimatorDenominator: number;
  snipsEstimatorDenominator: number;
  aggregateTimeWindow: string;
  nonZeroProbability: number;
  sumOfSquares: number;
  /** Half-width of the Gaussian 95% interval of averageReward. */
  confidenceInterval: number;
  /** The IPS estimate: ipsEstimatorNumerator / ipsEstimatorDenominator. */
  averageReward: number;
}

export interface PolicyResult {
  name: string;
  arguments: string;
  policySource: PolicySource;
  summary: PolicyResultSummary[];
  totalSummary: PolicyResultSummary;
}

/** The suggestion: better learning settings, if the paired gain over the online settings is sure. */
export interface Suggestion {
  name: string;
  arguments: string;
  /** Estimated reward per event minus the online settings', paired over the same events. */
  estimatedGain: number;
  /** 95% interval of the gain. */
  gainInterval: [number, number];
  /** The gain's lower bound is above 0: worth applying. */
  recommended: boolean;
}

export interface EvaluationOutcome {
  events: number;
  policyResults: PolicyResult[];
  /** Feature groups, most important first, in tiers (Personalizer's string[][]). */
  featureImportance: string[][];
  /** The arguments Personalizer would call optimal: the suggestion's when recommended, else the online ones. */
  optimalPolicy: string;
  suggestion: Suggestion | null;
  /** Every learning setting the search tried, with its estimate (best lower bound first). */
  search: Array<{ arguments: string; averageReward: number; lower: number; upper: number }>;
}

/** Learning settings the optimisation tries: the flags the served model reads. */
export const LEARNING_SPACE = {
  learningRate: { type: 'float', low: 0.003, high: 3, log: true },
  bits: { type: 'choice', values: [14, 16, 18, 20] },
  cbType: { type: 'choice', values: ['mtr', 'dm'] },
} as const;

/** The Vowpal Wabbit command line for learning settings (what /configurations/policy holds). */
export function formatLearningArguments(args: LearningArguments, epsilon: number): string {
  return `--cb_explore_adf --epsilon ${epsilon} --power_t 0 -l ${Number(args.learningRate.toPrecision(3))} -b ${args.bits} --cb_type ${args.cbType} -q ::`;
}

/** One policy's importance weight and reward per replayed event. */
interface Replay {
  weights: Float64Array;
  rewards: Float64Array;
}

interface ReplayInput {
  decisions: JoinedDecision[];
  rewards: Float64Array;
  /** The logged action's index among each decision's eligible actions (−1 if it was not eligible). */
  logged: Int32Array;
  prepared: ReturnType<typeof prepareDecision>[];
}

/**
 * Progressive validation of learning settings on the log: a fresh model walks the events in order; each
 * event is first scored by the model trained on the earlier events only (the policy's ε-greedy
 * probability of the logged action over the logged propensity is the event's importance weight), then
 * learned from, as the online learner would. Every event is thus out of sample for the model judged on it.
 */
async function replaySettings(input: ReplayInput, args: LearningArguments, epsilon: number): Promise<Replay> {
  const model = new HashedLinearModel(args.bits, args.learningRate);
  const n = input.decisions.length;
  const weights = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const d = input.decisions[i];
    const k = input.logged[i];
    if (k < 0) continue;
    const prepared = input.prepared[i];
    weights[i] = epsilonGreedyProbabilities(scorePrepared(model, prepared), epsilon)[k] / d.propensity;
    model.update(
      model.featurize(prepared.context, prepared.actions[k]),
      input.rewards[i],
      trainingWeight(args, d.propensity),
    );
    if (i % 512 === 511) await yieldToRequests();
  }
  return { weights, rewards: input.rewards };
}

/** A fixed rule's weights: probability of the logged action under `probabilityOf(eligible count, index)`. */
function fixedPolicy(input: ReplayInput, probabilityOf: (count: number, index: number) => number): Replay {
  const n = input.decisions.length;
  const weights = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const k = input.logged[i];
    if (k >= 0)
      weights[i] = probabilityOf(input.prepared[i].eligible.length, k) / input.decisions[i].propensity;
  }
  return { weights, rewards: input.rewards };
}

const Z95 = normalQuantile(0.975);

/** Mean of n terms from their sum and sum of squares, with the half-width of its Gaussian 95% interval. */
function gaussianMean(sum: number, squares: number, n: number): { mean: number; half: number } {
  const mean = n > 0 ? sum / n : 0;
  const variance = n > 1 ? Math.max(0, (squares - n * mean * mean) / (n - 1)) : 0;
  return { mean, half: n > 0 ? Z95 * Math.sqrt(variance / n) : 0 };
}

function summarise(
  replay: Replay,
  from: number,
  to: number,
  timeStamp: string,
  window: string,
): PolicyResultSummary {
  let numerator = 0;
  let weightSum = 0;
  let squares = 0;
  let nonZero = 0;
  for (let i = from; i < to; i++) {
    const term = replay.weights[i] * replay.rewards[i];
    numerator += term;
    weightSum += replay.weights[i];
    squares += term * term;
    if (replay.weights[i] > 0) nonZero++;
  }
  const count = to - from;
  const { mean, half } = gaussianMean(numerator, squares, count);
  return {
    timeStamp,
    ipsEstimatorNumerator: numerator,
    ipsEstimatorDenominator: count,
    snipsEstimatorDenominator: weightSum,
    aggregateTimeWindow: window,
    nonZeroProbability: count > 0 ? nonZero / count : 0,
    sumOfSquares: squares,
    confidenceInterval: half,
    averageReward: mean,
  };
}

/** The window of the per-period summaries: about 20 windows over the range, in round sizes. */
function windowFor(spanMs: number): { ms: number; iso: string } {
  const minutes = [5, 15, 60, 360, 1440, 10080];
  const wanted = spanMs / 20 / 60_000;
  const m = minutes.find((x) => x >= wanted) ?? 10080;
  const iso = m >= 1440 ? `P${m / 1440}D` : m >= 60 ? `PT${m / 60}H` : `PT${m}M`;
  return { ms: m * 60_000, iso };
}

function policyResult(
  replay: Replay,
  decisions: JoinedDecision[],
  range: { start: Date; end: Date },
  policy: { name: string; arguments: string; policySource: PolicySource },
): PolicyResult {
  const window = windowFor(range.end.getTime() - range.start.getTime());
  const summary: PolicyResultSummary[] = [];
  let from = 0;
  while (from < decisions.length) {
    const bucket = Math.floor((decisions[from].createdAt.getTime() - range.start.getTime()) / window.ms);
    const bucketEnd = range.start.getTime() + (bucket + 1) * window.ms;
    let to = from;
    while (to < decisions.length && decisions[to].createdAt.getTime() < bucketEnd) to++;
    summary.push(summarise(replay, from, to, new Date(bucketEnd - window.ms).toISOString(), window.iso));
    from = to;
  }
  return {
    ...policy,
    summary,
    totalSummary: summarise(replay, 0, decisions.length, range.start.toISOString(), window.iso),
  };
}

/** Paired 95% interval of (a − b)'s mean reward per event. */
function pairedGain(a: Replay, b: Replay): { gain: number; lower: number; upper: number } {
  const n = a.rewards.length;
  let sum = 0;
  let squares = 0;
  for (let i = 0; i < n; i++) {
    const d = (a.weights[i] - b.weights[i]) * a.rewards[i];
    sum += d;
    squares += d * d;
  }
  const { mean, half } = gaussianMean(sum, squares, n);
  return { gain: mean, lower: mean - half, upper: mean + half };
}

/**
 * An offline evaluation of the logged events in a time range, as Personalizer defines it: the online
 * learning settings, the application's default (the first eligible action), uniformly random choice,
 * any custom settings, and, when asked, a seeded random search over learning settings (the tuning
 * space machinery of `nextbest tune`). Each setting is replayed by progressive validation and estimated
 * by IPS with Gaussian 95% intervals. The best searched or custom setting by lower bound is the
 * suggestion; it is recommended only when its paired gain over the online settings has a positive
 * lower bound. Nothing is applied here: a person applies a suggestion (POST /v1/evaluations/{id}/apply).
 * Session decisions are judged by their own joined reward, one step at a time, as Personalizer events are.
 */
export async function evaluateOffline(options: {
  decisions: JoinedDecision[];
  request: EvaluationRequest;
  service: ServiceConfig;
  online: { name: string; arguments: string };
  /** The live model, for feature importance. */
  live: HashedLinearModel;
  seed: number;
  /** Learning settings the search draws (default 12). */
  trials?: number;
}): Promise<EvaluationOutcome> {
  const { decisions, request, service } = options;
  const epsilon = servedEpsilon(service);
  const rewards = Float64Array.from(decisions, (d) =>
    aggregateReward(d.joinedRewards, service.rewardAggregation, service.defaultReward),
  );
  const prepared = decisions.map((d) => prepareDecision(d.context, d.actions, d.excluded));
  const logged = Int32Array.from(decisions, (d, i) =>
    prepared[i].eligible.indexOf(d.actions.findIndex((a) => a.id === d.rewardActionId)),
  );
  const input: ReplayInput = { decisions, rewards, logged, prepared };
  const range = { start: new Date(request.startTime), end: new Date(request.endTime) };
  const onlineArgs = parseLearningArguments(options.online.arguments);
  const online = await replaySettings(input, onlineArgs, epsilon);
  const results: PolicyResult[] = [
    policyResult(online, decisions, range, { ...options.online, policySource: 'Online' }),
    policyResult(
      fixedPolicy(input, (_n, k) => (k === 0 ? 1 : 0)),
      decisions,
      range,
      { name: 'Baseline', arguments: '', policySource: 'Baseline' },
    ),
    policyResult(
      fixedPolicy(input, (n) => 1 / n),
      decisions,
      range,
      { name: 'Random', arguments: '', policySource: 'Random' },
    ),
  ];
  const contenders: Array<{ name: string; arguments: string; replay: Replay; source: PolicySource }> = [];
  for (const policy of request.policies) {
    const replay = await replaySettings(input, parseLearningArguments(policy.arguments), epsilon);
    contenders.push({ ...policy, replay, source: 'Custom' });
    results.push(policyResult(replay, decisions, range, { ...policy, policySource: 'Custom' }));
  }
  const search: EvaluationOutcome['search'] = [];
  if (request.enableOfflineExperimentation) {
    const space = checkSearchSpace(LEARNING_SPACE, { ...onlineArgs });
    let best: (typeof contenders)[number] | null = null;
    let bestLower = Number.NEGATIVE_INFINITY;
    for (let t = 0; t < (options.trials ?? 12); t++) {
      const values = sampleTrial(space, { ...onlineArgs }, options.seed, t);
      const args = applyParameters({ ...onlineArgs }, values) as unknown as LearningArguments;
      const replay = await replaySettings(input, args, epsilon);
      const total = summarise(replay, 0, decisions.length, '', '');
      const text = formatLearningArguments(args, epsilon);
      const lower = total.averageReward - total.confidenceInterval;
      search.push({
        arguments: text,
        averageReward: total.averageReward,
        lower,
        upper: total.averageReward + total.confidenceInterval,
      });
      if (lower > bestLower) {
        bestLower = lower;
        best = { name: 'Optimized', arguments: text, replay, source: 'OfflineExperimentation' };
      }
    }
    search.sort((a, b) => b.lower - a.lower);
    if (best) {
      contenders.push(best);
      results.push(
        policyResult(best.replay, decisions, range, {
          name: best.name,
          arguments: best.arguments,
          policySource: best.source,
        }),
      );
    }
  }
  // The suggestion: the contender whose paired gain over the online settings has the best lower bound.
  let suggestion: Suggestion | null = null;
  for (const c of contenders) {
    const gain = pairedGain(c.replay, online);
    if (suggestion && gain.lower <= suggestion.gainInterval[0]) continue;
    suggestion = {
      name: c.name,
      arguments: c.arguments,
      estimatedGain: gain.gain,
      gainInterval: [gain.lower, gain.upper],
      recommended: gain.lower > 0,
    };
  }
  const importance = featureImportance(options.live, decisions.slice(-2000));
  return {
    events: decisions.length,
    policyResults: results,
    featureImportance: tiers(importance.map((f) => f.feature)),
    optimalPolicy: suggestion?.recommended ? suggestion.arguments : options.online.arguments,
    suggestion,
    search,
  };
}

/** Names in three tiers of importance (Personalizer groups features by how much they matter). */
function tiers(names: string[]): string[][] {
  if (names.length === 0) return [];
  const size = Math.ceil(names.length / 3);
  const out: string[][] = [];
  for (let i = 0; i < names.length; i += size) out.push(names.slice(i, i + size));
  return out;
}

/** A seed for an evaluation's search from its id, so the same request on the same log searches alike. */
export function seedOf(id: string): number {
  return deriveSeed(fnv1a(id), 0);
}
