import type { Rng } from '../../core/rng.ts';

const align4 = (n: number) => (n + 3) & ~3;

/**
 * Hands out float offsets inside one flat parameter buffer, so that a network of several layers is
 * still one buffer for the optimiser, the target-network copy and the snapshot. Offsets are relative
 * to the buffer's start; layers add the buffer's heap offset at call time (the heap may move).
 */
export class ParameterPlan {
  size = 0;
  private readonly inits: Array<(p: Float32Array, rng: Rng) => void> = [];

  /** Reserve `length` floats, initialised U(−bound, bound) (bound 0 leaves zeros; ones for gains). */
  take(length: number, init: { uniform: number } | 'zeros' | 'ones'): number {
    const offset = this.size;
    this.size += align4(length);
    this.inits.push((p, rng) => {
      if (init === 'zeros') return;
      if (init === 'ones') {
        p.fill(1, offset, offset + length);
        return;
      }
      for (let i = 0; i < length; i++) p[offset + i] = rng.uniform(-init.uniform, init.uniform);
    });
    return offset;
  }

  /** Fill a fresh parameter view in reservation order (deterministic for a seed). */
  initialise(params: Float32Array, rng: Rng): void {
    for (const init of this.inits) init(params, rng);
  }
}
