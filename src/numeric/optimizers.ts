import { z } from 'zod';
import type { Heap, Tensor } from './heap.ts';

export const optimizerSchema = z.object({
  kind: z.enum(['adam', 'sgd']).default('adam'),
  learningRate: z.number().positive().default(1e-3),
  beta1: z.number().min(0).lt(1).default(0.9),
  beta2: z.number().min(0).lt(1).default(0.999),
  epsilon: z.number().positive().default(1e-8),
  /** Decoupled weight decay (AdamW); for SGD, the same shrinkage per step. */
  weightDecay: z.number().min(0).default(0),
  momentum: z.number().min(0).lt(1).default(0),
  /** Clip the global gradient L2 norm to this value before the step (0 = no clipping). */
  maxGradNorm: z.number().min(0).default(0),
});
export type OptimizerConfig = z.output<typeof optimizerSchema>;

/** Hard copy (τ = 1) or Polyak averaging θ⁻ ← θ⁻ + τ(θ − θ⁻) of one parameter buffer into another. */
export function softUpdate(target: Tensor, source: Tensor, tau = 1): void {
  if (tau >= 1) target.data.set(source.data);
  else target.heap.kernels.polyak(target.offset, source.offset, target.length, tau);
}

/** Scale grads so their global L2 norm is at most maxNorm (Pascanu et al. 2013). Returns the norm before. */
export function clipGradientNorm(grads: Tensor, maxNorm: number): number {
  const kernels = grads.heap.kernels;
  const norm = Math.sqrt(kernels.sumSquares(grads.offset, grads.length));
  if (maxNorm > 0 && norm > maxNorm) kernels.scale(grads.offset, grads.length, maxNorm / (norm + 1e-6));
  return norm;
}

/**
 * One optimiser over one flat parameter buffer: a single kernel call per step, whatever the depth of
 * the network. State (moments, step count) is exported for snapshots.
 */
export class Optimizer {
  readonly config: OptimizerConfig;
  step = 0;
  private readonly first: Tensor;
  private readonly second: Tensor | null;

  constructor(
    heap: Heap,
    readonly params: Tensor,
    readonly grads: Tensor,
    config: Partial<OptimizerConfig> = {},
  ) {
    this.config = optimizerSchema.parse(config);
    this.first = heap.alloc(params.length);
    this.second = this.config.kind === 'adam' ? heap.alloc(params.length) : null;
  }

  /** Apply one update from the accumulated gradients; returns the gradient norm before clipping. */
  apply(): number {
    const c = this.config;
    const kernels = this.params.heap.kernels;
    const norm = c.maxGradNorm > 0 ? clipGradientNorm(this.grads, c.maxGradNorm) : Number.NaN;
    this.step++;
    if (c.kind === 'adam' && this.second) {
      // Kingma & Ba 2015, §2: fold both bias corrections into the step size and epsilon.
      const correction1 = 1 - c.beta1 ** this.step;
      const correction2 = Math.sqrt(1 - c.beta2 ** this.step);
      kernels.adam(
        this.params.offset,
        this.grads.offset,
        this.first.offset,
        this.second.offset,
        this.params.length,
        (c.learningRate * correction2) / correction1,
        c.beta1,
        c.beta2,
        c.epsilon * correction2,
        c.learningRate * c.weightDecay,
      );
    } else {
      if (c.weightDecay > 0)
        kernels.scale(this.params.offset, this.params.length, 1 - c.learningRate * c.weightDecay);
      kernels.sgd(
        this.params.offset,
        this.grads.offset,
        this.first.offset,
        this.params.length,
        c.learningRate,
        c.momentum,
      );
    }
    return norm;
  }

  exportState(): { step: number; first: Float32Array; second: Float32Array | null } {
    return {
      step: this.step,
      first: this.first.data.slice(),
      second: this.second ? this.second.data.slice() : null,
    };
  }

  importState(state: { step: number; first: Float32Array; second: Float32Array | null }): void {
    this.step = state.step;
    this.first.set(state.first);
    if (this.second && state.second) this.second.set(state.second);
  }

  dispose(): void {
    this.first.free();
    this.second?.free();
  }
}
