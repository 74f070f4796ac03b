import type { Rng } from '../core/rng.ts';
import type { ReplayBatch, StoredTransition } from './replay-batch.ts';

/**
 * Experience replay (Lin 1992; Mnih et al. 2015): a ring buffer of transitions in flat typed arrays,
 * sampled uniformly. Observations are stored twice (s and s') for simplicity of sampling; memory is
 * capacity × observationSize × 8 bytes.
 */
export class UniformReplay {
  protected readonly observations: Float32Array;
  protected readonly nextObservations: Float32Array;
  protected readonly actions: Int32Array;
  protected readonly rewards: Float32Array;
  protected readonly terminated: Uint8Array;
  protected readonly gammaPowers: Float32Array;
  protected readonly nextMasks: Uint8Array | null;
  protected cursor = 0;
  size = 0;

  constructor(
    readonly capacity: number,
    readonly observationSize: number,
    readonly actionCount: number,
    storeMasks: boolean,
  ) {
    this.observations = new Float32Array(capacity * observationSize);
    this.nextObservations = new Float32Array(capacity * observationSize);
    this.actions = new Int32Array(capacity);
    this.rewards = new Float32Array(capacity);
    this.terminated = new Uint8Array(capacity);
    this.gammaPowers = new Float32Array(capacity);
    this.nextMasks = storeMasks ? new Uint8Array(capacity * actionCount).fill(1) : null;
  }

  /** Store a transition; returns the slot it went to. */
  add(t: StoredTransition): number {
    const slot = this.cursor;
    const d = this.observationSize;
    this.observations.set(t.observation, slot * d);
    this.nextObservations.set(t.nextObservation, slot * d);
    this.actions[slot] = t.action;
    this.rewards[slot] = t.reward;
    this.terminated[slot] = t.terminated ? 1 : 0;
    this.gammaPowers[slot] = t.gammaPower;
    if (this.nextMasks) {
      const row = slot * this.actionCount;
      if (t.nextActionMask) this.nextMasks.set(t.nextActionMask, row);
      else this.nextMasks.fill(1, row, row + this.actionCount);
    }
    this.cursor = (this.cursor + 1) % this.capacity;
    this.size = Math.min(this.size + 1, this.capacity);
    return slot;
  }

  sample(batch: ReplayBatch, rng: Rng): void {
    for (let i = 0; i < batch.size; i++) batch.indices[i] = rng.int(this.size);
    this.gather(batch);
  }

  /** Copy the rows named by batch.indices into the batch arrays. */
  protected gather(batch: ReplayBatch): void {
    const d = this.observationSize;
    const n = this.actionCount;
    for (let i = 0; i < batch.size; i++) {
      const slot = batch.indices[i];
      batch.observations.set(this.observations.subarray(slot * d, slot * d + d), i * d);
      batch.nextObservations.set(this.nextObservations.subarray(slot * d, slot * d + d), i * d);
      batch.actions[i] = this.actions[slot];
      batch.rewards[i] = this.rewards[slot];
      batch.terminated[i] = this.terminated[slot];
      batch.gammaPowers[i] = this.gammaPowers[slot];
      if (this.nextMasks && batch.nextMasks) {
        batch.nextMasks.set(this.nextMasks.subarray(slot * n, slot * n + n), i * n);
      }
    }
  }
}
