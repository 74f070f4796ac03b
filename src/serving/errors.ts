import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { isEngineError } from '../core/engine-error.ts';

/** An HTTP error in Personalizer's shape: {"error": {"code", "message", "innerError": {"code"}}}. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly detail?: string,
  ) {
    super(message);
  }
}

export const badRequest = (message: string, detail: string) =>
  new ApiError(400, 'BadRequest', message, detail);
export const notFound = (message: string, detail: string) =>
  new ApiError(404, 'ResourceNotFound', message, detail);
export const conflict = (message: string, detail: string) => new ApiError(409, 'Conflict', message, detail);

/** Parse a body with a schema; the first problem becomes a 400 naming the field. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue.path.join('.');
    throw badRequest(`${path ? `${path}: ` : ''}${issue.message}`, 'E_BODY_INVALID');
  }
  return result.data;
}

const STATUS_CODES: Record<number, string> = {
  400: 'BadRequest',
  404: 'ResourceNotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  413: 'PayloadTooLarge',
  415: 'UnsupportedMediaType',
  429: 'TooManyRequests',
};

/** Every error leaves as {"error": {...}} with the right status; 5xx details stay in the log. */
export function installErrorHandlers(app: FastifyInstance): void {
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
    if (isEngineError(error)) {
      return reply.code(error.status).send({
        error: {
          code: STATUS_CODES[error.status] ?? 'BadRequest',
          message: error.hint ? `${error.message} (${error.hint})` : error.message,
          innerError: { code: error.code },
        },
      });
    }
    const status = error.statusCode ?? 500;
    if (status >= 500) app.log.error(error);
    return reply.code(status).send({
      error: {
        code: status < 500 ? (STATUS_CODES[status] ?? 'BadRequest') : 'InternalServerError',
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
}
