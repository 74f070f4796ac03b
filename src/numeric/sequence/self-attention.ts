import { denseBackward, denseForward } from '../dense.ts';
import type { Heap, Tensor } from '../heap.ts';
import { Activation } from '../kernels/kernels.ts';
import { layerNormBackward, layerNormForward } from './layer-norm.ts';
import type { ParameterPlan } from './parameters.ts';

/** Activations one block keeps for its backward pass (rows R = B·T). */
interface BlockState {
  a: Tensor;
  xhat1: Tensor;
  rstd1: Tensor;
  qkv: Tensor;
  q: Tensor;
  k: Tensor;
  v: Tensor;
  p: Tensor;
  o: Tensor;
  x1: Tensor;
  c: Tensor;
  xhat2: Tensor;
  rstd2: Tensor;
  hf: Tensor;
  out: Tensor;
}

/** Gradient scratch shared by all blocks of one stack. */
export interface AttentionScratch {
  readonly maxBatch: number;
  readonly blocks: BlockState[];
  readonly dA: Tensor;
  readonly dX1: Tensor;
  readonly dHf: Tensor;
  readonly dC: Tensor;
  readonly dO: Tensor;
  readonly dq: Tensor;
  readonly dk: Tensor;
  readonly dv: Tensor;
  readonly dqkv: Tensor;
  readonly dP: Tensor;
  /** One head's attention output or its gradient, T×d contiguous, per sequence. */
  readonly headRows: Tensor;
  readonly transposedKV: Tensor;
  readonly transposedW: Tensor;
}

interface BlockParams {
  ln1g: number;
  ln1b: number;
  wqkv: number;
  bqkv: number;
  wo: number;
  bo: number;
  ln2g: number;
  ln2b: number;
  w1: number;
  b1: number;
  w2: number;
  b2: number;
}

/**
 * A stack of causal self-attention blocks as in SASRec (Kang & McAuley 2018): pre-layer-norm,
 * x ← x + Attn(LN(x)); x ← x + FFN(LN(x)) with a ReLU point-wise feed-forward of the model's width.
 * Position i attends to positions j ≤ i that hold a real item (left padding is masked out as keys);
 * a position with no real key gets a zero attention output. With h heads (SASRec uses one), each
 * head attends over its own d = D/h columns of Q, K and V, scaled by 1/√d, and the heads' outputs
 * sit side by side before W_o (Vaswani et al. 2017).
 *
 * Q, K and V are kept head-major, [B][h][T][d], so each head's products are plain contiguous
 * matrices; with one head that is the row layout [B·T][D].
 */
export class AttentionStack {
  private readonly blocks: BlockParams[] = [];
  private readonly scratches: AttentionScratch[] = [];

  constructor(
    plan: ParameterPlan,
    readonly width: number,
    readonly steps: number,
    readonly depth: number,
    readonly heads = 1,
  ) {
    if (heads < 1 || width % heads !== 0) {
      throw new RangeError(`${heads} attention heads cannot split a width of ${width} evenly`);
    }
    const D = width;
    const bound = { uniform: 1 / Math.sqrt(D) };
    for (let l = 0; l < depth; l++) {
      this.blocks.push({
        ln1g: plan.take(D, 'ones'),
        ln1b: plan.take(D, 'zeros'),
        wqkv: plan.take(D * 3 * D, bound),
        bqkv: plan.take(3 * D, 'zeros'),
        wo: plan.take(D * D, bound),
        bo: plan.take(D, 'zeros'),
        ln2g: plan.take(D, 'ones'),
        ln2b: plan.take(D, 'zeros'),
        w1: plan.take(D * D, bound),
        b1: plan.take(D, bound),
        w2: plan.take(D * D, bound),
        b2: plan.take(D, bound),
      });
    }
  }

  scratch(heap: Heap, maxBatch: number): AttentionScratch {
    const existing = this.scratches.find((s) => s.maxBatch >= maxBatch);
    if (existing) return existing;
    const D = this.width;
    const T = this.steps;
    const R = maxBatch * T;
    const rows = () => heap.alloc(R * D);
    const s: AttentionScratch = {
      maxBatch,
      blocks: this.blocks.map(() => ({
        a: rows(),
        xhat1: rows(),
        rstd1: heap.alloc(R),
        qkv: heap.alloc(R * 3 * D),
        q: rows(),
        k: rows(),
        v: rows(),
        p: heap.alloc(maxBatch * this.heads * T * T),
        o: rows(),
        x1: rows(),
        c: rows(),
        xhat2: rows(),
        rstd2: heap.alloc(R),
        hf: rows(),
        out: rows(),
      })),
      dA: rows(),
      dX1: rows(),
      dHf: rows(),
      dC: rows(),
      dO: rows(),
      dq: rows(),
      dk: rows(),
      dv: rows(),
      dqkv: heap.alloc(R * 3 * D),
      dP: heap.alloc(T * T),
      headRows: heap.alloc(T * (D / this.heads)),
      transposedKV: heap.alloc(D * T),
      transposedW: heap.alloc(3 * D * D),
    };
    this.scratches.push(s);
    this.scratches.sort((a, b) => a.maxBatch - b.maxBatch);
    return s;
  }

  /** Forward x ([B·T × D] at offset x); returns the offset of the last block's output rows. */
  forward(heap: Heap, base: number, s: AttentionScratch, x: number, mask: Uint8Array, batch: number): number {
    const kern = heap.kernels;
    const D = this.width;
    const T = this.steps;
    const R = batch * T;
    const H = this.heads;
    const d = D / H;
    const scale = 1 / Math.sqrt(d);
    let input = x;
    for (let l = 0; l < this.depth; l++) {
      const w = this.blocks[l];
      const st = s.blocks[l];
      const f = kern.f32;
      layerNormForward(
        f,
        st.a.offset,
        input,
        st.xhat1.offset,
        st.rstd1.offset,
        base + w.ln1g,
        base + w.ln1b,
        R,
        D,
      );
      denseForward(
        kern,
        st.qkv.offset,
        st.a.offset,
        base + w.wqkv,
        base + w.bqkv,
        R,
        D,
        3 * D,
        Activation.none,
      );
      const qkv = st.qkv.offset;
      for (let r = 0; r < R; r++) {
        for (let hh = 0; hh < H; hh++) {
          const from = qkv + r * 3 * D + hh * d;
          const to = this.headRow(r, hh);
          f.copyWithin(st.q.offset + to, from, from + d);
          f.copyWithin(st.k.offset + to, from + D, from + D + d);
          f.copyWithin(st.v.offset + to, from + 2 * D, from + 2 * D + d);
        }
      }
      for (let bh = 0; bh < batch * H; bh++) {
        const b = Math.floor(bh / H);
        const rows = bh * T * d;
        const p = st.p.offset + bh * T * T;
        kern.transpose(s.transposedKV.offset, st.k.offset + rows, T, d);
        kern.gemm(p, st.q.offset + rows, s.transposedKV.offset, 0, T, d, T, d, 1, false, Activation.none);
        for (let i = 0; i < T; i++) {
          const row = p + i * T;
          let max = Number.NEGATIVE_INFINITY;
          for (let j = 0; j <= i; j++) {
            if (mask[b * T + j]) max = Math.max(max, f[row + j] * scale);
          }
          if (max === Number.NEGATIVE_INFINITY) {
            f.fill(0, row, row + T);
            continue;
          }
          let sum = 0;
          for (let j = 0; j < T; j++) {
            const e = j <= i && mask[b * T + j] ? Math.exp(f[row + j] * scale - max) : 0;
            f[row + j] = e;
            sum += e;
          }
          for (let j = 0; j <= i; j++) f[row + j] /= sum;
        }
        // This head's T×d output, then into its columns of o ([B·T][D], the heads side by side).
        const heads = s.headRows.offset;
        kern.gemm(heads, p, st.v.offset + rows, 0, T, T, d, T, 1, false, Activation.none);
        const hh = bh - b * H;
        for (let t = 0; t < T; t++) {
          const from = heads + t * d;
          f.copyWithin(st.o.offset + (b * T + t) * D + hh * d, from, from + d);
        }
      }
      // x1 = x + o·W_o + b_o
      denseForward(kern, st.x1.offset, st.o.offset, base + w.wo, base + w.bo, R, D, D, Activation.none);
      for (let i = 0; i < R * D; i++) f[st.x1.offset + i] += f[input + i];
      layerNormForward(
        f,
        st.c.offset,
        st.x1.offset,
        st.xhat2.offset,
        st.rstd2.offset,
        base + w.ln2g,
        base + w.ln2b,
        R,
        D,
      );
      denseForward(kern, st.hf.offset, st.c.offset, base + w.w1, base + w.b1, R, D, D, Activation.relu);
      denseForward(kern, st.out.offset, st.hf.offset, base + w.w2, base + w.b2, R, D, D, Activation.none);
      for (let i = 0; i < R * D; i++) f[st.out.offset + i] += f[st.x1.offset + i];
      input = st.out.offset;
    }
    return input;
  }

  /**
   * Backward from ∂L/∂(last block output) at dOut ([B·T × D]; overwritten). Writes ∂L/∂x into dX
   * (may alias dOut) and adds weight gradients at gradBase. The forward pass's activations must still be in `s`.
   */
  backward(
    heap: Heap,
    base: number,
    gradBase: number,
    s: AttentionScratch,
    dOut: number,
    dX: number,
    batch: number,
  ): void {
    const kern = heap.kernels;
    const D = this.width;
    const T = this.steps;
    const R = batch * T;
    const H = this.heads;
    const d = D / H;
    const scale = 1 / Math.sqrt(d);
    const tw = s.transposedW.offset;
    let dCurrent = dOut;
    for (let l = this.depth - 1; l >= 0; l--) {
      const w = this.blocks[l];
      const st = s.blocks[l];
      const f = kern.f32;
      const dX1 = s.dX1.offset;
      f.copyWithin(dX1, dCurrent, dCurrent + R * D);
      // Feed-forward branch: out = x1 + relu(c·W1 + b1)·W2 + b2.
      denseBackward(
        kern,
        s.dHf.offset,
        dCurrent,
        0,
        st.hf.offset,
        base + w.w2,
        gradBase + w.w2,
        gradBase + w.b2,
        tw,
        R,
        D,
        D,
        Activation.none,
      );
      denseBackward(
        kern,
        s.dC.offset,
        s.dHf.offset,
        st.hf.offset,
        st.c.offset,
        base + w.w1,
        gradBase + w.w1,
        gradBase + w.b1,
        tw,
        R,
        D,
        D,
        Activation.relu,
      );
      layerNormBackward(
        f,
        dX1,
        s.dC.offset,
        st.xhat2.offset,
        st.rstd2.offset,
        base + w.ln2g,
        gradBase + w.ln2g,
        gradBase + w.ln2b,
        R,
        D,
        true,
      );
      // Attention branch: x1 = x + o·W_o + b_o.
      denseBackward(
        kern,
        s.dO.offset,
        dX1,
        0,
        st.o.offset,
        base + w.wo,
        gradBase + w.wo,
        gradBase + w.bo,
        tw,
        R,
        D,
        D,
        Activation.none,
      );
      const dP = s.dP.offset;
      for (let bh = 0; bh < batch * H; bh++) {
        const b = Math.floor(bh / H);
        const hh = bh - b * H;
        const rows = bh * T * d;
        const p = st.p.offset + bh * T * T;
        // This head's columns of ∂L/∂o, as a contiguous T×d block.
        const dOb = s.headRows.offset;
        for (let t = 0; t < T; t++) {
          const from = s.dO.offset + (b * T + t) * D + hh * d;
          f.copyWithin(dOb + t * d, from, from + d);
        }
        // dP = dO·Vᵀ ; dV = Pᵀ·dO
        kern.transpose(s.transposedKV.offset, st.v.offset + rows, T, d);
        kern.gemm(dP, dOb, s.transposedKV.offset, 0, T, d, T, d, 1, false, Activation.none);
        kern.gemm(s.dv.offset + rows, p, dOb, 0, T, T, d, 1, T, false, Activation.none);
        // Softmax backward, then the 1/√d scale: dS = P ⊙ (dP − Σ_j P dP) / √d.
        for (let i = 0; i < T; i++) {
          const pr = p + i * T;
          const dr = dP + i * T;
          let dot = 0;
          for (let j = 0; j < T; j++) dot += f[pr + j] * f[dr + j];
          for (let j = 0; j < T; j++) f[dr + j] = f[pr + j] * (f[dr + j] - dot) * scale;
        }
        // dQ = dS·K ; dK = dSᵀ·Q
        kern.gemm(s.dq.offset + rows, dP, st.k.offset + rows, 0, T, T, d, T, 1, false, Activation.none);
        kern.gemm(s.dk.offset + rows, dP, st.q.offset + rows, 0, T, T, d, 1, T, false, Activation.none);
      }
      const dqkv = s.dqkv.offset;
      for (let r = 0; r < R; r++) {
        for (let hh = 0; hh < H; hh++) {
          const to = dqkv + r * 3 * D + hh * d;
          const from = this.headRow(r, hh);
          f.copyWithin(to, s.dq.offset + from, s.dq.offset + from + d);
          f.copyWithin(to + D, s.dk.offset + from, s.dk.offset + from + d);
          f.copyWithin(to + 2 * D, s.dv.offset + from, s.dv.offset + from + d);
        }
      }
      denseBackward(
        kern,
        s.dA.offset,
        dqkv,
        0,
        st.a.offset,
        base + w.wqkv,
        gradBase + w.wqkv,
        gradBase + w.bqkv,
        tw,
        R,
        D,
        3 * D,
        Activation.none,
      );
      // ∂L/∂x = dX1 + LN1ᵀ(dA)
      f.copyWithin(dX, dX1, dX1 + R * D);
      layerNormBackward(
        f,
        dX,
        s.dA.offset,
        st.xhat1.offset,
        st.rstd1.offset,
        base + w.ln1g,
        gradBase + w.ln1g,
        gradBase + w.ln1b,
        R,
        D,
        true,
      );
      dCurrent = dX;
    }
  }

  /** Where row r = b·T + t of head hh starts in the head-major Q, K, V: ((b·h + hh)·T + t)·d. */
  private headRow(r: number, hh: number): number {
    const T = this.steps;
    const d = this.width / this.heads;
    const b = Math.floor(r / T);
    return ((b * this.heads + hh) * T + (r - b * T)) * d;
  }

  dispose(): void {
    for (const s of this.scratches) {
      for (const st of s.blocks) for (const t of Object.values(st)) t.free();
      for (const t of [
        s.dA,
        s.dX1,
        s.dHf,
        s.dC,
        s.dO,
        s.dq,
        s.dk,
        s.dv,
        s.dqkv,
        s.dP,
        s.headRows,
        s.transposedKV,
        s.transposedW,
      ])
        t.free();
    }
    this.scratches.length = 0;
  }
}
