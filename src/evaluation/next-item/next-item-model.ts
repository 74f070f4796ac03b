import type { PreparedLog } from '../../data/prepare.ts';

/** A session's events so far, oldest first: item ids and event types (indices into the log's names). */
export interface SessionPrefix {
  items: Int32Array;
  types: Uint8Array;
  /** The session user's attributes by name, for models that read user features. */
  attribute?: (name: string) => string | number | null | undefined;
  /** When the next interaction happens (ms since the epoch), for models that read the time. */
  timestampMs?: number;
}

/**
 * A model that ranks the whole catalogue for the next interaction of a session: the baselines here,
 * and the sequence encoders of the offline-RL work. `fit` sees only the training part.
 */
export interface NextItemModel {
  readonly name: string;
  fit(prepared: PreparedLog): void;
  /** Writes one score per item (length = the log's item count); higher ranks first. */
  score(prefix: SessionPrefix, out: Float32Array): void;
}
