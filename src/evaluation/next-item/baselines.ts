import type { PreparedLog } from '../../data/prepare.ts';
import type { NextItemModel, SessionPrefix } from './next-item-model.ts';

/** Training-part events per item: the baseline every recommender must beat. */
export class PopularityModel implements NextItemModel {
  readonly name = 'popularity';
  private counts = new Float32Array(0);

  fit(prepared: PreparedLog): void {
    const { log, sessionStarts, sessionPart } = prepared;
    this.counts = new Float32Array(log.itemIds.length);
    for (let s = 0; s < sessionPart.length; s++) {
      if (sessionPart[s] !== 0) continue;
      for (let i = sessionStarts[s]; i < sessionStarts[s + 1]; i++) this.counts[log.items[i]]++;
    }
  }

  score(_prefix: SessionPrefix, out: Float32Array): void {
    out.set(this.counts);
  }
}

export interface SessionKnnOptions {
  /** Neighbours whose items are scored. */
  neighbours?: number;
  /** Candidate sessions considered: the most recent ones sharing an item with the prefix. */
  sampleSize?: number;
}

/**
 * Session-based kNN (Jannach & Ludewig 2017, "When recurrent neural networks meet the
 * neighborhood for session-based recommendation"): the training sessions most similar to the
 * current one (cosine over item sets, among the most recent sessions sharing an item) vote for
 * their items, weighted by similarity. Strong on session benchmarks, often beating GRU4Rec.
 */
export class SessionKnnModel implements NextItemModel {
  readonly name = 'session-knn';
  private readonly neighbours: number;
  private readonly sampleSize: number;
  /** Training sessions' distinct items. */
  private sessionItems: Int32Array[] = [];
  /** item → training sessions containing it, most recent first. */
  private sessionsOfItem: Int32Array[] = [];
  private popularity = new Float32Array(0);

  constructor(options: SessionKnnOptions = {}) {
    this.neighbours = options.neighbours ?? 100;
    this.sampleSize = options.sampleSize ?? 500;
  }

  fit(prepared: PreparedLog): void {
    const { log, sessionStarts, sessionPart } = prepared;
    const itemCount = log.itemIds.length;
    this.sessionItems = [];
    const lists: number[][] = Array.from({ length: itemCount }, () => []);
    this.popularity = new Float32Array(itemCount);
    // Sessions are numbered in order of their end time, so walking backwards is most-recent-first.
    for (let s = sessionPart.length - 1; s >= 0; s--) {
      if (sessionPart[s] !== 0) continue;
      const items = new Set<number>();
      for (let i = sessionStarts[s]; i < sessionStarts[s + 1]; i++) {
        items.add(log.items[i]);
        this.popularity[log.items[i]]++;
      }
      const id = this.sessionItems.length;
      this.sessionItems.push(Int32Array.from(items));
      for (const item of items) lists[item].push(id);
    }
    this.sessionsOfItem = lists.map((list) => Int32Array.from(list));
    // Popularity, scaled below any neighbour vote, breaks ties among items no neighbour holds.
    let max = 0;
    for (const c of this.popularity) max = Math.max(max, c);
    for (let i = 0; i < itemCount; i++) this.popularity[i] = (1e-6 * this.popularity[i]) / Math.max(1, max);
  }

  score(prefix: SessionPrefix, out: Float32Array): void {
    out.set(this.popularity);
    const current = new Set<number>(prefix.items);
    if (current.size === 0) return;
    // Candidates: the most recent sessions holding any current item (ids are recency ranks).
    const candidates = new Set<number>();
    for (const item of current) for (const s of this.sessionsOfItem[item] ?? []) candidates.add(s);
    const sample = [...candidates].sort((a, b) => a - b).slice(0, this.sampleSize);
    const scored: { s: number; similarity: number }[] = [];
    for (const s of sample) {
      const items = this.sessionItems[s];
      let overlap = 0;
      for (const item of items) if (current.has(item)) overlap++;
      if (overlap > 0) scored.push({ s, similarity: overlap / Math.sqrt(current.size * items.length) });
    }
    scored.sort((a, b) => b.similarity - a.similarity || a.s - b.s);
    for (const { s, similarity } of scored.slice(0, this.neighbours)) {
      for (const item of this.sessionItems[s]) out[item] += similarity;
    }
  }
}
