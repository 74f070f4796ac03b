import { readFileSync } from 'node:fs';
import { softmaxProbabilities } from '../agents/exploration.ts';
import { EngineError } from '../core/engine-error.ts';
import { Rng } from '../core/rng.ts';
import { SequenceRecommender } from '../evaluation/next-item/sequence-recommender.ts';
import { badRequest } from './errors.ts';
import { seedOf } from './evaluations.ts';
import type { RecommendRequest } from './routes/native.ts';

export interface Recommendation {
  items: Array<{ id: string; score: number }>;
  /** The first item, the one whose reward the log will join. */
  chosenId: string;
  /** Probability the first item had of being chosen first (1 without exploration). */
  propensity: number;
  /** History items the model's catalogue lacks (new products): left out of the state. */
  unknownItems: string[];
}

/**
 * A trained sequence model served: history in, next items out. The model file (from
 * `nextbest train --data`) carries the catalogue, the event types and the user/context encoder, so
 * a request names items and types as the shop's log did.
 */
export class SequenceService {
  readonly itemIds: readonly string[];
  readonly typeNames: readonly string[];
  private readonly index: Map<string, number>;
  private readonly scores: Float32Array;
  /** When this model was read from its file. */
  readonly loadedAt = new Date().toISOString();

  constructor(
    readonly model: SequenceRecommender,
    document: { itemIds: string[] },
    readonly source: string,
  ) {
    this.itemIds = document.itemIds;
    this.typeNames = model.eventTypes;
    this.index = new Map(this.itemIds.map((id, i) => [id, i]));
    this.scores = new Float32Array(this.itemIds.length);
  }

  static fromFile(path: string): SequenceService {
    let document: unknown;
    try {
      document = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      throw new EngineError(
        'E_MODEL_INVALID',
        `cannot read sequence model '${path}': ${(error as Error).message}`,
        {
          hint: "pass a file written by 'nextbest train --data ... --out model.json'",
          path,
        },
      );
    }
    const model = SequenceRecommender.fromJSON(document);
    return new SequenceService(model, document as { itemIds: string[] }, path);
  }

  /** What is served, for GET /v1/recommender. */
  describe(): Record<string, unknown> {
    const encoder = this.model.contextEncoder;
    return {
      name: this.model.name,
      source: this.source,
      loadedAt: this.loadedAt,
      items: this.itemIds.length,
      eventTypes: this.typeNames,
      length: this.model.agent?.length,
      userAttributes: encoder?.attributes ?? [],
      timeFeatures: encoder?.time ?? false,
      epochs: this.model.history.length,
    };
  }

  recommend(request: RecommendRequest, eventId: string, nowMs: number): Recommendation {
    const unknownTypes = [...new Set(request.history.map((h) => h.type))].filter(
      (t) => !this.typeNames.includes(t),
    );
    if (unknownTypes.length > 0) {
      throw badRequest(
        `history has event type(s) ${unknownTypes.map((t) => `'${t}'`).join(', ')} the model does not know: use one of ${this.typeNames.join(', ')}`,
        'E_UNKNOWN_EVENT_TYPE',
      );
    }
    const items: number[] = [];
    const types: number[] = [];
    const unknownItems: string[] = [];
    for (const h of request.history) {
      const i = this.index.get(h.itemId);
      if (i === undefined) {
        if (!unknownItems.includes(h.itemId)) unknownItems.push(h.itemId);
        continue;
      }
      items.push(i);
      types.push(this.typeNames.indexOf(h.type));
    }
    const allowed = new Uint8Array(this.itemIds.length);
    if (request.candidates) {
      const unknown = request.candidates.filter((id) => !this.index.has(id));
      if (unknown.length > 0) {
        throw badRequest(
          `candidates the model's catalogue lacks: ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ` and ${unknown.length - 5} more` : ''} (a sequence model ranks the items it was trained on: retrain to include new ones)`,
          'E_UNKNOWN_ITEM',
        );
      }
      for (const id of request.candidates) allowed[this.index.get(id) as number] = 1;
    } else allowed.fill(1);
    for (const id of request.excluded) {
      const i = this.index.get(id);
      if (i !== undefined) allowed[i] = 0;
    }
    const open = allowed.reduce((a, b) => a + b, 0);
    if (open === 0) {
      throw badRequest('every candidate is excluded: nothing is left to recommend', 'E_NO_ACTIONS');
    }
    const attributes = request.userAttributes;
    this.model.score(
      {
        items: Int32Array.from(items),
        types: Uint8Array.from(types),
        attribute: (name) => attributes[name],
        timestampMs: nowMs,
      },
      this.scores,
    );
    const scores = this.scores;
    const ranked: number[] = [];
    for (let i = 0; i < scores.length; i++) if (allowed[i]) ranked.push(i);
    ranked.sort((a, b) => scores[b] - scores[a] || a - b);
    const count = Math.min(request.count, ranked.length);
    let first = ranked[0];
    let propensity = 1;
    if (request.explore) {
      const temperature = request.temperature ?? this.model.agent?.config.temperature ?? 1;
      const p = softmaxProbabilities(scores, scores.length, temperature, allowed);
      first = new Rng(seedOf(eventId)).categorical(p);
      propensity = p[first];
    }
    const order = [first, ...ranked.filter((i) => i !== first)].slice(0, count);
    return {
      items: order.map((i) => ({ id: this.itemIds[i], score: scores[i] })),
      chosenId: this.itemIds[first],
      propensity,
      unknownItems,
    };
  }

  dispose(): void {
    this.model.dispose();
  }
}
