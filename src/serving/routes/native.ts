import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ApiError, badRequest, conflict, notFound, parseBody } from '../errors.ts';
import { learnerConfigSchema } from '../learning-settings.ts';
import { SequenceService } from '../sequence-service.ts';
import type { ServiceState } from '../service-state.ts';
import {
  actionsSchema,
  evaluationView,
  eventIdSchema,
  eventRoutes,
  featureObjects,
  findEvaluation,
} from './personalizer.ts';

const idSchema = (what: string) =>
  z
    .string()
    .min(1)
    .max(256)
    .regex(/^[\w.:@-]+$/, `${what} may hold letters, digits and . _ : @ - only`);

export const decisionSchema = z
  .object({
    sessionId: idSchema('sessionId'),
    /** Stored only as a keyed hash. */
    userId: z.string().min(1).max(256).optional(),
    context: featureObjects.default([]),
    /** The candidates of this step; they may change from one step to the next. */
    candidates: actionsSchema,
    excluded: z.array(z.string()).max(50).default([]),
    eventId: eventIdSchema.optional(),
    deferActivation: z.boolean().default(false),
    /** Return every candidate's score (the model's estimate of its long-term value). */
    explain: z.boolean().default(false),
  })
  .strict();

const itemId = z.string().min(1).max(256);

/** POST /v1/recommendations: the next items for a session, from a trained sequence model (SQN, GRU4Rec, SASRec). */
export const recommendSchema = z
  .object({
    sessionId: idSchema('sessionId'),
    /** Stored only as a keyed hash. */
    userId: z.string().min(1).max(256).optional(),
    /** The session's interactions so far, oldest first (the model reads its last k). */
    history: z
      .array(z.object({ itemId, type: z.string().min(1).max(64).default('click') }).strict())
      .max(500)
      .default([]),
    /** The user's attributes, for a model trained with --user-features. */
    userAttributes: z.record(z.string(), z.union([z.string().max(256), z.number(), z.null()])).default({}),
    /** How many items to return. */
    count: z.number().int().min(1).max(100).default(10),
    /** Rank only these items (default: the whole catalogue the model knows). */
    candidates: z.array(itemId).min(1).max(10_000).optional(),
    /** Items never to return (bought already, out of stock). */
    excluded: z.array(itemId).max(10_000).default([]),
    /**
     * Draw the first item from the model's softmax instead of taking the best, logging its probability,
     * so that later policies can be evaluated off-policy on these logs (default true).
     */
    explore: z.boolean().default(true),
    /**
     * Softmax temperature of that draw (default: the model's own, 1). Lower keeps the first item
     * closer to the best one; the logged probability is always the one the draw used.
     */
    temperature: z.number().min(0.001).max(100).optional(),
    eventId: eventIdSchema.optional(),
    deferActivation: z.boolean().default(false),
  })
  .strict();
export type RecommendRequest = z.output<typeof recommendSchema>;

/** POST /v1/evaluations/{id}/apply: force applies a suggestion whose gain interval includes 0. */
export const applySchema = z.object({ force: z.boolean().default(false) }).strict();

export const endSchema = z.object({ reward: z.number().finite().min(-1e6).max(1e6).optional() }).strict();

const noSequenceModel = () =>
  new ApiError(
    503,
    'ServiceUnavailable',
    "no sequence model is served: start the server with --sequence-model model.json (from 'nextbest train --data')",
    'E_NO_SEQUENCE_MODEL',
  );

function positiveInt(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw badRequest(`${what} must be a positive integer, got '${text}'`, 'E_PARAM');
  return n;
}

/**
 * NextBest's native surface: sequential decisions in sessions (so the learner can value what a decision
 * leads to, not only its click), erasure, model versions and the learner.
 */
export async function nativeRoutes(api: FastifyInstance, state: ServiceState): Promise<void> {
  const { store, models } = state;

  api.post('/decisions', async (request, reply) => {
    const body = parseBody(decisionSchema, request.body);
    const actions = body.candidates.map((a) => ({ id: a.id, features: a.features ?? [] }));
    const decision = state.decide({
      context: body.context,
      actions,
      excluded: body.excluded,
      eventId: body.eventId,
    });
    const result = await store.insertInSession({
      eventId: decision.eventId,
      context: body.context,
      actions,
      excluded: body.excluded,
      ranking: decision.ranking,
      rewardActionId: decision.chosenId,
      propensity: decision.propensity,
      modelVersion: decision.modelVersion,
      deferred: body.deferActivation,
      sessionId: body.sessionId,
      ...(body.userId !== undefined ? { userKey: state.pseudonym(body.userId) } : {}),
    });
    if (result === 'event-exists')
      throw conflict(`eventId '${decision.eventId}' was already used`, 'E_EVENT_EXISTS');
    if (result === 'session-closed') {
      throw conflict(
        `session '${body.sessionId}' has ended or belongs to another user: start a new sessionId`,
        'E_SESSION_CLOSED',
      );
    }
    return reply.code(201).send({
      eventId: decision.eventId,
      sessionId: body.sessionId,
      step: result,
      actionId: decision.chosenId,
      probability: decision.propensity,
      ranking: decision.ranking,
      modelVersion: decision.modelVersion,
      ...(body.explain ? { values: decision.scores } : {}),
    });
  });

  api.get('/recommender', async () => {
    if (!state.sequence) throw noSequenceModel();
    return state.sequence.describe();
  });

  // Re-reads the served model's file (after 'nextbest train --data ... --out' replaced it) and swaps
  // it in. A file that cannot be served leaves the current model serving. Only the file given at
  // start is read: a path from the request would let a caller read any file on the server.
  api.post('/recommender/reload', async () => {
    const current = state.sequence;
    if (!current) throw noSequenceModel();
    let next: SequenceService;
    try {
      next = SequenceService.fromFile(current.source);
    } catch (error) {
      const e = error as Error & { code?: string };
      throw new ApiError(
        422,
        'UnprocessableEntity',
        `${e.message}; still serving the model loaded at ${current.loadedAt} (write a complete model file, then reload again)`,
        e.code ?? 'E_MODEL_INVALID',
      );
    }
    state.sequence = next;
    // Requests already answered hold no reference past their synchronous scoring.
    current.dispose();
    return { ...next.describe(), previous: { name: current.model.name, loadedAt: current.loadedAt } };
  });

  api.post('/recommendations', async (request, reply) => {
    const body = parseBody(recommendSchema, request.body);
    const sequence = state.sequence;
    if (!sequence) throw noSequenceModel();
    const eventId = body.eventId ?? randomUUID().replaceAll('-', '');
    const result = sequence.recommend(body, eventId, Date.now());
    const actions = result.items.map((item) => ({ id: item.id, features: [] }));
    const ranking = result.items.map((item) => ({
      id: item.id,
      probability: item.id === result.chosenId ? result.propensity : 0,
    }));
    // Logged as a session decision: what was shown, the first item's probability, the history as context.
    const stored = await store.insertInSession({
      eventId,
      context: [
        { history: body.history.slice(-50).map((h) => `${h.type}:${h.itemId}`) },
        ...(Object.keys(body.userAttributes).length > 0 ? [{ user: body.userAttributes }] : []),
      ],
      actions,
      excluded: body.excluded,
      ranking,
      rewardActionId: result.chosenId,
      propensity: result.propensity,
      modelVersion: 0,
      deferred: body.deferActivation,
      sessionId: body.sessionId,
      ...(body.userId !== undefined ? { userKey: state.pseudonym(body.userId) } : {}),
    });
    if (stored === 'event-exists') throw conflict(`eventId '${eventId}' was already used`, 'E_EVENT_EXISTS');
    if (stored === 'session-closed') {
      throw conflict(
        `session '${body.sessionId}' has ended or belongs to another user: start a new sessionId`,
        'E_SESSION_CLOSED',
      );
    }
    return reply.code(201).send({
      eventId,
      sessionId: body.sessionId,
      step: stored,
      model: sequence.model.name,
      items: result.items,
      actionId: result.chosenId,
      probability: result.propensity,
      ...(result.unknownItems.length > 0 ? { unknownItems: result.unknownItems } : {}),
    });
  });

  api.get<{ Params: { eventId: string } }>('/decisions/:eventId', async (request) => {
    const decision = await store.get(request.params.eventId);
    if (!decision) throw notFound(`no decision '${request.params.eventId}'`, 'E_EVENT_NOT_FOUND');
    return decision;
  });

  eventRoutes(api, store, '/decisions', 'decision');

  api.get<{ Params: { sessionId: string } }>('/sessions/:sessionId', async (request) => {
    const decisions = await store.session(request.params.sessionId);
    if (decisions.length === 0)
      throw notFound(`no session '${request.params.sessionId}'`, 'E_SESSION_NOT_FOUND');
    return { sessionId: request.params.sessionId, decisions };
  });

  api.post<{ Params: { sessionId: string } }>('/sessions/:sessionId/end', async (request, reply) => {
    const { reward } = parseBody(endSchema, request.body);
    const steps = await store.endSession(request.params.sessionId, reward);
    if (steps === null) {
      throw notFound(`no open session '${request.params.sessionId}'`, 'E_SESSION_NOT_FOUND');
    }
    return reply.code(200).send({ sessionId: request.params.sessionId, steps });
  });

  api.delete<{ Params: { userId: string } }>('/users/:userId', async (request) => {
    const deleted = await store.eraseUser(state.pseudonym(request.params.userId));
    return { erased: deleted };
  });

  api.get('/models', async () => ({ live: state.live.version, models: await models.list() }));
  api.get<{ Params: { version: string } }>('/models/:version', async (request) => {
    const version = positiveInt(request.params.version, 'version');
    const model = await models.get(version);
    if (!model) throw notFound(`no model version ${version}`, 'E_MODEL_NOT_FOUND');
    const { payload, ...rest } = model;
    return { ...rest, bytes: payload.length };
  });
  api.post<{ Params: { version: string } }>('/models/:version/promote', async (request) => {
    const version = positiveInt(request.params.version, 'version');
    const model = await models.promote(version);
    if (!model) throw notFound(`no model version ${version}`, 'E_MODEL_NOT_FOUND');
    await state.loadLive();
    return model;
  });
  api.post('/models/rollback', async () => {
    const model = await models.rollback();
    if (!model) throw conflict('no earlier live model to roll back to', 'E_NO_PREVIOUS_MODEL');
    await state.loadLive();
    return model;
  });
  /** Run a learner round now (the background learner also runs every modelExportFrequency). */
  api.post('/models/train', async (_request, reply) => {
    const result = await state.learner.runOnce();
    return reply.code(result.status === 'busy' ? 409 : 200).send(result);
  });

  // A person's answer to an offline evaluation's suggestion: apply its learning settings, or keep the online ones.
  api.post<{ Params: { evaluationId: string } }>('/evaluations/:evaluationId/apply', async (request) => {
    const { force } = parseBody(applySchema, request.body);
    const evaluation = await findEvaluation(state, request.params.evaluationId);
    const view = evaluationView(evaluation);
    if (evaluation.status !== 'completed') {
      throw conflict(
        `evaluation '${evaluation.id}' is ${evaluation.status}; only a completed one can be applied`,
        'E_EVALUATION_NOT_READY',
      );
    }
    const suggestion = view.suggestion;
    if (!suggestion) throw conflict('this evaluation compared no alternative settings', 'E_NO_SUGGESTION');
    if (!suggestion.recommended && !force) {
      throw conflict(
        `the suggestion's gain interval [${suggestion.gainInterval.map((x) => x.toFixed(4)).join(', ')}] includes 0; send {"force": true} to apply it anyway`,
        'E_SUGGESTION_NOT_RECOMMENDED',
      );
    }
    if (!(await state.evaluations.transition(evaluation.id, 'completed', 'optimalPolicyApplied'))) {
      throw conflict(`evaluation '${evaluation.id}' was answered meanwhile`, 'E_EVALUATION_NOT_READY');
    }
    await state.setPolicy({
      name: `${suggestion.name} (evaluation ${evaluation.name})`.slice(0, 256),
      arguments: suggestion.arguments,
    });
    return { policy: state.policy, evaluation: evaluationView(await findEvaluation(state, evaluation.id)) };
  });
  api.post<{ Params: { evaluationId: string } }>('/evaluations/:evaluationId/reject', async (request) => {
    const evaluation = await findEvaluation(state, request.params.evaluationId);
    if (!(await state.evaluations.transition(evaluation.id, 'completed', 'onlinePolicyRetained'))) {
      throw conflict(
        `evaluation '${evaluation.id}' is ${evaluation.status}; only a completed one can be answered`,
        'E_EVALUATION_NOT_READY',
      );
    }
    return evaluationView(await findEvaluation(state, evaluation.id));
  });

  api.get('/configurations/learner', async () => state.learnerConfig);
  api.put('/configurations/learner', async (request) => {
    await state.setLearner(parseBody(learnerConfigSchema, request.body));
    return state.learnerConfig;
  });
}
