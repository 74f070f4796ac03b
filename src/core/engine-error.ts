/**
 * The one error type of the engine. Every failure a user can cause carries a stable code,
 * a message saying what is wrong, and a hint saying what to do about it.
 */
export interface EngineErrorOptions {
  hint?: string;
  /** Where in the input the problem is: a config field path, a file:line:column, an HTTP body path. */
  path?: string;
  /** HTTP status the serving layer should use; 400 unless stated. */
  status?: number;
  cause?: unknown;
}

export class EngineError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly path: string | undefined;
  readonly status: number;

  constructor(code: string, message: string, options: EngineErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EngineError';
    this.code = code;
    this.hint = options.hint;
    this.path = options.path;
    this.status = options.status ?? 400;
  }

  /** One line for a terminal: `E_CODE: message (hint: ...)`. */
  format(): string {
    const where = this.path ? ` at ${this.path}` : '';
    const hint = this.hint ? ` (hint: ${this.hint})` : '';
    return `${this.code}${where}: ${this.message}${hint}`;
  }

  toJSON(): { code: string; message: string; hint?: string; path?: string } {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint ? { hint: this.hint } : {}),
      ...(this.path ? { path: this.path } : {}),
    };
  }
}

export function isEngineError(value: unknown): value is EngineError {
  return value instanceof EngineError;
}

/** The error with `prefix` put before its field path (a config section's errors, named from the root). */
export function withPath(error: unknown, prefix: string): unknown {
  if (!(error instanceof EngineError)) return error;
  return new EngineError(error.code, error.message, {
    hint: error.hint,
    path: error.path ? `${prefix}.${error.path}` : prefix,
  });
}
