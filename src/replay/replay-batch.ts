/** A sampled minibatch in flat typed arrays (row-major), reused between updates. */
export interface ReplayBatch {
  size: number;
  indices: Int32Array;
  observations: Float32Array;
  actions: Int32Array;
  rewards: Float32Array;
  nextObservations: Float32Array;
  terminated: Uint8Array;
  /** γ^k for a k-step transition. */
  gammaPowers: Float32Array;
  /** Allowed actions in the next state, or null when the buffer stores no masks. */
  nextMasks: Uint8Array | null;
  /** Importance-sampling weights (prioritised replay); all 1 for uniform replay. */
  weights: Float32Array;
}

export function createBatch(
  batchSize: number,
  observationSize: number,
  actions: number,
  masks: boolean,
): ReplayBatch {
  return {
    size: batchSize,
    indices: new Int32Array(batchSize),
    observations: new Float32Array(batchSize * observationSize),
    actions: new Int32Array(batchSize),
    rewards: new Float32Array(batchSize),
    nextObservations: new Float32Array(batchSize * observationSize),
    terminated: new Uint8Array(batchSize),
    gammaPowers: new Float32Array(batchSize),
    nextMasks: masks ? new Uint8Array(batchSize * actions) : null,
    weights: new Float32Array(batchSize).fill(1),
  };
}

/** One (possibly n-step) experience as the replay stores it. */
export interface StoredTransition {
  observation: Float32Array;
  action: number;
  reward: number;
  nextObservation: Float32Array;
  terminated: boolean;
  gammaPower: number;
  nextActionMask?: Uint8Array;
}
