import type { Rng } from '../core/rng.ts';
import type { ReplayBatch, StoredTransition } from './replay-batch.ts';
import { SumTree } from './sum-tree.ts';
import { UniformReplay } from './uniform-replay.ts';

/**
 * Proportional prioritised experience replay (Schaul et al. 2016): P(i) = p_i / Σ p, sampled by
 * stratified prefix sums; importance weights w_i = (N · P(i))^−β / max_j w_j. New transitions enter
 * with the largest priority seen so far, so each is replayed at least once soon.
 * Priorities passed in are already p = (|δ| + ε)^α (see priorityFromTdError).
 */
export class PrioritizedReplay extends UniformReplay {
  private readonly tree: SumTree;
  private maxPriority = 1;

  constructor(capacity: number, observationSize: number, actionCount: number, storeMasks: boolean) {
    super(capacity, observationSize, actionCount, storeMasks);
    this.tree = new SumTree(capacity);
  }

  override add(t: StoredTransition): number {
    const slot = super.add(t);
    this.tree.set(slot, this.maxPriority);
    return slot;
  }

  /** Sample with probability ∝ priority; fills batch.weights with normalised IS weights for exponent β. */
  sampleWithPriority(batch: ReplayBatch, rng: Rng, beta: number): void {
    const total = this.tree.total;
    const segment = total / batch.size;
    for (let i = 0; i < batch.size; i++) {
      const mass = Math.min((i + rng.float()) * segment, total * (1 - 1e-12));
      batch.indices[i] = this.tree.find(mass);
    }
    this.gather(batch);
    // max_j w_j belongs to the smallest priority: w_max = (N · p_min / total)^−β.
    const n = this.size;
    const maxWeight = (n * (this.tree.min / total)) ** -beta;
    for (let i = 0; i < batch.size; i++) {
      const probability = this.tree.get(batch.indices[i]) / total;
      batch.weights[i] = (n * probability) ** -beta / maxWeight;
    }
  }

  updatePriorities(indices: Int32Array, priorities: ArrayLike<number>, count: number): void {
    for (let i = 0; i < count; i++) {
      const p = priorities[i];
      this.tree.set(indices[i], p);
      if (p > this.maxPriority) this.maxPriority = p;
    }
  }

  priority(index: number): number {
    return this.tree.get(index);
  }
}
