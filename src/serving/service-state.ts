import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { DecisionStore, SETTINGS_CHANNEL } from '../store/decision-store.ts';
import { EvaluationStore, type StoredEvaluation } from '../store/evaluation-store.ts';
import { MODEL_CHANNEL, ModelStore } from '../store/model-store.ts';
import type { Sql } from '../store/sql.ts';
import { type Compute, inThreadCompute, WorkerCompute } from './compute.ts';
import { badRequest } from './errors.ts';
import { type EvaluationRequest, seedOf } from './evaluations.ts';
import { epsilonGreedyRanking, HashedLinearModel, scoreActions } from './hashed-linear-model.ts';
import { Learner } from './learner.ts';
import {
  DEFAULT_LEARNER_CONFIG,
  DEFAULT_POLICY,
  type LearnerConfig,
  type LearningArguments,
  type PolicyConfig,
  parseLearningArguments,
} from './learning-settings.ts';
import type { SequenceService } from './sequence-service.ts';
import { DEFAULT_SERVICE_CONFIG, parseDuration, type ServiceConfig } from './service-config.ts';

export interface DecisionInput {
  context: unknown[];
  actions: Array<{ id: string; features: unknown[] }>;
  excluded: string[];
  eventId?: string | null;
}

export interface SlotInput {
  id: string;
  features: unknown[];
  excluded: string[];
  /** The action the application would show in this slot without NextBest (Apprentice serves it). */
  baselineAction: string;
}

export interface Decision {
  eventId: string;
  ranking: Array<{ id: string; probability: number }>;
  chosenId: string;
  propensity: number;
  modelVersion: number;
  /** Model scores of the eligible actions, by id. */
  scores: Record<string, number>;
}

/** Events one offline evaluation replays at most (the newest are dropped beyond it). */
const MAX_EVALUATION_EVENTS = 500_000;
/** Advisory-lock key of a running evaluation (learner and migrations use keys near 727_27x). */
const evaluationLock = (id: string) => 800_000_000 + (seedOf(id) % 100_000_000);

/**
 * Everything one server process holds: the settings (persisted in the store), the live model it serves,
 * the learner, and the keyed hash for user identifiers.
 */
export class ServiceState {
  readonly store: DecisionStore;
  readonly models: ModelStore;
  readonly learner: Learner;
  readonly evaluations: EvaluationStore;
  /** Offline evaluations running in this process (awaited by stop()). */
  private readonly running = new Set<Promise<void>>();
  service: ServiceConfig = DEFAULT_SERVICE_CONFIG;
  learnerConfig: LearnerConfig = DEFAULT_LEARNER_CONFIG;
  policy: PolicyConfig = DEFAULT_POLICY;
  learning: LearningArguments = parseLearningArguments(DEFAULT_POLICY.arguments);
  live: { version: number; model: HashedLinearModel; modifiedAt: Date; createdAt: Date } = {
    version: 0,
    model: new HashedLinearModel(),
    modifiedAt: new Date(),
    createdAt: new Date(),
  };
  /** The sequence model /v1/recommendations serves (from `serve --sequence-model`), if any. */
  sequence: SequenceService | null = null;
  private pseudonymKey: Buffer = Buffer.alloc(0);
  private readonly listeners: Array<() => Promise<void>> = [];

  /** Where learner rounds and offline evaluations run. */
  readonly compute: Compute;

  constructor(
    readonly sql: Sql,
    options: {
      maxBatch?: number;
      /** 'worker' (default): a worker thread; 'main': the serving thread (yields now and then). */
      compute?: 'worker' | 'main';
    } = {},
  ) {
    this.store = new DecisionStore(sql, options);
    this.compute = options.compute === 'main' ? inThreadCompute() : new WorkerCompute();
    this.models = new ModelStore(sql);
    this.evaluations = new EvaluationStore(sql);
    this.learner = new Learner({
      sql,
      store: this.store,
      models: this.models,
      service: () => this.service,
      learner: () => this.learnerConfig,
      learning: () => this.learning,
      onPromoted: () => this.loadLive(),
      switchToOnline: async () => {
        await this.setService({ ...this.service, learningMode: 'Online' });
      },
      compute: this.compute,
    });
  }

  /** Load settings and the live model (creating version 1 on a new store); follow promotions by others. */
  async start(options: { pseudonymKey?: string }): Promise<void> {
    await this.loadSettings();
    if (options.pseudonymKey) {
      this.pseudonymKey = Buffer.from(options.pseudonymKey);
    } else {
      // No key given: one is made once and kept in the store, so the same user maps to the same key.
      let stored = await this.store.getSetting<string>('pseudonym-key');
      if (!stored) {
        await this.sql.query(
          `insert into settings (key, value) values ('pseudonym-key', $1) on conflict (key) do nothing`,
          [JSON.stringify(randomBytes(32).toString('hex'))],
        );
        stored = await this.store.getSetting<string>('pseudonym-key');
      }
      this.pseudonymKey = Buffer.from(stored as string);
    }
    await this.models.ensureLive(() =>
      new HashedLinearModel(this.learning.bits, this.learning.learningRate).toBytes(),
    );
    await this.loadLive();
    await this.failInterruptedEvaluations();
    this.listeners.push(
      await this.sql.listen(MODEL_CHANNEL, () => {
        this.loadLive().catch(() => {});
      }),
      await this.sql.listen(SETTINGS_CHANNEL, () => {
        this.loadSettings().catch(() => {});
      }),
    );
  }

  async stop(): Promise<void> {
    for (const stop of this.listeners) await stop();
    await Promise.allSettled([...this.running]);
    await this.compute.close();
    this.sequence?.dispose();
    this.sequence = null;
  }

  /**
   * Accept an offline evaluation and run it in the background (Personalizer's evaluations are jobs: the
   * caller polls GET /evaluations/{id}). Returns the pending record.
   */
  async createEvaluation(request: EvaluationRequest): Promise<StoredEvaluation> {
    const id = randomUUID();
    const record = {
      id,
      name: request.name,
      startTime: new Date(request.startTime),
      endTime: new Date(request.endTime),
      evaluationType: request.enableOfflineExperimentation ? ('Auto' as const) : ('Manual' as const),
      request,
    };
    await this.evaluations.create(record);
    const job = this.runEvaluation(id, request).finally(() => this.running.delete(job));
    this.running.add(job);
    return (await this.evaluations.get(id)) as StoredEvaluation;
  }

  /** Run one evaluation under its lock (so a restarted replica can tell a running one from a dead one). */
  private async runEvaluation(id: string, request: EvaluationRequest): Promise<void> {
    await this.sql.exclusive(evaluationLock(id), async () => {
      try {
        const decisions = await this.store.inRange({
          from: new Date(request.startTime),
          to: new Date(request.endTime),
          rewardWaitMs: parseDuration(this.service.rewardWaitTime) ?? 0,
          limit: MAX_EVALUATION_EVENTS,
        });
        if (decisions.length === 0) {
          await this.evaluations.finish(id, 'failed', {
            error: {
              code: 'E_NO_EVENTS',
              message: 'no activated decisions with a closed reward window in this time range',
            },
          });
          return;
        }
        const outcome = await this.compute.evaluate({
          decisions,
          request,
          service: this.service,
          online: this.policy,
          live: this.live.model.toBytes(),
          seed: seedOf(id),
        });
        await this.evaluations.finish(id, 'completed', outcome);
      } catch (error) {
        const e = error as Error & { code?: string };
        await this.evaluations.finish(id, 'failed', {
          error: { code: e.code ?? 'E_EVALUATION_FAILED', message: e.message },
        });
      }
    });
  }

  /** Evaluations a stopped process left pending (nobody holds their lock): mark them failed. */
  async failInterruptedEvaluations(): Promise<void> {
    for (const e of await this.evaluations.list()) {
      if (e.status !== 'pending') continue;
      await this.sql.exclusive(evaluationLock(e.id), async () => {
        await this.evaluations.finish(e.id, 'failed', {
          error: {
            code: 'E_EVALUATION_INTERRUPTED',
            message: 'the server stopped before this evaluation finished; create it again',
          },
        });
      });
    }
  }

  /** Read the settings from the store (at start, and when a replica announces a change). */
  async loadSettings(): Promise<void> {
    this.service = {
      ...DEFAULT_SERVICE_CONFIG,
      ...((await this.store.getSetting<ServiceConfig>('service')) ?? {}),
    };
    this.learnerConfig = {
      ...DEFAULT_LEARNER_CONFIG,
      ...((await this.store.getSetting<LearnerConfig>('learner')) ?? {}),
    };
    this.policy = (await this.store.getSetting<PolicyConfig>('policy')) ?? DEFAULT_POLICY;
    this.learning = parseLearningArguments(this.policy.arguments);
  }

  /** Load the live model from the store (after a promotion here or in another replica). */
  async loadLive(): Promise<void> {
    const live = await this.models.live();
    if (!live || live.version === this.live.version) return;
    this.live = {
      version: live.version,
      model: HashedLinearModel.fromBytes(live.payload),
      createdAt: live.createdAt,
      modifiedAt: live.promotedAt ?? live.createdAt,
    };
  }

  async setService(config: ServiceConfig): Promise<ServiceConfig> {
    this.service = { ...config, lastConfigurationEditDate: new Date().toISOString() };
    await this.store.putSetting('service', this.service);
    return this.service;
  }

  async setLearner(config: LearnerConfig): Promise<void> {
    this.learnerConfig = config;
    await this.store.putSetting('learner', config);
  }

  async setPolicy(policy: PolicyConfig): Promise<void> {
    const learning = parseLearningArguments(policy.arguments);
    this.policy = policy;
    this.learning = learning;
    await this.store.putSetting('policy', policy);
  }

  /** A user identifier as stored: HMAC-SHA256 under the service's pseudonym key. */
  pseudonym(userId: string): string {
    return createHmac('sha256', this.pseudonymKey).update(userId).digest('hex').slice(0, 40);
  }

  /**
   * Fill slots in order, each from the actions the slots before it did not take (conditional contextual
   * bandits, as Personalizer's multi-slot API): slot i is a decision of its own, in the context plus the
   * slot's id and features, over the actions not excluded for it and not yet taken, its baseline action
   * first (so Apprentice and LoggingOnly serve the baselines). Each slot's propensity is its own choice's.
   */
  decideSlots(input: {
    context: unknown[];
    actions: Array<{ id: string; features: unknown[] }>;
    slots: SlotInput[];
    eventId?: string | null;
  }): {
    eventId: string;
    slots: Array<
      Decision & { slotId: string; context: unknown[]; excluded: string[]; actions: DecisionInput['actions'] }
    >;
  } {
    const ids = new Set(input.actions.map((a) => a.id));
    const slotIds = new Set<string>();
    const baselines = new Set<string>();
    for (const [i, slot] of input.slots.entries()) {
      if (slotIds.has(slot.id)) {
        throw badRequest(`slots.${i}.id: slot '${slot.id}' appears twice`, 'E_DUPLICATE_SLOT');
      }
      slotIds.add(slot.id);
      if (!ids.has(slot.baselineAction)) {
        throw badRequest(
          `slots.${i}.baselineAction: '${slot.baselineAction}' is not among the actions`,
          'E_UNKNOWN_ACTION',
        );
      }
      if (slot.excluded.includes(slot.baselineAction)) {
        throw badRequest(
          `slots.${i}.baselineAction: '${slot.baselineAction}' is excluded from its own slot`,
          'E_BASELINE_EXCLUDED',
        );
      }
      if (baselines.has(slot.baselineAction)) {
        throw badRequest(
          `slots.${i}.baselineAction: '${slot.baselineAction}' is another slot's baseline; each slot needs its own`,
          'E_DUPLICATE_BASELINE',
        );
      }
      baselines.add(slot.baselineAction);
      const unknown = slot.excluded.find((id) => !ids.has(id));
      if (unknown !== undefined) {
        throw badRequest(
          `slots.${i}.excludedActions: '${unknown}' is not among the actions`,
          'E_UNKNOWN_ACTION',
        );
      }
      // The slots before this one may take any i actions (exploration included), so it needs i + 1 of its
      // own: then no slot ever runs out, whatever was chosen before it.
      const open = input.actions.filter((a) => !slot.excluded.includes(a.id)).length;
      if (open < i + 1) {
        throw badRequest(
          `slots.${i}: slot '${slot.id}' leaves ${open} action(s) open, but the ${i} slot(s) before it may take up to ${i} of them: it needs at least ${i + 1}. Exclude fewer actions, send more, or move the slot up`,
          'E_SLOT_NO_ACTIONS',
        );
      }
    }
    const eventId = input.eventId ?? randomUUID().replaceAll('-', '');
    const taken = new Set<string>();
    const slots = input.slots.map((slot, i) => {
      const excluded = [...new Set([...slot.excluded, ...taken])];
      const baseline = input.actions.find((a) => a.id === slot.baselineAction);
      const actions = [
        ...(baseline ? [baseline] : []),
        ...input.actions.filter((a) => a.id !== slot.baselineAction),
      ];
      const context = [...input.context, { _slot: { id: slot.id } }, ...slot.features];
      const decision = this.decide({ context, actions, excluded, eventId: `${eventId}#${i}` });
      taken.add(decision.chosenId);
      return { ...decision, slotId: slot.id, context, excluded, actions };
    });
    return { eventId, slots };
  }

  /**
   * Rank the actions: Online explores ε-greedily over the live model's scores (seeded by the eventId);
   * Apprentice and LoggingOnly serve the application's own choice, its first eligible action.
   */
  decide(input: DecisionInput): Decision {
    const ids = input.actions.map((a) => a.id);
    if (new Set(ids).size !== ids.length) {
      throw badRequest('actions: every action id must be unique', 'E_DUPLICATE_ACTION');
    }
    const excluded = new Set(input.excluded);
    for (const id of excluded) {
      if (!ids.includes(id))
        throw badRequest(`excluded: '${id}' is not among the actions`, 'E_UNKNOWN_ACTION');
    }
    const { model, version } = this.live;
    const { eligible, scores } = scoreActions(model, input.context, input.actions, excluded);
    if (eligible.length === 0)
      throw badRequest('every action is excluded: nothing to rank', 'E_ALL_EXCLUDED');
    const eventId = input.eventId ?? randomUUID().replaceAll('-', '');
    let chosen = 0;
    let probabilities: number[] = eligible.map((_, i) => (i === 0 ? 1 : 0));
    let order = eligible.map((_, i) => i);
    if (this.service.learningMode === 'Online') {
      ({ chosen, probabilities, order } = epsilonGreedyRanking(
        eligible.map((i) => ids[i]),
        scores,
        this.service.explorationPercentage,
        eventId,
      ));
    }
    const ranking = [
      ...order.map((k) => ({ id: ids[eligible[k]], probability: probabilities[k] })),
      ...input.actions.filter((a) => excluded.has(a.id)).map((a) => ({ id: a.id, probability: 0 })),
    ];
    return {
      eventId,
      ranking,
      chosenId: ids[eligible[chosen]],
      propensity: probabilities[chosen],
      modelVersion: version,
      scores: Object.fromEntries(eligible.map((i, k) => [ids[i], scores[k]])),
    };
  }
}
