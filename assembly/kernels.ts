// NextBest numeric kernels, WebAssembly SIMD build (AssemblyScript).
// Every function mirrors src/numeric/kernels/reference-kernels.ts, which is the specification.
// Pointers are byte offsets into the imported memory; all buffers are f32 and 16-byte aligned.
// No allocation, no runtime: pure loops over linear memory.

// a·b + c. The relaxed-SIMD build (scripts/build-wasm.mjs) swaps this one line for a fused
// multiply-add, f32x4.relaxed_madd, where the runtime supports it.
// @ts-ignore: decorator
@inline function madd(a: v128, b: v128, c: v128): v128 {
  return f32x4.add(c, f32x4.mul(a, b)); // MADD
}

// Scratch for one packed panel of B (KC rows × 8 columns, contiguous), below the JS heap (which starts
// at 64 KiB; AssemblyScript's static data sits at 1 KiB).
// Each instance (the main thread, a worker) packs into its own panel: a global is per instance even
// when the memory is shared. Main thread at 16 KiB, a worker at 32 KiB (setPanel).
let PANEL: usize = 16384;
const KC: i32 = 512; // 512 rows × 32 bytes = 16 KiB per panel

export function setPanel(address: usize): void {
  PANEL = address;
}

// C[m×n] = act((accumulate ? C : 0) + bias + A·B), A[i,p] at a + 4(i·rs + p·cs), B row-major k×n.
// Register-blocked 4 rows × 8 columns (two v128 per row). For each 8-column strip, B is first packed
// into a contiguous panel: read in place it strides by n floats, which thrashes L1 sets when n·4 is a
// multiple of 1 KiB (n = 256). k is split in chunks of KC so the panel always fits.
export function gemm(
  c: usize, a: usize, b: usize, bias: usize,
  m: i32, k: i32, n: i32, rs: i32, cs: i32,
  accumulate: i32, activation: i32,
): void {
  const aRow = (<usize>rs) << 2;
  const aStep = (<usize>cs) << 2;
  const bRow = (<usize>n) << 2;
  const zero = f32x4.splat(0);
  let j = 0;
  if (m < 4) {
    // Few rows (batch-1 inference): 32 columns at a time, 8 independent accumulators per row so the
    // adds do not wait on each other; B rows are read contiguously.
    for (; j + 32 <= n; j += 32) {
      for (let i = 0; i < m; i++) {
        let c0 = zero, c1 = zero, c2 = zero, c3 = zero, c4 = zero, c5 = zero, c6 = zero, c7 = zero;
        let pa = a + <usize>i * aRow;
        let pb = b + (<usize>j << 2);
        for (let p = 0; p < k; p++) {
          const s = v128.load32_splat(pa);
          c0 = madd(s, v128.load(pb), c0);
          c1 = madd(s, v128.load(pb, 16), c1);
          c2 = madd(s, v128.load(pb, 32), c2);
          c3 = madd(s, v128.load(pb, 48), c3);
          c4 = madd(s, v128.load(pb, 64), c4);
          c5 = madd(s, v128.load(pb, 80), c5);
          c6 = madd(s, v128.load(pb, 96), c6);
          c7 = madd(s, v128.load(pb, 112), c7);
          pa += aStep;
          pb += bRow;
        }
        const pc = c + ((<usize>i * <usize>n + <usize>j) << 2);
        store8(pc, c0, c1, bias, j, accumulate, activation);
        store8(pc + 32, c2, c3, bias, j + 8, accumulate, activation);
        store8(pc + 64, c4, c5, bias, j + 16, accumulate, activation);
        store8(pc + 96, c6, c7, bias, j + 24, accumulate, activation);
      }
    }
  }
  for (; j + 8 <= n; j += 8) {
    for (let p0 = 0; p0 < k; p0 += KC) {
      const kc = min(KC, k - p0);
      const last = p0 + kc >= k;
      const acc = p0 == 0 ? accumulate : 1;
      const bi: usize = last ? bias : 0;
      const act = last ? activation : 0;
      // Packing pays only when the panel is reused by enough rows of A.
      const packed = m >= 8;
      let panel = b + <usize>p0 * bRow + (<usize>j << 2);
      let stride = bRow;
      if (packed) {
        let src = panel;
        for (let p = 0; p < kc; p++) {
          const dst = PANEL + (<usize>p << 5);
          v128.store(dst, v128.load(src));
          v128.store(dst, v128.load(src, 16), 16);
          src += bRow;
        }
        panel = PANEL;
        stride = 32;
      }
      const end = panel + <usize>kc * stride;
      let i = 0;
      for (; i + 4 <= m; i += 4) {
        let c00 = zero, c01 = zero, c10 = zero, c11 = zero;
        let c20 = zero, c21 = zero, c30 = zero, c31 = zero;
        let pa = a + <usize>i * aRow + <usize>p0 * aStep;
        let pb = panel;
        while (pb < end) {
          const b0 = v128.load(pb);
          const b1 = v128.load(pb, 16);
          let s = v128.load32_splat(pa);
          c00 = madd(s, b0, c00);
          c01 = madd(s, b1, c01);
          s = v128.load32_splat(pa + aRow);
          c10 = madd(s, b0, c10);
          c11 = madd(s, b1, c11);
          s = v128.load32_splat(pa + 2 * aRow);
          c20 = madd(s, b0, c20);
          c21 = madd(s, b1, c21);
          s = v128.load32_splat(pa + 3 * aRow);
          c30 = madd(s, b0, c30);
          c31 = madd(s, b1, c31);
          pa += aStep;
          pb += stride;
        }
        const pc = c + ((<usize>i * <usize>n + <usize>j) << 2);
        store8(pc, c00, c01, bi, j, acc, act);
        store8(pc + bRow, c10, c11, bi, j, acc, act);
        store8(pc + 2 * bRow, c20, c21, bi, j, acc, act);
        store8(pc + 3 * bRow, c30, c31, bi, j, acc, act);
      }
      for (; i < m; i++) {
        let c00 = zero, c01 = zero;
        let pa = a + <usize>i * aRow + <usize>p0 * aStep;
        let pb = panel;
        while (pb < end) {
          const s = v128.load32_splat(pa);
          c00 = madd(s, v128.load(pb), c00);
          c01 = madd(s, v128.load(pb, 16), c01);
          pa += aStep;
          pb += stride;
        }
        store8(c + ((<usize>i * <usize>n + <usize>j) << 2), c00, c01, bi, j, acc, act);
      }
    }
  }
  for (; j + 4 <= n; j += 4) {
    for (let i = 0; i < m; i++) {
      let c00 = zero;
      let pa = a + <usize>i * aRow;
      let pb = b + (<usize>j << 2);
      for (let p = 0; p < k; p++) {
        c00 = madd(v128.load32_splat(pa), v128.load(pb), c00);
        pa += aStep;
        pb += bRow;
      }
      store4(c + ((<usize>i * <usize>n + <usize>j) << 2), c00, bias, j, accumulate, activation);
    }
  }
  for (; j < n; j++) {
    for (let i = 0; i < m; i++) {
      let sum: f32 = 0;
      let pa = a + <usize>i * aRow;
      let pb = b + (<usize>j << 2);
      for (let p = 0; p < k; p++) {
        sum += load<f32>(pa) * load<f32>(pb);
        pa += aStep;
        pb += bRow;
      }
      const pc = c + ((<usize>i * <usize>n + <usize>j) << 2);
      if (accumulate) sum += load<f32>(pc);
      if (bias) sum += load<f32>(bias + (<usize>j << 2));
      if (activation == 1 && sum < 0) sum = 0;
      store<f32>(pc, sum);
    }
  }
}

@inline function store4(pc: usize, v: v128, bias: usize, j: i32, accumulate: i32, activation: i32): void {
  if (accumulate) v = f32x4.add(v, v128.load(pc));
  if (bias) v = f32x4.add(v, v128.load(bias + (<usize>j << 2)));
  if (activation == 1) v = f32x4.max(v, f32x4.splat(0));
  v128.store(pc, v);
}

// @ts-expect-error: decorator
@inline function store8(pc: usize, v0: v128, v1: v128, bias: usize, j: i32, accumulate: i32, activation: i32): void {
  store4(pc, v0, bias, j, accumulate, activation);
  store4(pc + 16, v1, bias, j + 4, accumulate, activation);
}

// dst[cols×rows] = srcᵀ, src row-major rows×cols. Blocked 8×8 for cache reuse.
export function transpose(dst: usize, src: usize, rows: i32, cols: i32): void {
  for (let i0 = 0; i0 < rows; i0 += 8) {
    const iEnd = min(i0 + 8, rows);
    for (let j0 = 0; j0 < cols; j0 += 8) {
      const jEnd = min(j0 + 8, cols);
      for (let i = i0; i < iEnd; i++) {
        for (let j = j0; j < jEnd; j++) {
          store<f32>(dst + ((<usize>j * <usize>rows + <usize>i) << 2), load<f32>(src + ((<usize>i * <usize>cols + <usize>j) << 2)));
        }
      }
    }
  }
}

// out[j] = (accumulate ? out[j] : 0) + Σ_i x[i, j] over x[m×n]: the bias gradient.
export function columnSum(out: usize, x: usize, m: i32, n: i32, accumulate: i32): void {
  if (!accumulate) memory.fill(out, 0, <usize>n << 2);
  const row = <usize>n << 2;
  for (let i = 0; i < m; i++) {
    const px = x + <usize>i * row;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const o = out + (<usize>j << 2);
      v128.store(o, f32x4.add(v128.load(o), v128.load(px + (<usize>j << 2))));
    }
    for (; j < n; j++) {
      const o = out + (<usize>j << 2);
      store<f32>(o, load<f32>(o) + load<f32>(px + (<usize>j << 2)));
    }
  }
}

// Activation functions, forward (out = f(x), may alias) and backward (dx = dy · f'(.) from the output y).
// kind: 1 relu, 2 tanh, 3 sigmoid.
export function activationForward(out: usize, x: usize, len: i32, kind: i32): void {
  if (kind == 1) {
    const z = f32x4.splat(0);
    let i = 0;
    for (; i + 4 <= len; i += 4) v128.store(out + (<usize>i << 2), f32x4.max(v128.load(x + (<usize>i << 2)), z));
    for (; i < len; i++) store<f32>(out + (<usize>i << 2), max<f32>(load<f32>(x + (<usize>i << 2)), 0));
  } else if (kind == 2) {
    for (let i = 0; i < len; i++) store<f32>(out + (<usize>i << 2), tanh32(load<f32>(x + (<usize>i << 2))));
  } else if (kind == 3) {
    for (let i = 0; i < len; i++) store<f32>(out + (<usize>i << 2), sigmoid32(load<f32>(x + (<usize>i << 2))));
  } else if (out != x) {
    memory.copy(out, x, <usize>len << 2);
  }
}

export function activationBackward(dx: usize, dy: usize, y: usize, len: i32, kind: i32): void {
  if (kind == 1) {
    const z = f32x4.splat(0);
    let i = 0;
    for (; i + 4 <= len; i += 4) {
      const o = <usize>i << 2;
      const mask = f32x4.gt(v128.load(y + o), z);
      v128.store(dx + o, v128.and(v128.load(dy + o), mask));
    }
    for (; i < len; i++) {
      const o = <usize>i << 2;
      store<f32>(dx + o, load<f32>(y + o) > 0 ? load<f32>(dy + o) : 0);
    }
  } else if (kind == 2) {
    for (let i = 0; i < len; i++) {
      const o = <usize>i << 2;
      const t = load<f32>(y + o);
      store<f32>(dx + o, load<f32>(dy + o) * (1 - t * t));
    }
  } else if (kind == 3) {
    for (let i = 0; i < len; i++) {
      const o = <usize>i << 2;
      const s = load<f32>(y + o);
      store<f32>(dx + o, load<f32>(dy + o) * s * (1 - s));
    }
  } else if (dx != dy) {
    memory.copy(dx, dy, <usize>len << 2);
  }
}

// @ts-expect-error: decorator
@inline function tanh32(x: f32): f32 {
  // tanh(x) = 1 − 2/(e^{2x}+1), clamped where f32 exp overflows.
  if (x > 15) return 1;
  if (x < -15) return -1;
  const e = Mathf.exp(2 * x);
  return (e - 1) / (e + 1);
}

// @ts-expect-error: decorator
@inline function sigmoid32(x: f32): f32 {
  if (x >= 0) return 1 / (1 + Mathf.exp(-x));
  const e = Mathf.exp(x);
  return e / (1 + e);
}

// Adam (Kingma & Ba 2015, Algorithm 1) over one flat buffer, with decoupled weight decay (AdamW,
// Loshchilov & Hutter 2019). stepSize = lr·√(1−β2^t)/(1−β1^t) and epsHat = eps·√(1−β2^t) fold the bias
// corrections into two scalars (the paper's "more efficient" ordering, §2).
export function adam(
  params: usize, grads: usize, m: usize, v: usize, len: i32,
  stepSize: f32, beta1: f32, beta2: f32, epsHat: f32, decay: f32,
): void {
  const b1 = f32x4.splat(beta1), nb1 = f32x4.splat(1 - beta1);
  const b2 = f32x4.splat(beta2), nb2 = f32x4.splat(1 - beta2);
  const step = f32x4.splat(stepSize), eps = f32x4.splat(epsHat), keep = f32x4.splat(1 - decay);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const o = <usize>i << 2;
    const g = v128.load(grads + o);
    const mi = f32x4.add(f32x4.mul(b1, v128.load(m + o)), f32x4.mul(nb1, g));
    const vi = f32x4.add(f32x4.mul(b2, v128.load(v + o)), f32x4.mul(nb2, f32x4.mul(g, g)));
    v128.store(m + o, mi);
    v128.store(v + o, vi);
    const update = f32x4.div(f32x4.mul(step, mi), f32x4.add(f32x4.sqrt(vi), eps));
    v128.store(params + o, f32x4.sub(f32x4.mul(keep, v128.load(params + o)), update));
  }
  for (; i < len; i++) {
    const o = <usize>i << 2;
    const g = load<f32>(grads + o);
    const mi = beta1 * load<f32>(m + o) + (1 - beta1) * g;
    const vi = beta2 * load<f32>(v + o) + (1 - beta2) * g * g;
    store<f32>(m + o, mi);
    store<f32>(v + o, vi);
    store<f32>(params + o, (1 - decay) * load<f32>(params + o) - (stepSize * mi) / (Mathf.sqrt(vi) + epsHat));
  }
}

// SGD with classical momentum: vel = μ·vel + g; params −= lr·vel (μ = 0: plain SGD).
export function sgd(params: usize, grads: usize, velocity: usize, len: i32, lr: f32, momentum: f32): void {
  for (let i = 0; i < len; i++) {
    const o = <usize>i << 2;
    const vel = momentum * load<f32>(velocity + o) + load<f32>(grads + o);
    store<f32>(velocity + o, vel);
    store<f32>(params + o, load<f32>(params + o) - lr * vel);
  }
}

// Σ x², accumulated in f64 (gradient-norm clipping needs it exact enough for large buffers).
export function sumSquares(x: usize, len: i32): f64 {
  let acc = f32x4.splat(0);
  let total: f64 = 0;
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    acc = madd(v, v, acc);
    if ((i & 1023) == 1020) {
      total += <f64>f32x4.extract_lane(acc, 0) + <f64>f32x4.extract_lane(acc, 1) +
        <f64>f32x4.extract_lane(acc, 2) + <f64>f32x4.extract_lane(acc, 3);
      acc = f32x4.splat(0);
    }
  }
  total += <f64>f32x4.extract_lane(acc, 0) + <f64>f32x4.extract_lane(acc, 1) +
    <f64>f32x4.extract_lane(acc, 2) + <f64>f32x4.extract_lane(acc, 3);
  for (; i < len; i++) {
    const v = <f64>load<f32>(x + (<usize>i << 2));
    total += v * v;
  }
  return total;
}

export function scale(x: usize, len: i32, factor: f32): void {
  const f = f32x4.splat(factor);
  let i = 0;
  for (; i + 4 <= len; i += 4) v128.store(x + (<usize>i << 2), f32x4.mul(v128.load(x + (<usize>i << 2)), f));
  for (; i < len; i++) store<f32>(x + (<usize>i << 2), load<f32>(x + (<usize>i << 2)) * factor);
}

// target ← target + τ(source − target): Polyak averaging of target-network weights (τ = 1: hard copy).
export function polyak(target: usize, source: usize, len: i32, tau: f32): void {
  const t4 = f32x4.splat(tau);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const o = <usize>i << 2;
    const t = v128.load(target + o);
    v128.store(target + o, f32x4.add(t, f32x4.mul(t4, f32x4.sub(v128.load(source + o), t))));
  }
  for (; i < len; i++) {
    const o = <usize>i << 2;
    const t = load<f32>(target + o);
    store<f32>(target + o, t + tau * (load<f32>(source + o) - t));
  }
}
