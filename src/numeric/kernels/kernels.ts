/**
 * The small set of numeric kernels every layer, loss and optimiser is written against (the TensorFlow.js
 * ops/kernels split). Two implementations: `reference-kernels.ts` (plain TypeScript, the specification)
 * and `wasm-kernels.ts` (AssemblyScript SIMD). All addresses are float offsets into one f32 memory;
 * offset 0 is never allocated, so 0 means "none" (e.g. no bias).
 */
export const Activation = { none: 0, relu: 1, tanh: 2, sigmoid: 3 } as const;
export type ActivationName = keyof typeof Activation;
export type ActivationCode = (typeof Activation)[ActivationName];

export interface Kernels {
  readonly name: 'reference' | 'wasm-simd';
  /** The whole memory as floats. Replaced when memory grows: re-read it after any allocation. */
  readonly f32: Float32Array;
  /** Increments whenever `f32` is replaced. */
  readonly generation: number;
  /** Ensure the memory holds at least `floats` floats. */
  ensureCapacity(floats: number): void;

  /**
   * C[m×n] = act((accumulate ? C : 0) + bias + A·B). A[i,p] is at a + i·rs + p·cs (so A may be a
   * transposed view), B is row-major k×n, C row-major m×n, bias length n (0 = none).
   * Only `none` and `relu` may be fused here; apply tanh/sigmoid with activationForward.
   */
  gemm(
    c: number,
    a: number,
    b: number,
    bias: number,
    m: number,
    k: number,
    n: number,
    rs: number,
    cs: number,
    accumulate: boolean,
    activation: ActivationCode,
  ): void;
  /** dst[cols×rows] = srcᵀ for src row-major rows×cols. */
  transpose(dst: number, src: number, rows: number, cols: number): void;
  /** out[j] = (accumulate ? out[j] : 0) + Σ_i x[i,j] over x[m×n]. */
  columnSum(out: number, x: number, m: number, n: number, accumulate: boolean): void;
  /** out = f(x); may alias. */
  activationForward(out: number, x: number, length: number, kind: ActivationCode): void;
  /** dx = dy ⊙ f'(·), expressed through the forward output y; dx may alias dy. */
  activationBackward(dx: number, dy: number, y: number, length: number, kind: ActivationCode): void;
  /** Adam with bias corrections folded into stepSize and epsHat, and decoupled weight decay. */
  adam(
    params: number,
    grads: number,
    m: number,
    v: number,
    length: number,
    stepSize: number,
    beta1: number,
    beta2: number,
    epsHat: number,
    decay: number,
  ): void;
  /** velocity = μ·velocity + g; params −= lr·velocity. */
  sgd(params: number, grads: number, velocity: number, length: number, lr: number, momentum: number): void;
  /** Σ x² (accumulated in double precision). */
  sumSquares(x: number, length: number): number;
  /** x ← factor·x. */
  scale(x: number, length: number, factor: number): void;
  /** target ← target + τ(source − target). */
  polyak(target: number, source: number, length: number, tau: number): void;
}

/** First float offset handed out by a heap: everything below is reserved (WASM static data, "none"). */
export const HEAP_BASE_FLOATS = 16384;
