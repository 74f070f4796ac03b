import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { EngineError } from '../core/engine-error.ts';
import { dashboardRoutes, isDashboardAsset } from '../dashboard/assets.ts';
import { migrate } from '../store/migrations.ts';
import type { Sql } from '../store/sql.ts';
import { installErrorHandlers } from './errors.ts';
import type { RoundResult } from './learner.ts';
import { openApiDocument } from './openapi.ts';
import { insightRoutes } from './routes/insight.ts';
import { nativeRoutes } from './routes/native.ts';
import { personalizerRoutes } from './routes/personalizer.ts';
import { SequenceService } from './sequence-service.ts';
import { parseDuration } from './service-config.ts';
import { ServiceState } from './service-state.ts';

export interface ServerOptions {
  sql: Sql;
  /** Required on every route but /health (Ocp-Apim-Subscription-Key or Authorization: Bearer). */
  apiKey: string;
  /** Key of the keyed hash user identifiers are stored under (default: one made once and kept in the store). */
  pseudonymKey?: string;
  /** Largest accepted body in bytes (default 1 MiB). */
  bodyLimit?: number;
  /** Run the background learner every modelExportFrequency (default true; tests drive it by hand). */
  learn?: boolean;
  /** Requests per minute one client address may make (default 60,000); 0 turns the limit off. */
  rateLimitPerMinute?: number;
  /**
   * Where learner rounds and offline evaluations run: 'worker' (default), a worker thread, so requests
   * never wait for them; 'main', the serving thread.
   */
  compute?: 'worker' | 'main';
  /** Most decisions, rewards or activations written in one statement (group commit; default 256, 1: none). */
  maxBatch?: number;
  /** A sequence model file (`nextbest train --data --out model.json`) that POST /v1/recommendations serves. */
  sequenceModel?: string;
  /** Called after every background learner round. */
  onLearnerRound?: (result: RoundResult | Error) => void;
  logger?: boolean;
  /** Serve the web dashboard at / (default true). */
  dashboard?: boolean;
  /** Where the HTML reports of experiment and tune runs are listed from (default ./reports). */
  reportsDir?: string;
}

/** The version the API document carries: the package's. */
const SERVICE_VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

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

declare module 'fastify' {
  interface FastifyInstance {
    nextbest: ServiceState;
    registeredRoutes: string[];
  }
}

/**
 * The decision service: Azure Personalizer v1.0 under /personalizer/v1.0, the native session API and the
 * dashboard's queries under /v1, and the dashboard at /, over the decision log. Migrations run at start; the live model is loaded from the store, and the
 * background learner trains, judges and promotes new versions.
 */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  if (options.apiKey.length < 8) {
    throw new EngineError('E_API_KEY', 'the API key must be at least 8 characters', {
      hint: 'set NEXTBEST_API_KEY to a longer secret',
      status: 500,
    });
  }
  // Read the model before anything starts, so a bad file fails the start with its own error.
  const sequence = options.sequenceModel ? SequenceService.fromFile(options.sequenceModel) : null;
  await migrate(options.sql);
  const state = new ServiceState(options.sql, { maxBatch: options.maxBatch, compute: options.compute });
  await state.start({ pseudonymKey: options.pseudonymKey });
  state.sequence = sequence;
  const key = digest(options.apiKey);

  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 1 << 20,
    routerOptions: { maxParamLength: 300 },
    // Personalizer's preview versions (v1.1-preview.1 to .3, which added multi-slot) are the same surface:
    // clients built for them reach the v1.0 routes by changing only the endpoint.
    rewriteUrl: (request) =>
      (request.url ?? '/').replace(/^\/personalizer\/v1\.1-preview\.[1-3]\//, '/personalizer/v1.0/'),
    // Errors the router raises before any handler (a bad URL, too long a parameter) keep the error shape.
    frameworkErrors: (error, _request, reply) => {
      const status = (error as { statusCode?: number }).statusCode ?? 400;
      void (reply as FastifyReply).code(status).send({
        error: {
          code: status === 414 ? 'UriTooLong' : 'BadRequest',
          message: error.message,
          innerError: { code: (error as { code?: string }).code ?? 'E_BAD_REQUEST' },
        },
      });
    },
  });
  app.decorate('nextbest', state);
  // Every route as 'METHOD /path' (HEAD twins left out): what the OpenAPI test compares the document with.
  const routes: string[] = [];
  app.decorate('registeredRoutes', routes);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') routes.push(`${method} ${route.url}`);
    }
  });
  installErrorHandlers(app);
  const perMinute = options.rateLimitPerMinute ?? 60_000;
  if (perMinute > 0) {
    // Before the key check, so that a flood of bad keys is limited too.
    await app.register(rateLimit, {
      max: perMinute,
      timeWindow: 60_000,
      errorResponseBuilder: (_request, context) =>
        Object.assign(
          new Error(
            `more than ${context.max} requests a minute from this address: retry after ${context.after}`,
          ),
          { statusCode: 429, code: 'E_RATE_LIMITED' },
        ),
    });
  }

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    // Decided by the route that matched, never by the raw URL, so no spelling of a path can borrow a public
    // route's exemption.
    const route = request.routeOptions.url;
    if (route === '/health') return;
    if (request.method === 'GET' && route !== undefined) {
      if (options.dashboard !== false && isDashboardAsset(route)) return;
      // The API's own description (no data) is public, like any published API reference.
      if (route === '/docs' || route.startsWith('/docs/')) return;
    }
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

  // OpenAPI 3.1 at /docs/json (and /docs/yaml), browsable at /docs. The document is built from the routes'
  // own zod schemas; a test checks it lists exactly the routes registered here.
  const document = openApiDocument(SERVICE_VERSION);
  await app.register(swagger, { openapi: {}, transformObject: () => document as never });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    // Swagger UI sets a few inline styles; allow those (styles only, never inline scripts).
    transformStaticCSP: (header: string) =>
      header.replace("style-src 'self' https:", "style-src 'self' 'unsafe-inline'"),
    uiConfig: { deepLinking: true },
  });
  app.get('/health', async () => ({ status: 'ok', liveModel: state.live.version }));
  await app.register(async (api) => personalizerRoutes(api, state), { prefix: '/personalizer/v1.0' });
  await app.register(async (api) => nativeRoutes(api, state), { prefix: '/v1' });
  await app.register(
    async (api) => insightRoutes(api, state, { reportsDir: options.reportsDir ?? 'reports' }),
    { prefix: '/v1' },
  );
  if (options.dashboard !== false) await dashboardRoutes(app);

  // The learner's clock: checked every second, so a changed modelExportFrequency applies at once.
  let timer: NodeJS.Timeout | undefined;
  let closing = false;
  if (options.learn !== false) {
    let lastRound = Date.now();
    const tick = async () => {
      const every = parseDuration(state.service.modelExportFrequency) ?? 300_000;
      if (Date.now() - lastRound >= every) {
        try {
          const result = await state.learner.runOnce();
          options.onLearnerRound?.(result);
          if (result.status === 'trained') {
            app.log.info({ round: result.evaluation }, `learner: version ${result.model.version}`);
          }
        } catch (error) {
          app.log.error(error);
          options.onLearnerRound?.(error as Error);
        }
        lastRound = Date.now();
      }
      if (!closing) {
        timer = setTimeout(tick, 1000);
        timer.unref();
      }
    };
    timer = setTimeout(tick, 1000);
    timer.unref();
  }
  app.addHook('onClose', async () => {
    closing = true;
    clearTimeout(timer);
    await state.stop();
  });
  return app;
}
