import { Activation, type ActivationCode, HEAP_BASE_FLOATS, type Kernels } from './kernels.ts';

/**
 * The specification of every kernel: plain loops, no tricks. Used in tests, as the fallback where
 * WebAssembly is unavailable, and as the yardstick the SIMD kernels are checked against.
 */
export class ReferenceKernels implements Kernels {
  readonly name = 'reference' as const;
  f32: Float32Array;
  generation = 0;

  constructor(initialFloats = HEAP_BASE_FLOATS * 4) {
    this.f32 = new Float32Array(initialFloats);
  }

  ensureCapacity(floats: number): void {
    if (floats <= this.f32.length) return;
    const grown = new Float32Array(Math.max(floats, this.f32.length * 2));
    grown.set(this.f32);
    this.f32 = grown;
    this.generation++;
  }

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
  ): void {
    const x = this.f32;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let p = 0; p < k; p++) sum += x[a + i * rs + p * cs] * x[b + p * n + j];
        const at = c + i * n + j;
        if (accumulate) sum += x[at];
        if (bias) sum += x[bias + j];
        if (activation === Activation.relu && sum < 0) sum = 0;
        x[at] = sum;
      }
    }
  }

  transpose(dst: number, src: number, rows: number, cols: number): void {
    const x = this.f32;
    for (let i = 0; i < rows; i++)
      for (let j = 0; j < cols; j++) x[dst + j * rows + i] = x[src + i * cols + j];
  }

  columnSum(out: number, x: number, m: number, n: number, accumulate: boolean): void {
    const f = this.f32;
    for (let j = 0; j < n; j++) {
      let sum = accumulate ? f[out + j] : 0;
      for (let i = 0; i < m; i++) sum += f[x + i * n + j];
      f[out + j] = sum;
    }
  }

  activationForward(out: number, x: number, length: number, kind: ActivationCode): void {
    const f = this.f32;
    for (let i = 0; i < length; i++) {
      const v = f[x + i];
      f[out + i] =
        kind === Activation.relu
          ? Math.max(v, 0)
          : kind === Activation.tanh
            ? Math.tanh(v)
            : kind === Activation.sigmoid
              ? 1 / (1 + Math.exp(-v))
              : v;
    }
  }

  activationBackward(dx: number, dy: number, y: number, length: number, kind: ActivationCode): void {
    const f = this.f32;
    for (let i = 0; i < length; i++) {
      const out = f[y + i];
      const derivative =
        kind === Activation.relu
          ? out > 0
            ? 1
            : 0
          : kind === Activation.tanh
            ? 1 - out * out
            : kind === Activation.sigmoid
              ? out * (1 - out)
              : 1;
      f[dx + i] = f[dy + i] * derivative;
    }
  }

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
  ): void {
    const f = this.f32;
    for (let i = 0; i < length; i++) {
      const g = f[grads + i];
      const mi = beta1 * f[m + i] + (1 - beta1) * g;
      const vi = beta2 * f[v + i] + (1 - beta2) * g * g;
      f[m + i] = mi;
      f[v + i] = vi;
      f[params + i] = (1 - decay) * f[params + i] - (stepSize * mi) / (Math.sqrt(vi) + epsHat);
    }
  }

  sgd(params: number, grads: number, velocity: number, length: number, lr: number, momentum: number): void {
    const f = this.f32;
    for (let i = 0; i < length; i++) {
      const vel = momentum * f[velocity + i] + f[grads + i];
      f[velocity + i] = vel;
      f[params + i] -= lr * vel;
    }
  }

  sumSquares(x: number, length: number): number {
    const f = this.f32;
    let total = 0;
    for (let i = 0; i < length; i++) total += f[x + i] * f[x + i];
    return total;
  }

  scale(x: number, length: number, factor: number): void {
    const f = this.f32;
    for (let i = 0; i < length; i++) f[x + i] *= factor;
  }

  polyak(target: number, source: number, length: number, tau: number): void {
    const f = this.f32;
    for (let i = 0; i < length; i++) f[target + i] += tau * (f[source + i] - f[target + i]);
  }
}
