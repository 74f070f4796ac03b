import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { DecisionStore } from '../store/decision-store.ts';
import { migrate } from '../store/migrations.ts';
import type { Sql } from '../store/sql.ts';
import { epsilonGreedyRanking, flattenFeatures, HashedLinearModel } from './hashed-linear-model.ts';
import { DEFAULT_SERVICE_CONFIG, type ServiceConfig, serviceConfigSchema } from './service-config.ts';

export interface ServerOptions {
  sql: Sql;
  /** Required on every route but /health (Ocp-Apim-Subscription-Key or Authorization: Bearer). */
  apiKey: string;
  /** Largest accepted body in bytes (default 1 MiB). */
  bodyLimit?: number;
  logger?: boolean;
}

/** Personalizer's error body: {"error": {"code", "message", "innerError": {"code"}}}. */
class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly detail?: string,
  ) {
    super(message);
  }
}

const featureObjects = z.array(z.record(z.string(), z.unknown())).max(1_000);

const rankSchema = z.object({
  contextFeatures: featureObjects.nullish(),
  actions: z
    .array(
      z.object({
        id: z.string().min(1).max(256),
        features: featureObjects.nullish(),
      }),
    )
    .min(1, 'at least one action is needed')
    .max(50, 'Personalizer ranks at most 50 actions'),
  excludedActions: z.array(z.string()).max(50).nullish(),
  eventId: z
    .string()
    .min(1)
    .max(256)
    .regex(/^[\w.:-]+$/, 'eventId may hold letters, digits and . _ : - only')
    .nullish(),
  deferActivation: z.boolean().nullish(),
});

const rewardSchema = z.object({ value: z.number().finite().min(-1e6).max(1e6) });

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue.path.join('.');
    throw new ApiError(400, 'BadRequest', `${path ? `${path}: ` : ''}${issue.message}`, 'E_BODY_INVALID');
  }
  return result.data;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** The request's key compared in constant time (hashes first, so lengths do not leak either). */
function authorized(request: FastifyRequest, expected: Buffer): boolean {
  const header = request.headers['ocp-apim-subscription-key'];
  const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
  const given = typeof header === 'string' ? header : bearer;
  return given !== undefined && timingSafeEqual(digest(given), expected);
}

/**
 * The decision service: Azure Personalizer v1.0's rank, reward, activate and service configuration,
 * over the decision log. Migrations run at start. Online learning: a hashed linear model with
 * context × action crosses, updated when a reward arrives for an activated event, explored ε-greedily.
 */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  if (options.apiKey.length < 8) {
    throw new ApiError(500, 'InternalServerError', 'the API key must be at least 8 characters', 'E_API_KEY');
  }
  await migrate(options.sql);
  const store = new DecisionStore(options.sql);
  let config: ServiceConfig = {
    ...DEFAULT_SERVICE_CONFIG,
    ...((await store.getSetting<ServiceConfig>('service')) ?? {}),
  };
  const model = new HashedLinearModel();
  const modelVersion = 1;
  const key = digest(options.apiKey);

  const app = Fastify({ logger: options.logger ?? false, bodyLimit: options.bodyLimit ?? 1 << 20 });

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, _request, reply) => {
    if (error instanceof ApiError) {
      return reply.code(error.status).send({
        error: {
          code: error.code,
          message: error.message,
          ...(error.detail ? { innerError: { code: error.detail } } : {}),
        },
      });
    }
    const status = error.statusCode ?? 500;
    if (status >= 500) app.log.error(error);
    const code =
      status === 413
        ? 'PayloadTooLarge'
        : status === 415
          ? 'UnsupportedMediaType'
          : status < 500
            ? 'BadRequest'
            : 'InternalServerError';
    return reply.code(status).send({
      error: {
        code,
        message: status < 500 ? error.message : 'internal error',
        innerError: { code: error.code ?? 'E_INTERNAL' },
      },
    });
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send({ error: { code: 'ResourceNotFound', message: `no route ${request.method} ${request.url}` } }),
  );

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.url === '/health') return;
    if (!authorized(request, key)) {
      return reply.code(401).send({
        error: {
          code: 'PermissionDenied',
          message:
            'Access denied due to a missing or invalid key: send Ocp-Apim-Subscription-Key or Authorization: Bearer',
        },
      });
    }
  });

  app.get('/health', async () => ({ status: 'ok' }));

  await app.register(
    async (api) => {
      api.post('/rank', async (request, reply) => {
        const body = parse(rankSchema, request.body);
        const ids = body.actions.map((a) => a.id);
        if (new Set(ids).size !== ids.length) {
          throw new ApiError(
            400,
            'BadRequest',
            'actions: every action id must be unique',
            'E_DUPLICATE_ACTION',
          );
        }
        const excluded = new Set(body.excludedActions ?? []);
        for (const id of excluded) {
          if (!ids.includes(id)) {
            throw new ApiError(
              400,
              'BadRequest',
              `excludedActions: '${id}' is not among the actions`,
              'E_UNKNOWN_ACTION',
            );
          }
        }
        const eligible = body.actions.filter((a) => !excluded.has(a.id));
        if (eligible.length === 0) {
          throw new ApiError(
            400,
            'BadRequest',
            'every action is excluded: nothing to rank',
            'E_ALL_EXCLUDED',
          );
        }
        const eventId = body.eventId ?? randomUUID().replaceAll('-', '');
        const context = model.hashContext(flattenFeatures(body.contextFeatures ?? []));
        const scores = eligible.map((a) =>
          model.predict(model.featurize(context, flattenFeatures(a.features ?? []))),
        );
        let chosen: number;
        let probabilities: number[];
        let order: number[];
        if (config.learningMode === 'Online') {
          ({ chosen, probabilities, order } = epsilonGreedyRanking(
            eligible.map((a) => a.id),
            scores,
            config.explorationPercentage,
            eventId,
          ));
        } else {
          // Apprentice and LoggingOnly: the application's own choice (the first eligible action) is served.
          chosen = 0;
          probabilities = eligible.map((_, i) => (i === 0 ? 1 : 0));
          order = eligible.map((_, i) => i);
        }
        const ranking = [
          ...order.map((i) => ({ id: eligible[i].id, probability: probabilities[i] })),
          ...body.actions.filter((a) => excluded.has(a.id)).map((a) => ({ id: a.id, probability: 0 })),
        ];
        const inserted = await store.insert({
          eventId,
          context: body.contextFeatures ?? [],
          actions: body.actions.map((a) => ({ id: a.id, features: a.features ?? [] })),
          excluded: [...excluded],
          ranking,
          rewardActionId: eligible[chosen].id,
          propensity: probabilities[chosen],
          modelVersion,
          deferred: body.deferActivation === true,
        });
        if (!inserted) {
          throw new ApiError(409, 'Conflict', `eventId '${eventId}' was already used`, 'E_EVENT_EXISTS');
        }
        return reply.code(201).send({ ranking, eventId, rewardActionId: eligible[chosen].id });
      });

      api.post<{ Params: { eventId: string } }>('/events/:eventId/reward', async (request, reply) => {
        const { value } = parse(rewardSchema, request.body);
        const decision = await store.reward(request.params.eventId, value, config.rewardAggregation);
        if (!decision) {
          throw new ApiError(
            404,
            'ResourceNotFound',
            `no event '${request.params.eventId}'`,
            'E_EVENT_NOT_FOUND',
          );
        }
        const learns = config.learningMode !== 'LoggingOnly' && decision.activatedAt !== null;
        if (learns && (config.rewardAggregation === 'sum' || decision.rewardCount === 1)) {
          const action = decision.actions.find((a) => a.id === decision.rewardActionId);
          if (action) {
            const x = model.featurize(flattenFeatures(decision.context), flattenFeatures(action.features));
            model.update(x, decision.reward ?? value);
          }
        }
        return reply.code(204).send();
      });

      api.post<{ Params: { eventId: string } }>('/events/:eventId/activate', async (request, reply) => {
        if (!(await store.activate(request.params.eventId))) {
          throw new ApiError(
            404,
            'ResourceNotFound',
            `no event '${request.params.eventId}'`,
            'E_EVENT_NOT_FOUND',
          );
        }
        return reply.code(204).send();
      });

      api.get('/configurations/service', async () => config);

      api.put('/configurations/service', async (request) => {
        const next = parse(serviceConfigSchema, request.body);
        config = { ...next, lastConfigurationEditDate: new Date().toISOString() };
        await store.putSetting('service', config);
        return config;
      });

      api.get('/logs/properties', async () => {
        const { from, to, ...counts } = await store.count();
        return {
          dateRange: from && to ? { from: from.toISOString(), to: to.toISOString() } : null,
          ...counts,
        };
      });
    },
    { prefix: '/personalizer/v1.0' },
  );
  return app;
}
