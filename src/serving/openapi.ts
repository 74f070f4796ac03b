import { z } from 'zod';
import { evaluationRequestSchema } from './evaluations.ts';
import { learnerConfigSchema, policySchema } from './learning-settings.ts';
import { activityQuery, explainQuery, importanceQuery, listQuery, reportQuery } from './routes/insight.ts';
import { applySchema, decisionSchema, endSchema, recommendSchema } from './routes/native.ts';
import {
  multiSlotRankSchema,
  multiSlotRewardSchema,
  rankSchema,
  rewardSchema,
} from './routes/personalizer.ts';
import { serviceConfigSchema } from './service-config.ts';

interface Operation {
  summary: string;
  tag: 'Personalizer v1.0' | 'Sessions' | 'Models' | 'Configuration' | 'Dashboard' | 'Service';
  /** Body schema (JSON), parsed by the route with the same zod schema. */
  body?: z.ZodType;
  /** Query parameters, from the route's zod schema. */
  query?: z.ZodObject;
  /** Success status and what it returns. */
  ok: [number, string];
  /** Error statuses the route can answer with besides 400/401/429 (every route can). */
  errors?: number[];
  /** A binary body instead of JSON (model import). */
  binary?: boolean;
  public?: boolean;
}

const jsonSchema = (schema: z.ZodType) => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  return rest;
};

/**
 * Every route of the service with what it takes and returns. A test checks this table against the
 * routes the server actually registers, both ways, so the document cannot drift from the code.
 */
export const OPERATIONS: Record<string, Operation> = {
  'GET /health': {
    summary: 'Liveness and the live model version',
    tag: 'Service',
    ok: [200, 'status'],
    public: true,
  },

  'POST /personalizer/v1.0/rank': {
    summary: 'Rank actions for a context (explores by explorationPercentage); logs the decision',
    tag: 'Personalizer v1.0',
    body: rankSchema,
    ok: [201, '{ranking: [{id, probability}], eventId, rewardActionId}'],
    errors: [409],
  },
  'POST /personalizer/v1.0/events/{eventId}/reward': {
    summary: 'Send a reward for an event (each call is stored; aggregated by rewardAggregation)',
    tag: 'Personalizer v1.0',
    body: rewardSchema,
    ok: [204, 'committed'],
    errors: [404],
  },
  'POST /personalizer/v1.0/multislot/rank': {
    summary:
      'Fill several slots (a page layout, a carousel) in order, each with a different action: every slot is its own logged decision in the context plus the slot, its baseline action first. Also under /personalizer/v1.1-preview.3/',
    tag: 'Personalizer v1.0',
    body: multiSlotRankSchema,
    ok: [201, '{slots: [{id, rewardActionId}], eventId}'],
    errors: [409],
  },
  'POST /personalizer/v1.0/multislot/events/{eventId}/reward': {
    summary:
      'Rewards per slot, all or none (each stored; slots without one get defaultReward when their window closes)',
    tag: 'Personalizer v1.0',
    body: multiSlotRewardSchema,
    ok: [204, 'committed'],
    errors: [404],
  },
  'POST /personalizer/v1.0/multislot/events/{eventId}/activate': {
    summary: 'Mark every slot of a deferred multi-slot event as shown',
    tag: 'Personalizer v1.0',
    ok: [204, 'committed'],
    errors: [404],
  },
  'POST /personalizer/v1.0/evaluations': {
    summary:
      'Start an offline evaluation of a time range: online, baseline, random and custom learning settings, and with enableOfflineExperimentation a search for better ones',
    tag: 'Personalizer v1.0',
    body: evaluationRequestSchema,
    ok: [201, 'the evaluation, status pending (poll GET /evaluations/{evaluationId})'],
  },
  'GET /personalizer/v1.0/evaluations': {
    summary: 'Every offline evaluation, newest first',
    tag: 'Personalizer v1.0',
    ok: [200, '[evaluation]'],
  },
  'GET /personalizer/v1.0/evaluations/{evaluationId}': {
    summary:
      'An evaluation: status, policyResults (IPS per time window and in total, Gaussian 95% intervals), featureImportance, optimalPolicy, and the suggestion with its paired gain',
    tag: 'Personalizer v1.0',
    ok: [200, 'evaluation'],
    errors: [404],
  },
  'DELETE /personalizer/v1.0/evaluations/{evaluationId}': {
    summary: 'Delete an evaluation',
    tag: 'Personalizer v1.0',
    ok: [204, 'deleted'],
    errors: [404],
  },
  'POST /personalizer/v1.0/events/{eventId}/activate': {
    summary: 'Mark a deferred event as shown',
    tag: 'Personalizer v1.0',
    ok: [204, 'committed'],
    errors: [404],
  },
  'GET /personalizer/v1.0/configurations/service': {
    summary: 'The service configuration',
    tag: 'Configuration',
    ok: [200, 'service configuration'],
  },
  'PUT /personalizer/v1.0/configurations/service': {
    summary: 'Replace the service configuration',
    tag: 'Configuration',
    body: serviceConfigSchema,
    ok: [200, 'the stored configuration'],
  },
  'GET /personalizer/v1.0/configurations/policy': {
    summary: 'The learning settings (Vowpal Wabbit arguments)',
    tag: 'Configuration',
    ok: [200, '{name, arguments}'],
  },
  'PUT /personalizer/v1.0/configurations/policy': {
    summary: 'Replace the learning settings; unknown arguments are refused',
    tag: 'Configuration',
    body: policySchema,
    ok: [200, 'the stored policy'],
  },
  'DELETE /personalizer/v1.0/configurations/policy': {
    summary: 'Reset the learning settings to the default',
    tag: 'Configuration',
    ok: [200, 'the default policy'],
  },
  'GET /personalizer/v1.0/model': {
    summary: 'Export the live model (binary)',
    tag: 'Models',
    ok: [200, 'application/octet-stream'],
  },
  'PUT /personalizer/v1.0/model': {
    summary: 'Import a model exported earlier; it becomes a new live version',
    tag: 'Models',
    binary: true,
    ok: [204, 'imported'],
  },
  'DELETE /personalizer/v1.0/model': {
    summary: 'Reset to a blank model (a new live version)',
    tag: 'Models',
    ok: [204, 'reset'],
  },
  'GET /personalizer/v1.0/model/properties': {
    summary: 'When the live model was created and last changed',
    tag: 'Models',
    ok: [200, '{creationTime, lastModifiedTime}'],
  },
  'GET /personalizer/v1.0/logs/properties': {
    summary: 'The time range the decision log covers',
    tag: 'Personalizer v1.0',
    ok: [200, '{dateRange: {from, to}}'],
  },
  'DELETE /personalizer/v1.0/logs': {
    summary: 'Delete every decision, reward and session (models and settings stay)',
    tag: 'Personalizer v1.0',
    ok: [204, 'deleted'],
  },

  'POST /v1/decisions': {
    summary: 'A decision inside a session (sequential: the learner values what it leads to)',
    tag: 'Sessions',
    body: decisionSchema,
    ok: [201, '{eventId, sessionId, step, actionId, probability, ranking, modelVersion, values?}'],
    errors: [409],
  },
  'POST /v1/recommendations': {
    summary:
      "The next items for a session from the served sequence model (SQN, GRU4Rec, SASRec: 'serve --sequence-model'); logged as a session decision",
    tag: 'Sessions',
    body: recommendSchema,
    ok: [
      201,
      '{eventId, sessionId, step, model, items: [{id, score}], actionId, probability, unknownItems?}',
    ],
    errors: [409, 503],
  },
  'GET /v1/recommender': {
    summary: 'The served sequence model: name, catalogue size, event types, user and time features',
    tag: 'Sessions',
    ok: [200, '{name, source, loadedAt, items, eventTypes, length, userAttributes, timeFeatures, epochs}'],
    errors: [503],
  },
  'POST /v1/recommender/reload': {
    summary:
      "Re-read the served sequence model's file (after 'nextbest train --data --out' replaced it) and swap it in; a file that cannot be served leaves the current model serving",
    tag: 'Sessions',
    ok: [200, '{name, source, loadedAt, items, ..., previous: {name, loadedAt}}'],
    errors: [422, 503],
  },
  'GET /v1/decisions': {
    summary: 'The newest decisions, one line each (paged backwards with before; filter by sessionId)',
    tag: 'Dashboard',
    query: listQuery,
    ok: [200, '{decisions: [...], next}'],
  },
  'GET /v1/decisions/{eventId}': {
    summary: 'One logged decision with its rewards',
    tag: 'Sessions',
    ok: [200, 'the stored decision'],
    errors: [404],
  },
  'POST /v1/decisions/{eventId}/reward': {
    summary: 'Send a reward for a decision',
    tag: 'Sessions',
    body: rewardSchema,
    ok: [204, 'committed'],
    errors: [404],
  },
  'POST /v1/decisions/{eventId}/activate': {
    summary: 'Mark a deferred decision as shown',
    tag: 'Sessions',
    ok: [204, 'committed'],
    errors: [404],
  },
  'GET /v1/decisions/{eventId}/explanation': {
    summary: "Why a decision went the way it did: candidates' scores and coefficient × value attributions",
    tag: 'Dashboard',
    query: explainQuery,
    ok: [200, 'explanation'],
    errors: [404],
  },
  'GET /v1/sessions/{sessionId}': {
    summary: "A session's decisions in order",
    tag: 'Sessions',
    ok: [200, '{sessionId, decisions}'],
    errors: [404],
  },
  'POST /v1/sessions/{sessionId}/end': {
    summary: 'End a session, optionally with a final reward for its last decision',
    tag: 'Sessions',
    body: endSchema,
    ok: [200, '{sessionId, steps}'],
    errors: [404],
  },
  'DELETE /v1/users/{userId}': {
    summary: 'Erase everything stored about a user (matched by the keyed hash of the id)',
    tag: 'Sessions',
    ok: [200, '{erased: {decisions, sessions}}'],
  },
  'GET /v1/models': {
    summary: 'Model versions with their off-policy evaluations',
    tag: 'Models',
    ok: [200, '{live, models}'],
  },
  'GET /v1/models/{version}': {
    summary: 'One model version',
    tag: 'Models',
    ok: [200, 'version'],
    errors: [404],
  },
  'POST /v1/evaluations/{evaluationId}/apply': {
    summary:
      "Apply a completed evaluation's suggested learning settings (409 unless its gain's lower bound is above 0, or force)",
    tag: 'Configuration',
    body: applySchema,
    ok: [200, '{policy, evaluation}'],
    errors: [404, 409],
  },
  'POST /v1/evaluations/{evaluationId}/reject': {
    summary: 'Keep the online learning settings; the evaluation is marked onlinePolicyRetained',
    tag: 'Configuration',
    ok: [200, 'the evaluation'],
    errors: [404, 409],
  },
  'POST /v1/models/{version}/promote': {
    summary: 'Make a version live (on every replica)',
    tag: 'Models',
    ok: [200, 'the promoted version'],
    errors: [404],
  },
  'POST /v1/models/rollback': {
    summary: 'Put the previously live version back',
    tag: 'Models',
    ok: [200, 'the live version'],
    errors: [409],
  },
  'POST /v1/models/train': {
    summary: 'Run a learner round now: train, judge off-policy, promote by the rule',
    tag: 'Models',
    ok: [200, '{status, model?, evaluation?}'],
    errors: [409],
  },
  'GET /v1/configurations/learner': {
    summary: "The learner's settings",
    tag: 'Configuration',
    ok: [200, 'learner configuration'],
  },
  'PUT /v1/configurations/learner': {
    summary: "Replace the learner's settings (promotion rule, estimator, hold-out, discount...)",
    tag: 'Configuration',
    body: learnerConfigSchema,
    ok: [200, 'the stored configuration'],
  },
  'GET /v1/activity': {
    summary: 'Decisions, reward rate, CTR, exploration share and model version over time, in round buckets',
    tag: 'Dashboard',
    query: activityQuery,
    ok: [200, '{from, to, bucketSeconds, live, range, allTime, series}'],
  },
  'GET /v1/importance': {
    summary:
      'Global feature importance over the newest decisions (how much each feature group reorders candidates)',
    tag: 'Dashboard',
    query: importanceQuery,
    ok: [200, '{modelVersion, decisions, features}'],
    errors: [404],
  },
  'GET /v1/reports': {
    summary: 'HTML reports in the reports folder',
    tag: 'Dashboard',
    ok: [200, '{folder, reports}'],
  },
  'GET /v1/reports/file': {
    summary: 'One HTML report',
    tag: 'Dashboard',
    query: reportQuery,
    ok: [200, 'text/html'],
    errors: [404],
  },
};

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad input: {"error": {"code", "message", "innerError": {"code"}}} naming the field',
  401: 'Missing or wrong API key',
  404: 'No such resource (coded)',
  409: 'Conflict (coded)',
  413: 'Body too large',
  429: 'Rate limited',
};

/** The OpenAPI 3.1 document of the service, built from OPERATIONS and the routes' own zod schemas. */
export function openApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [key, op] of Object.entries(OPERATIONS)) {
    const [method, path] = key.split(' ');
    const parameters: unknown[] = [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    if (op.query) {
      const schema = jsonSchema(op.query) as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, s] of Object.entries(schema.properties ?? {})) {
        parameters.push({ name, in: 'query', required: schema.required?.includes(name) ?? false, schema: s });
      }
    }
    const errors = [400, ...(op.public ? [] : [401]), ...(op.errors ?? []), ...(op.body ? [413] : []), 429];
    paths[path] ??= {};
    paths[path][method.toLowerCase()] = {
      summary: op.summary,
      tags: [op.tag],
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(op.body
        ? {
            requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(op.body) } } },
          }
        : op.binary
          ? {
              requestBody: {
                required: true,
                content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
              },
            }
          : {}),
      responses: {
        [op.ok[0]]: { description: op.ok[1] },
        ...Object.fromEntries(
          errors.map((status) => [
            status,
            {
              description: STATUS_TEXT[status],
              ...(status >= 400
                ? { content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }
                : {}),
            },
          ]),
        ),
      },
      ...(op.public ? { security: [] } : {}),
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'NextBest decision service',
      version,
      description:
        'Azure Personalizer v1.0 under /personalizer/v1.0 (the official clients work by changing only the endpoint), NextBest’s session API, models, configuration and the dashboard’s queries under /v1. Send the key as Ocp-Apim-Subscription-Key or Authorization: Bearer.',
    },
    security: [{ subscriptionKey: [] }, { bearer: [] }],
    components: {
      securitySchemes: {
        subscriptionKey: { type: 'apiKey', in: 'header', name: 'Ocp-Apim-Subscription-Key' },
        bearer: { type: 'http', scheme: 'bearer' },
      },
      schemas: {
        Error: {
          type: 'object',
          properties: {
            error: {
              type: 'object',
              properties: {
                code: { type: 'string' },
                message: { type: 'string' },
                innerError: { type: 'object', properties: { code: { type: 'string' } } },
              },
              required: ['code', 'message'],
            },
          },
          required: ['error'],
        },
      },
    },
    paths,
  };
}
