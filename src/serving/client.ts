import { EngineError } from '../core/engine-error.ts';

/** Calls a running decision service with its API key and returns the parsed JSON body (null when empty). */
export type ServiceCall = <T = unknown>(method: string, path: string, body?: unknown) => Promise<T>;

/**
 * A client of a running decision service. A status ≥ 400 (except those in `accept`) becomes an
 * EngineError carrying the service's own error code (innerError.code, else E_SERVICE) and message; an
 * unreachable service is E_SERVICE_UNREACHABLE.
 */
export function serviceClient(
  baseUrl: string,
  apiKey: string,
  options: { accept?: number[] } = {},
): ServiceCall {
  const base = baseUrl.replace(/\/+$/, '');
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${apiKey}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new EngineError('E_SERVICE_UNREACHABLE', `cannot reach ${base}: ${(error as Error).message}`, {
        hint: 'start it with `nextbest serve`, or pass its address with --url',
      });
    }
    const text = await response.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    if (response.status >= 400 && !options.accept?.includes(response.status)) {
      const error = (parsed as { error?: { message?: string; innerError?: { code?: string } } } | null)
        ?.error;
      throw new EngineError(
        error?.innerError?.code ?? 'E_SERVICE',
        `${method} ${path}: ${error?.message ?? `${response.status} ${text}`}`,
        { hint: response.status === 401 ? 'set NEXTBEST_API_KEY to the service’s key' : undefined },
      );
    }
    return parsed as T;
  };
}

/**
 * The client a CLI command uses: the key from NEXTBEST_API_KEY (E_API_KEY_MISSING without it), the address
 * from --url, else NEXTBEST_URL, else http://127.0.0.1:8080.
 */
export function serviceFromEnvironment(
  url: string | undefined,
  options: { accept?: number[] } = {},
): ServiceCall {
  const key = process.env.NEXTBEST_API_KEY;
  if (!key) {
    throw new EngineError('E_API_KEY_MISSING', 'set NEXTBEST_API_KEY to the service’s key', {
      hint: 'the same value the server was started with',
    });
  }
  return serviceClient(url ?? process.env.NEXTBEST_URL ?? 'http://127.0.0.1:8080', key, options);
}
