import { z } from 'zod';
import { parseConfig } from '../../core/config.ts';
import { EngineError } from '../../core/engine-error.ts';
import { deriveSeed, Rng } from '../../core/rng.ts';

/**
 * A hyper-parameter search space: each key is a dotted path into the agent config
 * (`learningRate`, `epsilon.decaySteps`, `network.hidden`), each value says how to draw it. A
 * parameter may be conditional (`when`): it is drawn only when every named path currently holds one
 * of the listed values, e.g. `nStep` only when `algorithm` is `dqn`. Conditions may name other
 * parameters of the space (drawn first) or keys of the base config.
 */
const pathSchema = z
  .string()
  .regex(/^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$/, 'a dotted path of identifiers, e.g. epsilon.decaySteps');

const whenSchema = z
  .record(pathSchema, z.array(z.unknown()).min(1))
  .optional()
  .describe('draw this parameter only when each named path holds one of the listed values');

const floatSchema = z
  .object({
    type: z.literal('float'),
    low: z.number(),
    high: z.number(),
    /** Draw uniformly in log space (learning rates, regularisers). */
    log: z.boolean().default(false),
    when: whenSchema,
  })
  .strict();

const intSchema = z
  .object({
    type: z.literal('int'),
    low: z.number().int(),
    high: z.number().int(),
    log: z.boolean().default(false),
    when: whenSchema,
  })
  .strict();

const choiceSchema = z
  .object({
    type: z.literal('choice'),
    values: z.array(z.unknown()).min(1),
    when: whenSchema,
  })
  .strict();

export const parameterSchema = z.discriminatedUnion('type', [floatSchema, intSchema, choiceSchema]);
export const searchSpaceSchema = z
  .record(pathSchema, parameterSchema)
  .refine((space) => Object.keys(space).length > 0, 'the search space needs at least one parameter');

export type Parameter = z.output<typeof parameterSchema>;
export type SearchSpace = z.output<typeof searchSpaceSchema>;
export type ParameterValues = Record<string, unknown>;

/** A parsed, checked space with its parameters in drawing order (conditions before what they gate). */
export interface CheckedSpace {
  space: SearchSpace;
  order: string[];
}

/**
 * Parse and cross-check a space against the base config it varies: ranges that make sense, log scales
 * on positive ranges, conditions that name a parameter or a base-config key, and no cycles.
 */
export function checkSearchSpace(
  input: unknown,
  base: Record<string, unknown>,
  path = 'space',
): CheckedSpace {
  const space = parseConfig(searchSpaceSchema, input, 'search space');
  const fail = (at: string, message: string, hint: string): never => {
    throw new EngineError('E_CONFIG_INVALID', message, { path: `${path}.${at}`, hint });
  };
  for (const [key, p] of Object.entries(space)) {
    if (p.type === 'float' || p.type === 'int') {
      if (!(p.low < p.high))
        fail(key, `'${key}': low (${p.low}) must be below high (${p.high})`, 'swap or widen the range');
      if (p.log && p.low <= 0)
        fail(key, `'${key}': a log scale needs low > 0 (got ${p.low})`, 'use a positive low or drop "log"');
    }
    for (const [other, values] of Object.entries(p.when ?? {})) {
      if (other === key)
        fail(`${key}.when`, `'${key}' is conditional on itself`, 'condition on another parameter');
      if (!(other in space) && getPath(base, other) === undefined) {
        fail(
          `${key}.when.${other}`,
          `'${key}' is conditional on '${other}', which is neither a parameter of the space nor set in the base config`,
          `add '${other}' to the space or to the agent config`,
        );
      }
      if (other in space && space[other].type !== 'choice' && values.some((v) => typeof v !== 'number')) {
        fail(
          `${key}.when.${other}`,
          `'${other}' is numeric; its condition lists non-numbers`,
          'list numbers',
        );
      }
    }
  }
  // Depth-first topological order over the "when" edges; a grey node met again is a cycle.
  const order: string[] = [];
  const state = new Map<string, 'grey' | 'black'>();
  const visit = (key: string, trail: string[]) => {
    if (state.get(key) === 'black') return;
    if (state.get(key) === 'grey') {
      fail(`${key}.when`, `conditions form a cycle: ${[...trail, key].join(' → ')}`, 'break the cycle');
    }
    state.set(key, 'grey');
    for (const other of Object.keys(space[key].when ?? {})) if (other in space) visit(other, [...trail, key]);
    state.set(key, 'black');
    order.push(key);
  };
  for (const key of Object.keys(space)) visit(key, []);
  return { space, order };
}

/** The value at a dotted path, or undefined. */
export function getPath(object: unknown, path: string): unknown {
  let node: unknown = object;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** A deep copy of `object` with `value` at the dotted path (intermediate objects created as needed). */
export function setPath(
  object: Record<string, unknown>,
  path: string,
  value: unknown,
): Record<string, unknown> {
  const out = structuredClone(object);
  const parts = path.split('.');
  let node = out;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]] = structuredClone(value);
  return out;
}

/** Two JSON values are the same (conditions compare choices such as [64, 64] by value). */
export const sameValue = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** The base config with every active parameter's value written in. */
export function applyParameters(
  base: Record<string, unknown>,
  values: ParameterValues,
): Record<string, unknown> {
  let config = structuredClone(base);
  for (const [key, value] of Object.entries(values)) config = setPath(config, key, value);
  return config;
}

function draw(p: Parameter, rng: Rng): unknown {
  if (p.type === 'choice') return structuredClone(p.values[rng.int(p.values.length)]);
  if (p.type === 'float') {
    if (!p.log) return p.low + (p.high - p.low) * rng.float53();
    return Math.exp(Math.log(p.low) + (Math.log(p.high) - Math.log(p.low)) * rng.float53());
  }
  if (!p.log) return p.low + rng.int(p.high - p.low + 1);
  // Log-uniform integer: draw in [log low, log(high + 1)) and floor, so every integer is reachable.
  const v = Math.floor(Math.exp(Math.log(p.low) + (Math.log(p.high + 1) - Math.log(p.low)) * rng.float53()));
  return Math.min(p.high, Math.max(p.low, v));
}

/**
 * Trial `index` of a search seeded with `seed`: each active parameter drawn in order; inactive ones
 * (unmet `when`) are left out. A trial depends only on (seed, index), not on other trials, so a
 * resumed search draws the same configurations.
 */
export function sampleTrial(
  checked: CheckedSpace,
  base: Record<string, unknown>,
  seed: number,
  index: number,
): ParameterValues {
  const rng = new Rng(deriveSeed(seed, index));
  const values: ParameterValues = {};
  for (const key of checked.order) {
    const p = checked.space[key];
    const current = applyParameters(base, values);
    const active = Object.entries(p.when ?? {}).every(([other, allowed]) =>
      allowed.some((v) => sameValue(v, getPath(current, other))),
    );
    // Draw even when inactive, so that switching a condition does not shift the other parameters' draws.
    const value = draw(p, rng);
    if (active) values[key] = value;
  }
  return values;
}

/** A configuration drawn for a search: its values, the config they make, and why it cannot run if so. */
export interface DrawnTrial<C> {
  index: number;
  values: ParameterValues;
  /** The built config; when building failed, the base with the values set, as drawn. */
  config: C;
  error?: { code: string; message: string };
}

/**
 * Draw `count` configurations (values from the space, seeded by search seed and index), build each
 * from the base and check it. One that fails is kept with its coded error and never runs; if none
 * is valid, the search is an E_CONFIG_INVALID error quoting the first failure (`noun`: agent, model).
 */
export function drawTrials<C>(options: {
  count: number;
  space: CheckedSpace;
  base: Record<string, unknown>;
  seed: number;
  build: (drawn: Record<string, unknown>, index: number) => C;
  check: (config: C) => void;
  noun: string;
}): DrawnTrial<C>[] {
  const trials: DrawnTrial<C>[] = [];
  for (let index = 0; index < options.count; index++) {
    const values = sampleTrial(options.space, options.base, options.seed, index);
    const drawn = applyParameters(options.base, values);
    const trial: DrawnTrial<C> = { index, values, config: drawn as C };
    try {
      trial.config = options.build(drawn, index);
      options.check(trial.config);
    } catch (error) {
      trial.error = {
        code: error instanceof EngineError ? error.code : 'E_CONFIG_INVALID',
        message: (error as Error).message,
      };
    }
    trials.push(trial);
  }
  if (trials.every((t) => t.error)) {
    throw new EngineError(
      'E_CONFIG_INVALID',
      `none of the ${trials.length} configurations drawn is a valid ${options.noun}`,
      { path: 'space', hint: `the first says: ${trials[0].error?.message}` },
    );
  }
  return trials;
}
