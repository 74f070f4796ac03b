import type { Heap, Tensor } from '../heap.ts';
import { Activation } from '../kernels/kernels.ts';
import type { ParameterPlan } from './parameters.ts';

/** Scratch for one batch size: gate pre-activations, gates and hidden states of every step. */
export interface GruWorkspace {
  readonly maxBatch: number;
  /** x·W_i + b_i for every (row, step), rows b·T + t, 3H wide: [r | z | n]. */
  readonly gx: Tensor;
  /** h·W_h + b_h per step, [T][B][3H]. */
  readonly gh: Tensor;
  /** The gates r, z, n per step, [T][B][3H]. */
  readonly gates: Tensor;
  /** Hidden states h_0..h_T, [T+1][B][H]; h_0 = 0. */
  readonly h: Tensor;
  readonly dgx: Tensor;
  readonly dgh: Tensor;
  readonly dh: Tensor;
  readonly dhNext: Tensor;
  readonly transposed: Tensor;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * A gated recurrent unit layer (Cho et al. 2014), with PyTorch's gate convention so weights and
 * numbers compare one to one:
 *   r = σ(x W_ir + b_ir + h W_hr + b_hr),  z = σ(x W_iz + b_iz + h W_hz + b_hz),
 *   n = tanh(x W_in + b_in + r ⊙ (h W_hn + b_hn)),  h' = (1 − z) ⊙ n + z ⊙ h.
 * The input projection of all steps is one matrix product; each step adds one B×H by H×3H product.
 * Sequences are left-padded: a padded step (mask 0) carries h through unchanged, so h stays 0
 * until the first real item and the last step is always the newest one.
 */
export class GruLayer {
  readonly wi: number;
  readonly bi: number;
  readonly wh: number;
  readonly bh: number;
  private readonly workspaces: GruWorkspace[] = [];

  constructor(
    plan: ParameterPlan,
    readonly inputs: number,
    readonly hidden: number,
    readonly steps: number,
  ) {
    const bound = { uniform: 1 / Math.sqrt(hidden) }; // PyTorch's nn.GRU default
    this.wi = plan.take(inputs * 3 * hidden, bound);
    this.bi = plan.take(3 * hidden, bound);
    this.wh = plan.take(hidden * 3 * hidden, bound);
    this.bh = plan.take(3 * hidden, bound);
  }

  workspace(heap: Heap, maxBatch: number): GruWorkspace {
    const existing = this.workspaces.find((w) => w.maxBatch >= maxBatch);
    if (existing) return existing;
    const { steps: T, hidden: H, inputs: E } = this;
    const ws: GruWorkspace = {
      maxBatch,
      gx: heap.alloc(maxBatch * T * 3 * H),
      gh: heap.alloc(T * maxBatch * 3 * H),
      gates: heap.alloc(T * maxBatch * 3 * H),
      h: heap.alloc((T + 1) * maxBatch * H),
      dgx: heap.alloc(maxBatch * T * 3 * H),
      dgh: heap.alloc(maxBatch * 3 * H),
      dh: heap.alloc(maxBatch * H),
      dhNext: heap.alloc(maxBatch * H),
      transposed: heap.alloc(3 * H * Math.max(E, H)),
    };
    this.workspaces.push(ws);
    this.workspaces.sort((a, b) => a.maxBatch - b.maxBatch);
    return ws;
  }

  /** Offset of h_T (B×H) after `forward`. */
  last(ws: GruWorkspace, batch: number): number {
    return ws.h.offset + this.steps * batch * this.hidden;
  }

  /** x: offset of [B·T × E] rows (row b·T + t); mask[b·T + t] = 1 for a real step. Returns h_T. */
  forward(heap: Heap, base: number, ws: GruWorkspace, x: number, mask: Uint8Array, batch: number): number {
    const k = heap.kernels;
    const { steps: T, hidden: H, inputs: E } = this;
    const G = 3 * H;
    k.gemm(ws.gx.offset, x, base + this.wi, base + this.bi, batch * T, E, G, E, 1, false, Activation.none);
    const f = k.f32;
    const h0 = ws.h.offset;
    f.fill(0, h0, h0 + batch * H);
    for (let t = 0; t < T; t++) {
      const prev = h0 + t * batch * H;
      const next = prev + batch * H;
      const gh = ws.gh.offset + t * batch * G;
      const gates = ws.gates.offset + t * batch * G;
      k.gemm(gh, prev, base + this.wh, base + this.bh, batch, H, G, H, 1, false, Activation.none);
      for (let b = 0; b < batch; b++) {
        const hp = prev + b * H;
        const hn = next + b * H;
        if (!mask[b * T + t]) {
          f.copyWithin(hn, hp, hp + H);
          continue;
        }
        const gxRow = ws.gx.offset + (b * T + t) * G;
        const ghRow = gh + b * G;
        const gRow = gates + b * G;
        for (let j = 0; j < H; j++) {
          const r = sigmoid(f[gxRow + j] + f[ghRow + j]);
          const z = sigmoid(f[gxRow + H + j] + f[ghRow + H + j]);
          const n = Math.tanh(f[gxRow + 2 * H + j] + r * f[ghRow + 2 * H + j]);
          f[gRow + j] = r;
          f[gRow + H + j] = z;
          f[gRow + 2 * H + j] = n;
          f[hn + j] = (1 - z) * n + z * f[hp + j];
        }
      }
    }
    return this.last(ws, batch);
  }

  /**
   * Back-propagation through time from ∂L/∂h_T (offset dLast, B×H). Adds weight gradients at
   * gradBase and writes ∂L/∂x ([B·T × E]) to dx unless it is 0.
   */
  backward(
    heap: Heap,
    base: number,
    gradBase: number,
    ws: GruWorkspace,
    x: number,
    mask: Uint8Array,
    dLast: number,
    dx: number,
    batch: number,
  ): void {
    const k = heap.kernels;
    const { steps: T, hidden: H, inputs: E } = this;
    const G = 3 * H;
    const f = k.f32;
    let dh = ws.dh.offset;
    let dhNext = ws.dhNext.offset;
    f.copyWithin(dh, dLast, dLast + batch * H);
    k.transpose(ws.transposed.offset, base + this.wh, H, G);
    for (let t = T - 1; t >= 0; t--) {
      const prev = ws.h.offset + t * batch * H;
      const gh = ws.gh.offset + t * batch * G;
      const gates = ws.gates.offset + t * batch * G;
      const dgh = ws.dgh.offset;
      for (let b = 0; b < batch; b++) {
        const dgxRow = ws.dgx.offset + (b * T + t) * G;
        const dghRow = dgh + b * G;
        const dhRow = dh + b * H;
        const outRow = dhNext + b * H;
        if (!mask[b * T + t]) {
          f.fill(0, dgxRow, dgxRow + G);
          f.fill(0, dghRow, dghRow + G);
          f.copyWithin(outRow, dhRow, dhRow + H);
          continue;
        }
        const gRow = gates + b * G;
        const ghRow = gh + b * G;
        const hp = prev + b * H;
        for (let j = 0; j < H; j++) {
          const r = f[gRow + j];
          const z = f[gRow + H + j];
          const n = f[gRow + 2 * H + j];
          const d = f[dhRow + j];
          const dnPre = d * (1 - z) * (1 - n * n);
          const dzPre = d * (f[hp + j] - n) * z * (1 - z);
          const drPre = dnPre * f[ghRow + 2 * H + j] * r * (1 - r);
          f[dgxRow + j] = drPre;
          f[dgxRow + H + j] = dzPre;
          f[dgxRow + 2 * H + j] = dnPre;
          f[dghRow + j] = drPre;
          f[dghRow + H + j] = dzPre;
          f[dghRow + 2 * H + j] = dnPre * r;
          f[outRow + j] = d * z;
        }
      }
      // ∂L/∂W_h += h_{t−1}ᵀ·dgh (A read transposed through strides), ∂L/∂b_h += Σ dgh.
      k.gemm(gradBase + this.wh, prev, dgh, 0, H, batch, G, 1, H, true, Activation.none);
      k.columnSum(gradBase + this.bh, dgh, batch, G, true);
      // ∂L/∂h_{t−1} = dh ⊙ z + dgh·W_hᵀ.
      k.gemm(dhNext, dgh, ws.transposed.offset, 0, batch, G, H, G, 1, true, Activation.none);
      const swap = dh;
      dh = dhNext;
      dhNext = swap;
    }
    k.gemm(gradBase + this.wi, x, ws.dgx.offset, 0, E, batch * T, G, 1, E, true, Activation.none);
    k.columnSum(gradBase + this.bi, ws.dgx.offset, batch * T, G, true);
    if (dx) {
      k.transpose(ws.transposed.offset, base + this.wi, E, G);
      k.gemm(dx, ws.dgx.offset, ws.transposed.offset, 0, batch * T, G, E, G, 1, false, Activation.none);
    }
  }

  dispose(): void {
    for (const ws of this.workspaces) {
      for (const t of [ws.gx, ws.gh, ws.gates, ws.h, ws.dgx, ws.dgh, ws.dh, ws.dhNext, ws.transposed])
        t.free();
    }
    this.workspaces.length = 0;
  }
}
