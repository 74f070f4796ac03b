import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { EngineError } from '../core/engine-error.ts';
import { Rng } from '../core/rng.ts';

const MAGIC = 'NBHL';

/** FNV-1a, 32-bit: the feature hash (stable across processes and versions). */
export function fnv1a(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Hashed context features: (hash, value) pairs. */
export type HashedContext = ReadonlyArray<readonly [number, number]>;

/** Hashed context features: the same for every model (the hash does not depend on the model's size). */
export function hashContext(context: Map<string, number>): HashedContext {
  return [...context].map(([k, v]) => [fnv1a(`c:${k}`), v] as const);
}

/** A sparse feature vector: hashed indices and values. */
export interface SparseFeatures {
  indices: Uint32Array;
  values: Float32Array;
}

/** Most nesting levels and named features one feature list may have (each action's crosses the context's). */
export const FEATURE_LIMITS = { depth: 16, features: 1_000 } as const;

/**
 * Personalizer-style features (an array of objects, nested freely) flattened to named features:
 * a string becomes `path=value` with value 1, a number `path` with its value, a boolean `path=true|false`.
 * More than FEATURE_LIMITS.depth levels or FEATURE_LIMITS.features features is a coded 400.
 */
export function flattenFeatures(
  features: unknown,
  prefix = '',
  out: Map<string, number> = new Map(),
  depth = 0,
): Map<string, number> {
  if (depth > FEATURE_LIMITS.depth) {
    throw new EngineError(
      'E_FEATURES_TOO_DEEP',
      `features nest deeper than ${FEATURE_LIMITS.depth} levels at '${prefix}'`,
      {
        hint: 'flatten the feature objects',
      },
    );
  }
  if (Array.isArray(features)) {
    for (let i = 0; i < features.length; i++) {
      flattenFeatures(features[i], prefix === '' ? '' : `${prefix}[${i}]`, out, depth + 1);
    }
  } else if (features !== null && typeof features === 'object') {
    for (const [key, value] of Object.entries(features as Record<string, unknown>)) {
      flattenFeatures(value, prefix === '' ? key : `${prefix}.${key}`, out, depth + 1);
    }
  } else if (typeof features === 'number' && Number.isFinite(features)) {
    out.set(prefix, (out.get(prefix) ?? 0) + features);
  } else if (typeof features === 'string' || typeof features === 'boolean') {
    out.set(`${prefix}=${features}`, 1);
  }
  if (out.size > FEATURE_LIMITS.features) {
    throw new EngineError(
      'E_TOO_MANY_FEATURES',
      `more than ${FEATURE_LIMITS.features} features in one feature list`,
      {
        hint: 'send fewer features per context and per action (long lists are better as an embedding)',
      },
    );
  }
  return out;
}

/** The hashes of the bias and of an action feature (context features: hashContext). */
const BIAS_HASH = fnv1a('bias');
const actionHash = (name: string) => fnv1a(`a:${name}`);

/** The hash of a context feature (hash c) crossed with an action feature (hash a). */
const pairHash = (c: number, a: number) => Math.imul(c, 0x9e3779b1) ^ a;

/** One term of a linear score: weight × value of one named (hashed) feature. */
export interface ScoreTerm {
  kind: 'bias' | 'context' | 'action' | 'pair';
  /** The flattened feature name; for a pair, `context × action`. */
  name: string;
  value: number;
  weight: number;
  contribution: number;
}

/**
 * A linear model over hashed features of (context, action) with all context × action crosses (what
 * Vowpal Wabbit's quadratic interactions give Personalizer), trained online by AdaGrad on squared error.
 */
export class HashedLinearModel {
  readonly weights: Float32Array;
  readonly squaredGradients: Float32Array;
  private readonly mask: number;
  updates = 0;

  constructor(
    readonly bits = 18,
    readonly learningRate = 0.1,
  ) {
    this.weights = new Float32Array(1 << bits);
    this.squaredGradients = new Float32Array(1 << bits);
    this.mask = (1 << bits) - 1;
  }

  /** Features of one action in one context: bias, context, action, and every context × action pair. */
  featurize(context: HashedContext | Map<string, number>, action: Map<string, number>): SparseFeatures {
    const indices: number[] = [BIAS_HASH & this.mask];
    const values: number[] = [1];
    const contextHashes = context instanceof Map ? hashContext(context) : context;
    const actionHashes = [...action].map(([k, v]) => [actionHash(k), v] as const);
    for (const [h, v] of contextHashes) {
      indices.push(h & this.mask);
      values.push(v);
    }
    for (const [h, v] of actionHashes) {
      indices.push(h & this.mask);
      values.push(v);
      for (const [c, w] of contextHashes) {
        indices.push(pairHash(c, h) & this.mask);
        values.push(v * w);
      }
    }
    return { indices: Uint32Array.from(indices), values: Float32Array.from(values) };
  }

  /**
   * The score of one action in one context as named terms (coefficient × value), in featurize's order:
   * their contributions sum to predict(featurize(context, action)). Hash collisions show as shared weights.
   */
  terms(context: Map<string, number>, action: Map<string, number>): ScoreTerm[] {
    const contextNames = [...context.keys()];
    const actionNames = [...action.keys()];
    const out: ScoreTerm[] = [];
    this.eachTerm(hashContext(context), action, (kind, c, a, weight, value) => {
      const name =
        kind === 'bias'
          ? 'bias'
          : kind === 'context'
            ? contextNames[c]
            : kind === 'action'
              ? actionNames[a]
              : `${contextNames[c]} × ${actionNames[a]}`;
      out.push({ kind, name, value, weight, contribution: weight * value });
    });
    return out;
  }

  /**
   * Visit every term of an action's score without naming it: its kind, the positions of its context and
   * action features (-1 where none), its weight and value. What terms() and feature importance build on;
   * the context comes hashed (hashContext), so that several actions in one context hash it once.
   */
  eachTerm(
    context: HashedContext,
    action: Map<string, number>,
    visit: (kind: ScoreTerm['kind'], c: number, a: number, weight: number, value: number) => void,
  ): void {
    const w = this.weights;
    const mask = this.mask;
    visit('bias', -1, -1, w[BIAS_HASH & mask], 1);
    for (let c = 0; c < context.length; c++) visit('context', c, -1, w[context[c][0] & mask], context[c][1]);
    let a = 0;
    for (const [k, v] of action) {
      const h = actionHash(k);
      visit('action', -1, a, w[h & mask], v);
      for (let j = 0; j < context.length; j++) {
        const [c, x] = context[j];
        visit('pair', j, a, w[pairHash(c, h) & mask], v * x);
      }
      a++;
    }
  }

  /**
   * predict(featurize(context, action)) without building the feature vector: the same terms, the same
   * order, values rounded to float32 as the vector stores them, so the result is identical. The request
   * path scores every candidate this way (the vector's allocations were a sixth of a /rank's CPU).
   */
  score(context: HashedContext, action: Map<string, number>): number {
    const w = this.weights;
    const mask = this.mask;
    let s = w[BIAS_HASH & mask];
    for (let j = 0; j < context.length; j++) s += w[context[j][0] & mask] * Math.fround(context[j][1]);
    for (const [k, v] of action) {
      const h = actionHash(k);
      s += w[h & mask] * Math.fround(v);
      for (let j = 0; j < context.length; j++) {
        const [c, x] = context[j];
        s += w[pairHash(c, h) & mask] * Math.fround(v * x);
      }
    }
    return s;
  }

  predict(x: SparseFeatures): number {
    let s = 0;
    for (let i = 0; i < x.indices.length; i++) s += this.weights[x.indices[i]] * x.values[i];
    return s;
  }

  clone(): HashedLinearModel {
    const copy = new HashedLinearModel(this.bits, this.learningRate);
    copy.weights.set(this.weights);
    copy.squaredGradients.set(this.squaredGradients);
    copy.updates = this.updates;
    return copy;
  }

  /** A portable file: 'NBHL', a JSON header's length (u32 LE) and the header, then the deflated state. */
  toBytes(): Uint8Array {
    const header = Buffer.from(
      JSON.stringify({
        format: 'nextbest-hashed-linear',
        formatVersion: 1,
        bits: this.bits,
        learningRate: this.learningRate,
        updates: this.updates,
      }),
    );
    const state = Buffer.concat([
      Buffer.from(this.weights.buffer, this.weights.byteOffset, this.weights.byteLength),
      Buffer.from(
        this.squaredGradients.buffer,
        this.squaredGradients.byteOffset,
        this.squaredGradients.byteLength,
      ),
    ]);
    const length = Buffer.alloc(4);
    length.writeUInt32LE(header.length);
    return new Uint8Array(Buffer.concat([Buffer.from(MAGIC), length, header, deflateRawSync(state)]));
  }

  static fromBytes(bytes: Uint8Array): HashedLinearModel {
    const fail = (why: string): never => {
      throw new EngineError('E_MODEL_FORMAT', `not a NextBest model file: ${why}`, {
        hint: 'send the bytes GET /personalizer/v1.0/model returned, as application/octet-stream',
      });
    };
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (buffer.length < 8 || buffer.subarray(0, 4).toString() !== MAGIC) fail('it does not start with NBHL');
    const length = buffer.readUInt32LE(4);
    if (8 + length > buffer.length) fail('the header is cut short');
    let header: { format?: string; bits?: unknown; learningRate?: unknown; updates?: unknown };
    try {
      header = JSON.parse(buffer.subarray(8, 8 + length).toString());
    } catch {
      return fail('the header is not JSON');
    }
    const { bits, learningRate } = header;
    if (header.format !== 'nextbest-hashed-linear') fail(`unknown format '${header.format}'`);
    if (!Number.isInteger(bits) || (bits as number) < 1 || (bits as number) > 28) fail('bits must be 1..28');
    if (typeof learningRate !== 'number' || !(learningRate > 0)) fail('learningRate must be positive');
    let state: Buffer;
    try {
      state = inflateRawSync(buffer.subarray(8 + length), { maxOutputLength: 8 << (bits as number) });
    } catch {
      return fail('the weights do not inflate');
    }
    const size = 1 << (bits as number);
    if (state.length !== 8 * size) fail(`expected ${8 * size} bytes of state, got ${state.length}`);
    const model = new HashedLinearModel(bits as number, learningRate as number);
    const floats = new Float32Array(state.buffer.slice(state.byteOffset, state.byteOffset + state.length));
    model.weights.set(floats.subarray(0, size));
    model.squaredGradients.set(floats.subarray(size));
    model.updates = Number(header.updates) || 0;
    for (const w of model.weights) if (!Number.isFinite(w)) fail('a weight is not finite');
    return model;
  }

  /** One AdaGrad step on (prediction − target)², weighted (importance weights for logged data). */
  update(x: SparseFeatures, target: number, weight = 1): void {
    const error = this.predict(x) - target;
    for (let i = 0; i < x.indices.length; i++) {
      const j = x.indices[i];
      const g = weight * error * x.values[i];
      this.squaredGradients[j] += g * g;
      this.weights[j] -= (this.learningRate * g) / Math.sqrt(this.squaredGradients[j] + 1e-8);
    }
    this.updates++;
  }
}

/** ε-greedy as Personalizer explores: the best-scored action gets 1 − ε + ε/n, every other ε/n. */
export function epsilonGreedyProbabilities(scores: ArrayLike<number>, epsilon: number): number[] {
  const n = scores.length;
  let best = 0;
  for (let i = 1; i < n; i++) if (scores[i] > scores[best]) best = i;
  return Array.from({ length: n }, (_, i) => epsilon / n + (i === best ? 1 - epsilon : 0));
}

/**
 * An ε-greedy draw over model scores, seeded by the eventId so a repeated request ranks the same way.
 * The chosen action comes first, then the others by score.
 */
export function epsilonGreedyRanking(
  ids: string[],
  scores: number[],
  epsilon: number,
  eventId: string,
): { chosen: number; probabilities: number[]; order: number[] } {
  const n = ids.length;
  const probabilities = epsilonGreedyProbabilities(scores, epsilon);
  const u = new Rng(fnv1a(eventId)).float();
  let chosen = n - 1;
  for (let i = 0, acc = 0; i < n; i++) {
    acc += probabilities[i];
    if (u < acc) {
      chosen = i;
      break;
    }
  }
  const order = ids
    .map((_, i) => i)
    .filter((i) => i !== chosen)
    .sort((a, b) => scores[b] - scores[a]);
  return { chosen, probabilities, order: [chosen, ...order] };
}

/** A decision's features flattened and hashed once, to be scored by any number of models. */
export interface PreparedDecision {
  /** Indices of the actions not excluded. */
  eligible: number[];
  context: HashedContext;
  /** Flattened features of each eligible action, in `eligible` order. */
  actions: Array<Map<string, number>>;
}

export function prepareDecision(
  context: unknown[],
  actions: ReadonlyArray<{ id: string; features?: unknown[] | null }>,
  excluded: Iterable<string>,
): PreparedDecision {
  const skip = new Set(excluded);
  const prepared: PreparedDecision = {
    eligible: [],
    context: hashContext(flattenFeatures(context)),
    actions: [],
  };
  actions.forEach((a, i) => {
    if (skip.has(a.id)) return;
    prepared.eligible.push(i);
    prepared.actions.push(flattenFeatures(a.features ?? []));
  });
  return prepared;
}

/** The model's score of each eligible action of a prepared decision. */
export function scorePrepared(model: HashedLinearModel, d: PreparedDecision): number[] {
  return d.actions.map((a) => model.score(d.context, a));
}

/** A decision's eligible actions (not excluded) and the model's score for each. */
export function scoreActions(
  model: HashedLinearModel,
  context: unknown[],
  actions: ReadonlyArray<{ id: string; features?: unknown[] | null }>,
  excluded: Iterable<string>,
): { eligible: number[]; scores: number[] } {
  const prepared = prepareDecision(context, actions, excluded);
  return { eligible: prepared.eligible, scores: scorePrepared(model, prepared) };
}
