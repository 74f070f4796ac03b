import { Rng } from '../core/rng.ts';

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

/** A sparse feature vector: hashed indices and values. */
export interface SparseFeatures {
  indices: Uint32Array;
  values: Float32Array;
}

/**
 * Personalizer-style features (an array of objects, nested freely) flattened to named features:
 * a string becomes `path=value` with value 1, a number `path` with its value, a boolean `path=true|false`.
 */
export function flattenFeatures(
  features: unknown,
  prefix = '',
  out: Map<string, number> = new Map(),
): Map<string, number> {
  if (Array.isArray(features)) {
    for (let i = 0; i < features.length; i++) {
      flattenFeatures(features[i], prefix === '' ? '' : `${prefix}[${i}]`, out);
    }
  } else if (features !== null && typeof features === 'object') {
    for (const [key, value] of Object.entries(features as Record<string, unknown>)) {
      flattenFeatures(value, prefix === '' ? key : `${prefix}.${key}`, out);
    }
  } else if (typeof features === 'number' && Number.isFinite(features)) {
    out.set(prefix, (out.get(prefix) ?? 0) + features);
  } else if (typeof features === 'string' || typeof features === 'boolean') {
    out.set(`${prefix}=${features}`, 1);
  }
  return out;
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

  /** The context's hashed features: computed once per request, shared by every action's featurize. */
  hashContext(context: Map<string, number>): HashedContext {
    return [...context].map(([k, v]) => [fnv1a(`c:${k}`), v] as const);
  }

  /** Features of one action in one context: bias, context, action, and every context × action pair. */
  featurize(context: HashedContext | Map<string, number>, action: Map<string, number>): SparseFeatures {
    const indices: number[] = [fnv1a('bias') & this.mask];
    const values: number[] = [1];
    const contextHashes = context instanceof Map ? this.hashContext(context) : context;
    const actionHashes = [...action].map(([k, v]) => [fnv1a(`a:${k}`), v] as const);
    for (const [h, v] of contextHashes) {
      indices.push(h & this.mask);
      values.push(v);
    }
    for (const [h, v] of actionHashes) {
      indices.push(h & this.mask);
      values.push(v);
      for (const [c, w] of contextHashes) {
        indices.push((Math.imul(c, 0x9e3779b1) ^ h) & this.mask);
        values.push(v * w);
      }
    }
    return { indices: Uint32Array.from(indices), values: Float32Array.from(values) };
  }

  predict(x: SparseFeatures): number {
    let s = 0;
    for (let i = 0; i < x.indices.length; i++) s += this.weights[x.indices[i]] * x.values[i];
    return s;
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

/**
 * ε-greedy over model scores, as Personalizer explores: the best action gets 1 − ε + ε/n, every other
 * ε/n. The draw is seeded by the eventId, so a repeated request ranks the same way.
 */
export function epsilonGreedyRanking(
  ids: string[],
  scores: number[],
  epsilon: number,
  eventId: string,
): { chosen: number; probabilities: number[]; order: number[] } {
  const n = ids.length;
  let best = 0;
  for (let i = 1; i < n; i++) if (scores[i] > scores[best]) best = i;
  const probabilities = ids.map((_, i) => epsilon / n + (i === best ? 1 - epsilon : 0));
  const rng = new Rng(fnv1a(eventId));
  const u = rng.float();
  let chosen = n - 1;
  for (let i = 0, acc = 0; i < n; i++) {
    acc += probabilities[i];
    if (u < acc) {
      chosen = i;
      break;
    }
  }
  // The chosen action first, then the others by score.
  const order = ids
    .map((_, i) => i)
    .filter((i) => i !== chosen)
    .sort((a, b) => scores[b] - scores[a]);
  return { chosen, probabilities, order: [chosen, ...order] };
}
