import type { z } from 'zod';
import { EngineError } from './engine-error.ts';

/**
 * Parse untrusted config once, at the edge (zod). Failures become one EngineError naming the
 * first offending field, with every issue listed in the hint.
 */
export function parseConfig<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues;
  const first = issues[0];
  const path = first.path.length > 0 ? first.path.join('.') : '(root)';
  const all = issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
  throw new EngineError('E_CONFIG_INVALID', `invalid ${what}: ${path}: ${first.message}`, {
    path,
    hint: issues.length > 1 ? `fix: ${all}` : `fix the field '${path}' in the ${what}`,
  });
}
