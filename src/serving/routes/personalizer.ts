import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { DecisionStore } from '../../store/decision-store.ts';
import type { StoredEvaluation } from '../../store/evaluation-store.ts';
import { badRequest, conflict, notFound, parseBody } from '../errors.ts';
import { type EvaluationOutcome, evaluationRequestSchema } from '../evaluations.ts';
import { HashedLinearModel } from '../hashed-linear-model.ts';
import { DEFAULT_POLICY, parseLearningArguments, policySchema } from '../learning-settings.ts';
import { serviceConfigSchema } from '../service-config.ts';
import type { ServiceState } from '../service-state.ts';

export const featureObjects = z.array(z.record(z.string(), z.unknown())).max(1_000);

export const eventIdSchema = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[\w.:-]+$/, 'eventId may hold letters, digits and . _ : - only');

export const actionsSchema = z
  .array(z.object({ id: z.string().min(1).max(256), features: featureObjects.nullish() }))
  .min(1, 'at least one action is needed')
  .max(50, 'at most 50 actions per request');

export const rankSchema = z.object({
  contextFeatures: featureObjects.nullish(),
  actions: actionsSchema,
  excludedActions: z.array(z.string()).max(50).nullish(),
  eventId: eventIdSchema.nullish(),
  deferActivation: z.boolean().nullish(),
});

export const rewardSchema = z.object({ value: z.number().finite().min(-1e6).max(1e6) });

export const multiSlotRankSchema = z.object({
  contextFeatures: featureObjects.nullish(),
  actions: actionsSchema,
  slots: z
    .array(
      z.object({
        id: z.string().min(1).max(256),
        features: featureObjects.nullish(),
        excludedActions: z.array(z.string()).max(50).nullish(),
        baselineAction: z.string().min(1).max(256),
      }),
    )
    .min(1, 'at least one slot is needed')
    .max(50, 'at most 50 slots per request'),
  eventId: eventIdSchema.nullish(),
  deferActivation: z.boolean().nullish(),
});

export const multiSlotRewardSchema = z.object({
  reward: z
    .array(z.object({ slotId: z.string().min(1).max(256), value: rewardSchema.shape.value }))
    .min(1, 'at least one slot reward is needed')
    .max(50),
});

/**
 * POST {prefix}/:eventId/reward and /activate, the same on both surfaces: 204 once committed, a coded 404
 * naming the `noun` for an unknown id.
 */
export function eventRoutes(api: FastifyInstance, store: DecisionStore, prefix: string, noun: string): void {
  api.post<{ Params: { eventId: string } }>(`${prefix}/:eventId/reward`, async (request, reply) => {
    const { value } = parseBody(rewardSchema, request.body);
    if (!(await store.reward(request.params.eventId, value))) {
      throw await unknownEvent(store, request.params.eventId, noun);
    }
    return reply.code(204).send();
  });
  api.post<{ Params: { eventId: string } }>(`${prefix}/:eventId/activate`, async (request, reply) => {
    if (!(await store.activate(request.params.eventId))) {
      throw await unknownEvent(store, request.params.eventId, noun);
    }
    return reply.code(204).send();
  });
}

/** The error for an event id the single-event routes do not know: a coded 404, or a pointer to multi-slot. */
async function unknownEvent(store: DecisionStore, eventId: string, noun: string) {
  if ((await store.slotsOf(eventId)).length > 0) {
    return badRequest(
      `'${eventId}' is a multi-slot event: send its rewards and activation to /multislot/events/${eventId}/...`,
      'E_MULTISLOT_EVENT',
    );
  }
  return notFound(`no ${noun} '${eventId}'`, 'E_EVENT_NOT_FOUND');
}

/**
 * Personalizer's multi-slot API: rank fills every slot (each its own logged decision), reward takes a
 * value per slot (slots without one get the default reward when their window closes), activate shows them.
 */
function multiSlotRoutes(api: FastifyInstance, state: ServiceState): void {
  const { store } = state;
  api.post('/multislot/rank', async (request, reply) => {
    const body = parseBody(multiSlotRankSchema, request.body);
    const decided = state.decideSlots({
      context: body.contextFeatures ?? [],
      actions: body.actions.map((a) => ({ id: a.id, features: a.features ?? [] })),
      slots: body.slots.map((s) => ({
        id: s.id,
        features: s.features ?? [],
        excluded: s.excludedActions ?? [],
        baselineAction: s.baselineAction,
      })),
      eventId: body.eventId,
    });
    const inserted = await store.insertSlots(
      decided.eventId,
      decided.slots.map((d) => ({
        eventId: d.eventId,
        context: d.context,
        actions: d.actions,
        excluded: d.excluded,
        ranking: d.ranking,
        rewardActionId: d.chosenId,
        propensity: d.propensity,
        modelVersion: d.modelVersion,
        deferred: body.deferActivation === true,
        slot: { eventId: decided.eventId, id: d.slotId },
      })),
    );
    if (!inserted) throw conflict(`eventId '${decided.eventId}' was already used`, 'E_EVENT_EXISTS');
    return reply.code(201).send({
      slots: decided.slots.map((d) => ({ id: d.slotId, rewardActionId: d.chosenId })),
      eventId: decided.eventId,
    });
  });
  api.post<{ Params: { eventId: string } }>('/multislot/events/:eventId/reward', async (request, reply) => {
    const { reward } = parseBody(multiSlotRewardSchema, request.body);
    const outcome = await store.rewardSlots(request.params.eventId, reward);
    if (outcome === 'not-found') {
      throw notFound(`no multi-slot event '${request.params.eventId}'`, 'E_EVENT_NOT_FOUND');
    }
    if (outcome !== 'stored') {
      throw badRequest(
        `reward: event '${request.params.eventId}' has no slot '${outcome.unknownSlot}' (nothing was stored)`,
        'E_UNKNOWN_SLOT',
      );
    }
    return reply.code(204).send();
  });
  api.post<{ Params: { eventId: string } }>('/multislot/events/:eventId/activate', async (request, reply) => {
    if (!(await store.activateSlots(request.params.eventId))) {
      throw notFound(`no multi-slot event '${request.params.eventId}'`, 'E_EVENT_NOT_FOUND');
    }
    return reply.code(204).send();
  });
}

/** Azure Personalizer v1.0's surface (rank, events, configurations, model, logs) over the service state. */
export async function personalizerRoutes(api: FastifyInstance, state: ServiceState): Promise<void> {
  const { store, models } = state;

  api.post('/rank', async (request, reply) => {
    const body = parseBody(rankSchema, request.body);
    const context = body.contextFeatures ?? [];
    const actions = body.actions.map((a) => ({ id: a.id, features: a.features ?? [] }));
    const decision = state.decide({
      context,
      actions,
      excluded: body.excludedActions ?? [],
      eventId: body.eventId,
    });
    const inserted = await store.insert({
      eventId: decision.eventId,
      context,
      actions,
      excluded: body.excludedActions ?? [],
      ranking: decision.ranking,
      rewardActionId: decision.chosenId,
      propensity: decision.propensity,
      modelVersion: decision.modelVersion,
      deferred: body.deferActivation === true,
    });
    if (!inserted) throw conflict(`eventId '${decision.eventId}' was already used`, 'E_EVENT_EXISTS');
    return reply
      .code(201)
      .send({ ranking: decision.ranking, eventId: decision.eventId, rewardActionId: decision.chosenId });
  });

  eventRoutes(api, store, '/events', 'event');
  multiSlotRoutes(api, state);

  api.get('/configurations/service', async () => state.service);
  api.put('/configurations/service', async (request) =>
    state.setService(parseBody(serviceConfigSchema, request.body)),
  );

  api.get('/configurations/policy', async () => state.policy);
  api.put('/configurations/policy', async (request) => {
    await state.setPolicy(parseBody(policySchema, request.body));
    return state.policy;
  });
  api.delete('/configurations/policy', async () => {
    await state.setPolicy(DEFAULT_POLICY);
    return state.policy;
  });

  // Offline evaluations: jobs over a time range of the log; poll GET until the status is not pending.
  api.post('/evaluations', async (request, reply) => {
    const body = parseBody(evaluationRequestSchema, request.body);
    // Custom learning settings are checked now, so a bad one is a 400 rather than a failed job.
    for (const [i, p] of body.policies.entries()) {
      try {
        parseLearningArguments(p.arguments);
      } catch (error) {
        throw badRequest(`policies.${i}.${(error as Error).message}`, 'E_POLICY_ARGUMENT');
      }
    }
    const evaluation = await state.createEvaluation(body);
    return reply
      .code(201)
      .header('location', `${request.url.replace(/\/$/, '')}/${evaluation.id}`)
      .send(evaluationView(evaluation));
  });
  api.get('/evaluations', async () => (await state.evaluations.list()).map(evaluationView));
  api.get<{ Params: { evaluationId: string } }>('/evaluations/:evaluationId', async (request) =>
    evaluationView(await findEvaluation(state, request.params.evaluationId)),
  );
  api.delete<{ Params: { evaluationId: string } }>('/evaluations/:evaluationId', async (request, reply) => {
    if (!(await state.evaluations.delete(request.params.evaluationId))) {
      throw notFound(`no evaluation '${request.params.evaluationId}'`, 'E_EVALUATION_NOT_FOUND');
    }
    return reply.code(204).send();
  });

  // The model: export (the live model's bytes), import (becomes live), reset (a blank live model).
  api.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_request, body, done) =>
    done(null, body),
  );
  api.get('/model', async (_request, reply) => {
    const live = await models.live();
    if (!live) throw notFound('no live model', 'E_NO_MODEL');
    return reply
      .header('content-type', 'application/octet-stream')
      .header('content-disposition', `attachment; filename="nextbest-model-v${live.version}.bin"`)
      .send(Buffer.from(live.payload));
  });
  api.put('/model', async (request, reply) => {
    if (!Buffer.isBuffer(request.body)) {
      throw badRequest('send the model file as application/octet-stream', 'E_MODEL_FORMAT');
    }
    const model = HashedLinearModel.fromBytes(request.body);
    await replaceLive(state, model, 'import');
    return reply.code(204).send();
  });
  api.delete('/model', async (_request, reply) => {
    await replaceLive(
      state,
      new HashedLinearModel(state.learning.bits, state.learning.learningRate),
      'reset',
    );
    return reply.code(204).send();
  });
  api.get('/model/properties', async () => ({
    creationTime: state.live.createdAt.toISOString(),
    lastModifiedTime: state.live.modifiedAt.toISOString(),
  }));

  api.get('/logs/properties', async () => {
    const { from, to, ...counts } = await store.count();
    return { dateRange: from && to ? { from: from.toISOString(), to: to.toISOString() } : null, ...counts };
  });
  api.delete('/logs', async (_request, reply) => {
    await store.deleteAll();
    return reply.code(204).send();
  });
}

/**
 * An imported or reset model becomes live at once. It learns only from decisions made from now on: what
 * it learned before is unknown (import) or meant to be forgotten (reset).
 */
async function replaceLive(state: ServiceState, model: HashedLinearModel, source: 'import' | 'reset') {
  const [{ seq }] = await state.sql.query<{ seq: string | null }>('select max(seq) as seq from decisions');
  await state.models.add({
    parent: state.live.version,
    state: 'live',
    source,
    trainedThrough: Number(seq ?? 0),
    trainedEvents: 0,
    payload: model.toBytes(),
  });
  await state.loadLive();
}

export async function findEvaluation(state: ServiceState, id: string): Promise<StoredEvaluation> {
  const evaluation = await state.evaluations.get(id);
  if (!evaluation) throw notFound(`no evaluation '${id}'`, 'E_EVALUATION_NOT_FOUND');
  return evaluation;
}

/**
 * An evaluation as Personalizer returns it (id, name, times, status, policyResults, featureImportance,
 * evaluationType, optimalPolicy, creationTime), plus NextBest's own fields: the number of events, the
 * suggestion with its paired gain and interval, every setting the search tried, and a failure's error.
 */
export function evaluationView(e: StoredEvaluation) {
  const result = (e.result ?? {}) as Partial<EvaluationOutcome> & { error?: unknown };
  return {
    id: e.id,
    name: e.name,
    startTime: e.startTime.toISOString(),
    endTime: e.endTime.toISOString(),
    jobId: e.id,
    status: e.status,
    evaluationType: e.evaluationType,
    creationTime: e.createdAt.toISOString(),
    ...(result.policyResults
      ? {
          policyResults: result.policyResults,
          featureImportance: result.featureImportance,
          optimalPolicy: result.optimalPolicy,
          events: result.events,
          suggestion: result.suggestion,
          search: result.search,
        }
      : {}),
    ...(result.error ? { error: result.error } : {}),
  };
}
