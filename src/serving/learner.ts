import { setImmediate as yieldToRequests } from 'node:timers/promises';
import {
  type EstimateWithInterval,
  effectiveEpisodes,
  type LoggedEpisodes,
  type SequentialEstimatorName,
  sequentialOffPolicyEvaluate,
} from '../evaluation/ope/index.ts';
import { aggregateReward, type DecisionStore, type JoinedDecision } from '../store/decision-store.ts';
import type { ModelStore, ModelVersion } from '../store/model-store.ts';
import type { Sql } from '../store/sql.ts';
import type { Compute } from './compute.ts';
import {
  epsilonGreedyProbabilities,
  flattenFeatures,
  HashedLinearModel,
  type PreparedDecision,
  prepareDecision,
  scorePrepared,
} from './hashed-linear-model.ts';
import type { LearnerConfig, LearningArguments } from './learning-settings.ts';
import { parseDuration, type ServiceConfig, servedEpsilon } from './service-config.ts';

/** The advisory-lock key only one learner (across replicas) holds at a time. */
export const LEARNER_LOCK = 727_276;
/** Largest importance weight used in training (mtr). */
const MAX_TRAINING_WEIGHT = 10;

export type Estimate = EstimateWithInterval;

/** An example's weight in training: mtr weighs by the inverse propensity (clipped), dm does not. */
export function trainingWeight(learning: Pick<LearningArguments, 'cbType'>, propensity: number): number {
  return learning.cbType === 'mtr' ? Math.min(1 / propensity, MAX_TRAINING_WEIGHT) : 1;
}

export interface RoundEvaluation {
  estimator: string;
  discount: number;
  holdout: { decisions: number; episodes: number; fromSeq: number; toSeq: number };
  trainedEvents: number;
  candidate: Estimate;
  live: Estimate & { version: number };
  /** The logging policy's own value (on-policy average of the held-out episodes). */
  logged: Estimate;
  /** Kish's effective sample size of the candidate's episode weights. */
  effectiveEpisodes: number;
  rule: LearnerConfig['promotion'];
  promoted: boolean;
  reason: string;
}

export type RoundResult =
  | { status: 'busy'; reason: string }
  | { status: 'idle'; reason: string; ready: number }
  | { status: 'trained'; model: ModelVersion; evaluation: RoundEvaluation; switchedToOnline: boolean };

export interface LearnerOptions {
  sql: Sql;
  store: DecisionStore;
  models: ModelStore;
  service: () => ServiceConfig;
  learner: () => LearnerConfig;
  learning: () => LearningArguments;
  /** Called after this learner promoted a model (the server loads it at once). */
  onPromoted: (version: number) => Promise<void>;
  /** Called when Apprentice mode hands over to Online. */
  switchToOnline: () => Promise<void>;
  /** Where training and judging run (a worker thread in the server, so serving never waits for them). */
  compute: Pick<Compute, 'learn'>;
}

/** One round's training and judging: everything after the reads, before the writes. */
export interface LearnJob {
  /** The model the candidate starts from (kept if the learning settings still match it). */
  base: Uint8Array;
  /** The live model, when it is not the base. */
  live: Uint8Array | null;
  liveVersion: number;
  training: JoinedDecision[];
  holdout: JoinedDecision[];
  service: ServiceConfig;
  config: LearnerConfig;
  learning: LearningArguments;
}

export interface LearnOutcome {
  candidate: Uint8Array;
  evaluation: RoundEvaluation;
}

/** Train a candidate from the base on the training part, judge it and the live model on the held-out part. */
export async function learnRound(job: LearnJob): Promise<LearnOutcome> {
  const { learning } = job;
  const baseModel = HashedLinearModel.fromBytes(job.base);
  const sameSettings = baseModel.bits === learning.bits && baseModel.learningRate === learning.learningRate;
  const candidate = sameSettings
    ? baseModel.clone()
    : new HashedLinearModel(learning.bits, learning.learningRate);
  await trainCandidate(candidate, job.training, job.service, job.config, learning);
  const liveModel = job.live ? HashedLinearModel.fromBytes(job.live) : baseModel;
  const evaluation = judgeCandidate(
    candidate,
    liveModel,
    job.liveVersion,
    job.holdout,
    job.training.length,
    job.service,
    job.config,
  );
  return { candidate: candidate.toBytes(), evaluation };
}

/** Value of the best eligible action under `model`: max_a Q(s, a). */
function maxValue(model: HashedLinearModel, d: PreparedDecision) {
  const scores = scorePrepared(model, d);
  return scores.length === 0 ? 0 : Math.max(...scores);
}

/**
 * The background learner: one round joins the decisions whose reward window closed, trains a candidate
 * from the current base model on all but the newest `holdoutFraction` of them, judges candidate and live
 * model by off-policy evaluation on that unseen newest part, and promotes by the configured rule. Only one
 * learner runs at a time across replicas (advisory lock).
 */
export class Learner {
  constructor(private readonly o: LearnerOptions) {}

  runOnce(): Promise<RoundResult> {
    return this.o.sql
      .exclusive(LEARNER_LOCK, () => this.round())
      .then((r) => r ?? { status: 'busy', reason: 'another learner round is running' });
  }

  private async round(): Promise<RoundResult> {
    const { store, models } = this.o;
    const service = this.o.service();
    const config = this.o.learner();
    const learning = this.o.learning();
    // Retention holds in every mode, LoggingOnly included.
    await store.enforceRetention(service.logRetentionDays);
    if (service.learningMode === 'LoggingOnly') {
      return {
        status: 'idle',
        reason: 'learningMode is LoggingOnly: decisions are logged, nothing is learned',
        ready: 0,
      };
    }
    const [base, live] = await Promise.all([models.base(), models.live()]);
    if (!base || !live) throw new Error('no model: the server creates version 1 at start');
    const batch = await store.ready({
      after: base.trainedThrough,
      rewardWaitMs: parseDuration(service.rewardWaitTime) ?? 0,
      sessionTimeoutMs: parseDuration(config.sessionTimeout) ?? 1_800_000,
      limit: config.maxEventsPerRound,
    });
    const ready = batch.decisions;
    if (ready.length < config.minEvents) {
      return {
        status: 'idle',
        reason: `${ready.length} decisions ready to learn from; a round needs ${config.minEvents} (minEvents)`,
        ready: ready.length,
      };
    }
    const cut = Math.floor(ready.length * (1 - config.holdoutFraction));
    const training = ready.slice(0, cut);
    const holdout = ready.slice(cut);

    const { candidate, evaluation } = await this.o.compute.learn({
      base: base.payload,
      live: live.version === base.version ? null : live.payload,
      liveVersion: live.version,
      training,
      holdout,
      service,
      config,
      learning,
    });
    let switchedToOnline = false;
    if (service.learningMode === 'Apprentice' && config.autoSwitchFromApprentice) {
      if (evaluation.candidate.lower >= evaluation.logged.value) {
        await this.o.switchToOnline();
        switchedToOnline = true;
      }
    }
    const model = await models.add({
      parent: base.version,
      state: evaluation.promoted ? 'live' : 'candidate',
      source: 'learner',
      trainedThrough: holdout[0].seq - 1,
      trainedEvents: base.trainedEvents + training.length,
      payload: candidate,
      evaluation,
    });
    await models.prune();
    if (evaluation.promoted) await this.o.onPromoted(model.version);
    return { status: 'trained', model, evaluation, switchedToOnline };
  }
}

/** Train `model` on the decisions, `config.epochs` passes, bootstrapping session steps from a target copy. */
export async function trainCandidate(
  model: HashedLinearModel,
  decisions: JoinedDecision[],
  service: ServiceConfig,
  config: LearnerConfig,
  learning: LearningArguments,
): Promise<void> {
  // Features, targets' next states and weights do not change between epochs: prepare them once.
  const examples = [];
  for (const d of decisions) {
    const action = d.actions.find((a) => a.id === d.rewardActionId);
    if (!action) continue;
    const bootstraps = d.sessionId !== undefined && !d.terminal && d.next !== null && config.discount > 0;
    examples.push({
      x: model.featurize(flattenFeatures(d.context), flattenFeatures(action.features)),
      reward: aggregateReward(d.joinedRewards, service.rewardAggregation, service.defaultReward),
      next: bootstraps && d.next ? prepareDecision(d.next.context, d.next.actions, d.next.excluded) : null,
      weight: trainingWeight(learning, d.propensity),
    });
  }
  for (let epoch = 0; epoch < config.epochs; epoch++) {
    // Bootstrapped targets come from the model as it was at the start of the epoch (a target network).
    const target = config.discount > 0 ? model.clone() : model;
    for (let i = 0; i < examples.length; i++) {
      const { x, reward, next, weight } = examples[i];
      model.update(x, next ? reward + config.discount * maxValue(target, next) : reward, weight);
      // Training shares the event loop with serving: let requests through now and then.
      if (i % 256 === 255) await yieldToRequests();
    }
  }
}

/** Judge candidate and live model by off-policy evaluation on the held-out decisions; decide promotion. */
export function judgeCandidate(
  candidate: HashedLinearModel,
  live: HashedLinearModel,
  liveVersion: number,
  holdout: JoinedDecision[],
  trainedEvents: number,
  service: ServiceConfig,
  config: LearnerConfig,
): RoundEvaluation {
  // Episodes: a session's held-out decisions in step order; a Personalizer event is an episode of one.
  const groups = new Map<string, JoinedDecision[]>();
  for (const d of holdout) {
    const key = d.sessionId !== undefined ? `s:${d.sessionId}` : `e:${d.eventId}`;
    const group = groups.get(key);
    if (group) group.push(d);
    else groups.set(key, [d]);
  }
  const episodes = [...groups.values()].map((g) => g.sort((a, b) => (a.step ?? 0) - (b.step ?? 0)));
  const steps = holdout.length;
  const starts = new Int32Array(episodes.length + 1);
  const rewards = new Float64Array(steps);
  const logging = new Float64Array(steps);
  const pCandidate = new Float64Array(steps);
  const pLive = new Float64Array(steps);
  const q = new Float64Array(steps);
  const vCandidate = new Float64Array(steps);
  const vLive = new Float64Array(steps);
  const epsilon = servedEpsilon(service);
  let t = 0;
  episodes.forEach((episode, e) => {
    starts[e] = t;
    for (const d of episode) {
      rewards[t] = aggregateReward(d.joinedRewards, service.rewardAggregation, service.defaultReward);
      logging[t] = d.propensity;
      const prepared = prepareDecision(d.context, d.actions, d.excluded);
      const scoresC = scorePrepared(candidate, prepared);
      const scoresL = scorePrepared(live, prepared);
      const k = prepared.eligible.indexOf(d.actions.findIndex((a) => a.id === d.rewardActionId));
      const probC = epsilonGreedyProbabilities(scoresC, epsilon);
      const probL = epsilonGreedyProbabilities(scoresL, epsilon);
      pCandidate[t] = k < 0 ? 0 : probC[k];
      pLive[t] = k < 0 ? 0 : probL[k];
      // The candidate (trained on older data only) is the reward model of the doubly robust estimators.
      q[t] = k < 0 ? 0 : scoresC[k];
      vCandidate[t] = probC.reduce((s, p, j) => s + p * scoresC[j], 0);
      vLive[t] = probL.reduce((s, p, j) => s + p * scoresC[j], 0);
      t++;
    }
  });
  starts[episodes.length] = steps;
  const common = {
    episodeStarts: starts,
    rewards,
    loggingPropensities: logging,
    gamma: holdout.some((d) => d.sessionId !== undefined) ? config.discount : 0,
    resamples: config.resamples,
    seed: holdout[0].seq,
  };
  const one = (data: LoggedEpisodes, name: SequentialEstimatorName): Estimate =>
    sequentialOffPolicyEvaluate({ ...data, estimators: [name] })[name];
  const candidateEstimate = one(
    { ...common, targetPropensities: pCandidate, qEstimates: q, vEstimates: vCandidate },
    config.estimator,
  );
  const liveEstimate = one(
    { ...common, targetPropensities: pLive, qEstimates: q, vEstimates: vLive },
    config.estimator,
  );
  const logged = one({ ...common, targetPropensities: logging }, 'pdis');
  const effective = effectiveEpisodes({
    episodeStarts: starts,
    loggingPropensities: logging,
    targetPropensities: pCandidate,
  });
  const rule = config.promotion;
  let promoted: boolean;
  let reason: string;
  const fmt = (x: number) => x.toFixed(4);
  if (rule === 'always') {
    promoted = true;
    reason = 'promotion rule is always';
  } else if (rule === 'manual') {
    promoted = false;
    reason = 'promotion rule is manual: promote through POST /v1/models/{version}/promote';
  } else {
    const score = rule === 'lower-bound' ? candidateEstimate.lower : candidateEstimate.value;
    promoted = score > liveEstimate.value;
    reason = `candidate ${rule === 'lower-bound' ? 'lower bound' : 'estimate'} ${fmt(score)} ${
      promoted ? '>' : '≤'
    } live estimate ${fmt(liveEstimate.value)}`;
  }
  return {
    estimator: config.estimator,
    discount: common.gamma,
    holdout: {
      decisions: steps,
      episodes: episodes.length,
      fromSeq: holdout[0].seq,
      toSeq: holdout[holdout.length - 1].seq,
    },
    trainedEvents,
    candidate: candidateEstimate,
    live: { version: liveVersion, ...liveEstimate },
    logged,
    effectiveEpisodes: effective,
    rule,
    promoted,
    reason,
  };
}
