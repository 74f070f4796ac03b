import { readFileSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { EngineError } from '../core/engine-error.ts';

type OptionSpec = {
  type: 'string' | 'boolean';
  short?: string;
  default?: string | boolean;
  multiple?: boolean;
};
type FlagValues<T extends Record<string, OptionSpec>> = {
  [K in keyof T]: T[K]['type'] extends 'boolean'
    ? boolean
    : T[K]['multiple'] extends true
      ? string[] | undefined
      : string | undefined;
};

/** Parse a command's flags; unknown flags and missing values become E_USAGE errors (exit code 2). */
export function parseFlags<T extends Record<string, OptionSpec>>(
  command: string,
  argv: string[],
  options: T,
): FlagValues<T> {
  return parseCommandLine(command, argv, options, false).flags;
}

/** Flags and positional arguments (file names, sub-commands), with the same coded usage errors. */
export function parseCommandLine<T extends Record<string, OptionSpec>>(
  command: string,
  argv: string[],
  options: T,
  allowPositionals = true,
): { flags: FlagValues<T>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, strict: true, allowPositionals });
    return { flags: values as never, positionals };
  } catch (error) {
    throw new EngineError('E_USAGE', `${command}: ${(error as Error).message}`, {
      hint: `run 'nextbest ${command} --help'`,
    });
  }
}

export function intFlag(name: string, value: string | undefined, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    throw new EngineError('E_USAGE', `--${name} must be an integer ≥ ${min}, got '${value}'`, {
      path: `--${name}`,
    });
  }
  return n;
}

/** A non-negative finite number flag (fallback when absent); anything else is E_USAGE naming the flag. */
export function numberFlag(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) {
    throw new EngineError('E_USAGE', `--${name} must be a number ≥ 0, got '${value}'`, { path: `--${name}` });
  }
  return n;
}

/** A flag whose value is inline JSON; absent stays undefined, bad JSON is a coded usage error. */
export function jsonFlag(name: string, value: string | undefined, example: string): unknown {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value);
  } catch {
    throw new EngineError('E_USAGE', `--${name} is not JSON`, {
      path: `--${name}`,
      hint: `e.g. '${example}'`,
    });
  }
}

/** Read and parse a JSON file; a missing file or bad JSON is a coded error naming the path. */
export function readJson(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new EngineError('E_FILE_NOT_FOUND', `cannot read ${what} '${path}'`, {
      path,
      hint: 'check the path',
    });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new EngineError(
      'E_JSON_INVALID',
      `${what} '${path}' is not valid JSON: ${(error as Error).message}`,
      { path },
    );
  }
}

/** A path as the user would type it: relative to the working directory when it lies under it. */
export function shownPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}
