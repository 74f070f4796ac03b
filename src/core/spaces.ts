import { z } from 'zod';
import { EngineError } from './engine-error.ts';
import type { BoxSpace, DiscreteSpace, Space } from './types.ts';

export const spaceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('discrete'), n: z.number().int().positive() }),
  z.object({
    kind: z.literal('box'),
    shape: z.array(z.number().int().positive()).min(1),
    low: z.number().optional(),
    high: z.number().optional(),
  }),
]);

export function discrete(n: number): DiscreteSpace {
  return { kind: 'discrete', n };
}

export function box(shape: number[], low?: number, high?: number): BoxSpace {
  return {
    kind: 'box',
    shape,
    ...(low === undefined ? {} : { low }),
    ...(high === undefined ? {} : { high }),
  };
}

/** Number of floats in an observation drawn from this space (a discrete observation is one index). */
export function flatSize(space: Space): number {
  return space.kind === 'discrete' ? 1 : space.shape.reduce((a, b) => a * b, 1);
}

export function actionCount(space: Space, what = 'actionSpace'): number {
  if (space.kind !== 'discrete') {
    throw new EngineError('E_ACTION_SPACE_KIND', `${what} must be discrete, got a box space`, {
      hint: "use { kind: 'discrete', n: <number of actions> }",
    });
  }
  return space.n;
}

export function spaceContains(space: Space, value: Float32Array | number): boolean {
  if (space.kind === 'discrete') {
    const v = typeof value === 'number' ? value : value[0];
    return Number.isInteger(v) && v >= 0 && v < space.n;
  }
  if (typeof value === 'number') return false;
  if (value.length !== flatSize(space)) return false;
  for (let i = 0; i < value.length; i++) {
    const v = value[i];
    if (Number.isNaN(v)) return false;
    if (space.low !== undefined && v < space.low) return false;
    if (space.high !== undefined && v > space.high) return false;
  }
  return true;
}
