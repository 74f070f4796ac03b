import { z } from 'zod';
import type { Rng } from '../../core/rng.ts';
import { denseBackward, denseForward } from '../dense.ts';
import type { Heap, Tensor } from '../heap.ts';
import { Activation } from '../kernels/kernels.ts';
import { softUpdate } from '../optimizers.ts';
import { GruLayer, type GruWorkspace } from './gru.ts';
import { layerNormBackward, layerNormForward } from './layer-norm.ts';
import { ParameterPlan } from './parameters.ts';
import { type AttentionScratch, AttentionStack } from './self-attention.ts';

export const sequenceNetworkSchema = z
  .object({
    /** `gru`: GRU4Rec-style recurrent encoder; `attention`: SASRec-style self-attention encoder. */
    encoder: z.enum(['gru', 'attention']).default('gru'),
    /** Item embedding width (for `attention`, also the model width). */
    embedding: z.number().int().min(1).max(1024).default(64),
    /** GRU hidden width (ignored by `attention`). */
    hidden: z.number().int().min(1).max(1024).default(64),
    /** The last k interactions the encoder reads (SQN uses 10). */
    maxLength: z.number().int().min(1).max(200).default(10),
    /** Self-attention blocks (ignored by `gru`). */
    blocks: z.number().int().min(1).max(8).default(2),
    /** Heads per self-attention block, each over embedding/heads columns (ignored by `gru`). */
    attentionHeads: z.number().int().min(1).max(16).default(1),
    /**
     * Kinds of event an input sequence distinguishes, each with its own embedding per item: token
     * k·N + i + 1 is item i as kind k. 2 = items the user took and items shown but passed over.
     */
    tokenKinds: z.number().int().min(1).max(8).default(1),
    /**
     * Real-valued user/context features read beside the sequence (0 = none). They enter the
     * representation through a linear map added to the encoder's output, so the heads score items
     * by sequence and context together; with no history the context alone sets the scores.
     */
    contextFeatures: z.number().int().min(0).max(4096).default(0),
    /**
     * The group (e.g. category) of each item, 0..G−1, one per item (absent = none). A group has an
     * input embedding added to its items' and, per head, an output vector added to its items'
     * scores, so items seen rarely borrow what their group's items taught.
     */
    itemGroups: z.array(z.number().int().min(0).max(1_000_000)).optional(),
    /**
     * Dropout rate while training (Srivastava et al. 2014), on the item embeddings entering the
     * encoder and on the representation entering the heads: each unit is zeroed with this
     * probability and the kept ones scaled by 1/(1 − p). Only a `forward` given a dropout Rng
     * applies it; scoring never does. 0 = off.
     */
    dropout: z.number().min(0).max(0.9).default(0),
    /**
     * The supervised head scores item i with its own input embedding, rep · e_i + b_i (SASRec's
     * shared embedding, GRU4Rec's constrained embedding), instead of a separate output matrix: an
     * item learns one vector from both where it is read and where it is predicted. Needs the
     * representation as wide as the embedding (for `gru`, hidden = embedding). The Q head keeps
     * its own weights.
     */
    tiedOutput: z.boolean().default(false),
  })
  .strict()
  .superRefine((options, context) => {
    if (options.encoder === 'attention' && options.embedding % options.attentionHeads !== 0) {
      context.addIssue({
        code: 'custom',
        path: ['attentionHeads'],
        message: `${options.attentionHeads} attention heads cannot split an embedding of ${options.embedding}: pick a divisor of it`,
      });
    }
    if (options.tiedOutput && options.encoder === 'gru' && options.hidden !== options.embedding) {
      context.addIssue({
        code: 'custom',
        path: ['tiedOutput'],
        message: `a tied output scores with the item embeddings (width ${options.embedding}): set hidden to ${options.embedding} too (it is ${options.hidden})`,
      });
    }
  });
export type SequenceNetworkOptions = z.output<typeof sequenceNetworkSchema>;

/** Which output layers a network has: next-item logits, Q-values, or both (SQN). */
export type SequenceHead = 'supervised' | 'q';

interface Workspace {
  maxBatch: number;
  mask: Uint8Array;
  items: Int32Array;
  context: Tensor;
  /** B×G group scores of one head, and their gradient; Uᵀ (G×H) scratch. */
  groupScores: Tensor;
  dGroupScores: Tensor;
  groupTransposed: Tensor;
  x0: Tensor;
  dX0: Tensor;
  last: Tensor;
  lastHat: Tensor;
  lastRstd: Tensor;
  rep: Tensor;
  dRep: Tensor;
  dRepHead: Tensor;
  dLastRows: Tensor;
  heads: Record<SequenceHead, Tensor>;
  dHead: Tensor;
  transposed: Tensor;
  /** E×N: the item embeddings transposed, the tied head's weight (one float when untied). */
  tiedWeight: Tensor;
  /** A few rows' representations as the columns of E×8, and their N×8 tied scores. */
  tiedRows: Tensor;
  tiedColumns: Tensor;
  gru: GruWorkspace | null;
  attention: AttentionScratch | null;
  /** Dropout keep factors (0 or 1/(1 − p)) of the last training forward: inputs B×T×E, representation B×H. */
  inputKeep: Float32Array;
  repKeep: Float32Array;
  /** Whether the last forward on this workspace drew dropout masks. */
  dropped: boolean;
}

/**
 * Item sequence → representation → heads, over one flat parameter buffer: the item embedding
 * (row 0 is padding and stays zero), a GRU or self-attention encoder, and one or two linear heads
 * over the whole catalogue (a supervised next-item head and a Q head, as in SQN, Xin et al. 2020).
 * Inputs are B×T item indices, left-padded with 0; item i of the log is index i + 1 (see tokenKinds).
 */
export class SequenceNetwork {
  readonly params: Tensor;
  readonly grads: Tensor;
  readonly options: SequenceNetworkOptions;
  readonly width: number;
  private readonly embedding: number;
  private readonly positions: number;
  private readonly finalGain: number;
  private readonly finalBias: number;
  /** F×H map of the context features into the representation (F = contextFeatures). */
  private readonly contextWeight: number;
  /** Group of each item, G groups (0 when the network has none). */
  private readonly groupOf: Int32Array;
  private readonly groups: number;
  /** G×E group input embeddings, and per head an H×G output map. */
  private readonly groupEmbedding: number;
  private readonly groupWeights: Partial<Record<SequenceHead, number>> = {};
  private readonly headWeights: Record<SequenceHead, { weight: number; bias: number }>;
  private readonly gru: GruLayer | null;
  private readonly attention: AttentionStack | null;
  private readonly workspaces: Workspace[] = [];

  constructor(
    readonly heap: Heap,
    readonly itemCount: number,
    readonly heads: readonly SequenceHead[],
    options: Partial<SequenceNetworkOptions>,
    rng: Rng,
  ) {
    this.options = sequenceNetworkSchema.parse(options);
    const { encoder, embedding: E, hidden, maxLength: T, blocks, tokenKinds } = this.options;
    const plan = new ParameterPlan();
    // Embeddings ~ U(±1/√E); the padding row is zeroed below and never receives a gradient.
    this.embedding = plan.take((itemCount * tokenKinds + 1) * E, { uniform: 1 / Math.sqrt(E) });
    if (encoder === 'gru') {
      this.gru = new GruLayer(plan, E, hidden, T);
      this.attention = null;
      this.width = hidden;
      this.positions = 0;
      this.finalGain = 0;
      this.finalBias = 0;
    } else {
      this.gru = null;
      this.positions = plan.take(T * E, { uniform: 1 / Math.sqrt(E) });
      this.attention = new AttentionStack(plan, E, T, blocks, this.options.attentionHeads);
      this.width = E;
      this.finalGain = plan.take(E, 'ones');
      this.finalBias = plan.take(E, 'zeros');
    }
    const F = this.options.contextFeatures;
    this.contextWeight = F > 0 ? plan.take(F * this.width, { uniform: 1 / Math.sqrt(F) }) : 0;
    const groupOf = this.options.itemGroups;
    if (groupOf && groupOf.length !== itemCount) {
      throw new RangeError(
        `itemGroups names the group of ${groupOf.length} items; the catalogue has ${itemCount}`,
      );
    }
    this.groupOf = Int32Array.from(groupOf ?? []);
    this.groups = groupOf && groupOf.length > 0 ? Math.max(...groupOf) + 1 : 0;
    this.groupEmbedding = this.groups > 0 ? plan.take(this.groups * E, { uniform: 1 / Math.sqrt(E) }) : 0;
    const bound = { uniform: 1 / Math.sqrt(this.width) };
    if (this.groups > 0)
      for (const head of heads) this.groupWeights[head] = plan.take(this.width * this.groups, bound);
    const headWeights = {} as Record<SequenceHead, { weight: number; bias: number }>;
    for (const head of heads) {
      headWeights[head] = {
        // −1: the tied head reads the item embeddings (rows 1..N) instead of a matrix of its own.
        weight: this.tiedHead(head) ? -1 : plan.take(this.width * itemCount, bound),
        bias: plan.take(itemCount, 'zeros'),
      };
    }
    this.headWeights = headWeights;
    this.params = heap.alloc(plan.size);
    this.grads = heap.alloc(plan.size);
    const p = this.params.data;
    plan.initialise(p, rng);
    p.fill(0, this.embedding, this.embedding + E);
  }

  /** Whether this head scores with the item embeddings (`tiedOutput`). */
  private tiedHead(head: SequenceHead): boolean {
    return this.options.tiedOutput && head === 'supervised';
  }

  private workspace(maxBatch: number): Workspace {
    const existing = this.workspaces.find((w) => w.maxBatch >= maxBatch);
    if (existing) return existing;
    const heap = this.heap;
    const { embedding: E, maxLength: T } = this.options;
    const H = this.width;
    const N = this.itemCount;
    const heads = {} as Record<SequenceHead, Tensor>;
    for (const head of this.heads) heads[head] = heap.alloc(maxBatch * N);
    const ws: Workspace = {
      maxBatch,
      mask: new Uint8Array(maxBatch * T),
      items: new Int32Array(maxBatch * T),
      context: heap.alloc(maxBatch * Math.max(1, this.options.contextFeatures)),
      groupScores: heap.alloc(maxBatch * Math.max(1, this.groups)),
      dGroupScores: heap.alloc(maxBatch * Math.max(1, this.groups)),
      groupTransposed: heap.alloc(Math.max(1, this.groups * H)),
      x0: heap.alloc(maxBatch * T * E),
      dX0: heap.alloc(maxBatch * T * E),
      last: heap.alloc(maxBatch * H),
      lastHat: heap.alloc(maxBatch * H),
      lastRstd: heap.alloc(maxBatch),
      rep: heap.alloc(maxBatch * H),
      dRep: heap.alloc(maxBatch * H),
      dRepHead: heap.alloc(maxBatch * H),
      dLastRows: this.attention ? heap.alloc(maxBatch * T * E) : heap.alloc(4),
      heads,
      dHead: heap.alloc(maxBatch * N),
      transposed: heap.alloc(H * N),
      tiedWeight: heap.alloc(this.options.tiedOutput ? E * N : 1),
      tiedRows: heap.alloc(this.options.tiedOutput ? E * TIED_FEW_ROWS : 1),
      tiedColumns: heap.alloc(this.options.tiedOutput ? N * TIED_FEW_ROWS : 1),
      gru: this.gru ? this.gru.workspace(heap, maxBatch) : null,
      attention: this.attention ? this.attention.scratch(heap, maxBatch) : null,
      inputKeep: new Float32Array(this.options.dropout > 0 ? maxBatch * T * E : 0),
      repKeep: new Float32Array(this.options.dropout > 0 ? maxBatch * H : 0),
      dropped: false,
    };
    this.workspaces.push(ws);
    this.workspaces.sort((a, b) => a.maxBatch - b.maxBatch);
    return ws;
  }

  /**
   * Encode a batch of sequences (B×T indices, 0 = padding) and compute the requested heads.
   * `context` holds B×F features when the network reads F > 0 of them. `dropout` (a training step's
   * Rng) draws the dropout masks when the network has a dropout rate; `backward` then applies the
   * same masks. Returns views of each head's B×N outputs, valid until the next call.
   */
  forward(
    items: Int32Array,
    batch: number,
    heads: readonly SequenceHead[] = this.heads,
    context?: Float32Array,
    dropout?: Rng,
  ): Record<SequenceHead, Float32Array> {
    const F = this.options.contextFeatures;
    if (F > 0 && (!context || context.length < batch * F)) {
      throw new RangeError(`this network reads ${F} context features per sequence: pass ${batch * F} values`);
    }
    const ws = this.workspace(batch);
    const kern = this.heap.kernels;
    const { embedding: E, maxLength: T } = this.options;
    const H = this.width;
    const N = this.itemCount;
    const tokens = N * this.options.tokenKinds;
    const base = this.params.offset;
    const f = kern.f32;
    const scale = this.attention ? Math.sqrt(E) : 1;
    ws.items.set(items.subarray(0, batch * T));
    for (let r = 0; r < batch * T; r++) {
      const item = items[r];
      if (item < 0 || item > tokens) throw new RangeError(`item index ${item} outside 0..${tokens}`);
      ws.mask[r] = item === 0 ? 0 : 1;
      const to = ws.x0.offset + r * E;
      if (item === 0) {
        f.fill(0, to, to + E);
        continue;
      }
      const from = base + this.embedding + item * E;
      const pos = base + this.positions + (r % T) * E;
      for (let j = 0; j < E; j++) f[to + j] = f[from + j] * scale + (this.attention ? f[pos + j] : 0);
      if (this.groups > 0) {
        const group = base + this.groupEmbedding + this.groupOf[(item - 1) % N] * E;
        for (let j = 0; j < E; j++) f[to + j] += f[group + j] * scale;
      }
    }
    const drop = dropout !== undefined && this.options.dropout > 0;
    ws.dropped = drop;
    if (drop) applyDropout(f, ws.x0.offset, ws.inputKeep, batch * T * E, this.options.dropout, dropout);
    if (this.gru && ws.gru) {
      const last = this.gru.forward(this.heap, base, ws.gru, ws.x0.offset, ws.mask, batch);
      f.copyWithin(ws.rep.offset, last, last + batch * H);
    } else if (this.attention && ws.attention) {
      const out = this.attention.forward(this.heap, base, ws.attention, ws.x0.offset, ws.mask, batch);
      for (let b = 0; b < batch; b++) {
        const from = out + (b * T + T - 1) * E;
        f.copyWithin(ws.last.offset + b * E, from, from + E);
      }
      layerNormForward(
        f,
        ws.rep.offset,
        ws.last.offset,
        ws.lastHat.offset,
        ws.lastRstd.offset,
        base + this.finalGain,
        base + this.finalBias,
        batch,
        E,
      );
      // An empty sequence has no real position to read: its representation is zero, as the GRU's
      // h_0 is, so the heads fall back to their biases (a learned prior over items).
      for (let b = 0; b < batch; b++) {
        if (!ws.mask[b * T + T - 1]) f.fill(0, ws.rep.offset + b * E, ws.rep.offset + (b + 1) * E);
      }
    }
    if (F > 0 && context) {
      // rep += context · W_c
      ws.context.data.set(context.subarray(0, batch * F));
      kern.gemm(
        ws.rep.offset,
        ws.context.offset,
        base + this.contextWeight,
        0,
        batch,
        F,
        H,
        F,
        1,
        true,
        Activation.none,
      );
    }
    if (drop) applyDropout(f, ws.rep.offset, ws.repKeep, batch * H, this.options.dropout, dropout);
    const result = {} as Record<SequenceHead, Float32Array>;
    for (const head of heads) {
      const w = this.headWeights[head];
      if (!w) throw new RangeError(`this network has no ${head} head`);
      const scores = ws.heads[head].offset;
      if (this.tiedHead(head) && batch <= TIED_FEW_ROWS) {
        // A few rows (scoring): C (N×8) = E_items · [rep_1 … rep_B 0 …], reading the embeddings
        // where they lie (transposing the N×E embeddings first would cost more than the product);
        // eight columns keep the product on the kernel's SIMD path. Then scores[b, i] = b_i + C[i, b].
        const rows = ws.tiedRows.offset;
        f.fill(0, rows, rows + E * TIED_FEW_ROWS);
        for (let b = 0; b < batch; b++) {
          for (let j = 0; j < E; j++) f[rows + j * TIED_FEW_ROWS + b] = f[ws.rep.offset + b * H + j];
        }
        const columns = ws.tiedColumns.offset;
        const slab = base + this.embedding + E;
        kern.gemm(columns, slab, rows, 0, N, E, TIED_FEW_ROWS, E, 1, false, Activation.none);
        const bias = base + w.bias;
        for (let b = 0; b < batch; b++) {
          for (let i = 0; i < N; i++)
            f[scores + b * N + i] = f[bias + i] + f[columns + i * TIED_FEW_ROWS + b];
        }
      } else {
        let weight = base + w.weight;
        if (this.tiedHead(head)) {
          // Item i's row of the embedding (index i + 1) is column i of the head's H×N weight.
          kern.transpose(ws.tiedWeight.offset, base + this.embedding + E, N, E);
          weight = ws.tiedWeight.offset;
        }
        denseForward(kern, scores, ws.rep.offset, weight, base + w.bias, batch, H, N, Activation.none);
      }
      const groupWeight = this.groupWeights[head];
      if (groupWeight !== undefined) {
        // scores[b, i] += rep_b · U[:, group(i)]
        const G = this.groups;
        kern.gemm(
          ws.groupScores.offset,
          ws.rep.offset,
          base + groupWeight,
          0,
          batch,
          H,
          G,
          H,
          1,
          false,
          Activation.none,
        );
        const f = kern.f32;
        const out = ws.heads[head].offset;
        const scores = ws.groupScores.offset;
        for (let b = 0; b < batch; b++) {
          for (let i = 0; i < N; i++) f[out + b * N + i] += f[scores + b * G + this.groupOf[i]];
        }
      }
      result[head] = ws.heads[head].data.subarray(0, batch * N);
    }
    return result;
  }

  /**
   * Backward from ∂L/∂head outputs (B×N each, for the heads given) through the activations of the
   * last `forward` on the same batch size; gradients are added to `grads`.
   */
  backward(dHeads: Partial<Record<SequenceHead, Float32Array>>, batch: number): void {
    const ws = this.workspace(batch);
    const kern = this.heap.kernels;
    const { embedding: E, maxLength: T } = this.options;
    const H = this.width;
    const N = this.itemCount;
    const base = this.params.offset;
    const gradBase = this.grads.offset;
    let first = true;
    for (const head of this.heads) {
      const d = dHeads[head];
      if (!d) continue;
      const w = this.headWeights[head];
      ws.dHead.data.set(d.subarray(0, batch * N));
      if (this.tiedHead(head)) {
        const slab = this.embedding + E;
        const dz = ws.dHead.offset;
        // ∂L/∂e_i += Σ_b dz[b, i]·rep_b (dzᵀ read through strides); ∂L/∂b; ∂L/∂rep = dz·E_items.
        kern.gemm(gradBase + slab, dz, ws.rep.offset, 0, N, batch, E, 1, N, true, Activation.none);
        kern.columnSum(gradBase + w.bias, dz, batch, N, true);
        kern.gemm(
          first ? ws.dRep.offset : ws.dRepHead.offset,
          dz,
          base + slab,
          0,
          batch,
          N,
          E,
          N,
          1,
          false,
          Activation.none,
        );
      } else
        denseBackward(
          kern,
          first ? ws.dRep.offset : ws.dRepHead.offset,
          ws.dHead.offset,
          0,
          ws.rep.offset,
          base + w.weight,
          gradBase + w.weight,
          gradBase + w.bias,
          ws.transposed.offset,
          batch,
          H,
          N,
          Activation.none,
        );
      if (!first) {
        const f = kern.f32;
        for (let i = 0; i < batch * H; i++) f[ws.dRep.offset + i] += f[ws.dRepHead.offset + i];
      }
      first = false;
      const groupWeight = this.groupWeights[head];
      if (groupWeight !== undefined) {
        // ∂L/∂groupScores[b, g] = Σ over items i of group g of ∂L/∂scores[b, i]; then U and rep.
        const G = this.groups;
        const f = kern.f32;
        const dG = ws.dGroupScores.offset;
        f.fill(0, dG, dG + batch * G);
        for (let b = 0; b < batch; b++) {
          for (let i = 0; i < N; i++) f[dG + b * G + this.groupOf[i]] += d[b * N + i];
        }
        kern.gemm(gradBase + groupWeight, ws.rep.offset, dG, 0, H, batch, G, 1, H, true, Activation.none);
        kern.transpose(ws.groupTransposed.offset, base + groupWeight, H, G);
        kern.gemm(ws.dRep.offset, dG, ws.groupTransposed.offset, 0, batch, G, H, G, 1, true, Activation.none);
      }
    }
    if (first) return;
    const f = kern.f32;
    if (ws.dropped) {
      const keep = ws.repKeep;
      for (let i = 0, o = ws.dRep.offset; i < batch * H; i++) f[o + i] *= keep[i];
    }
    const F = this.options.contextFeatures;
    if (F > 0) {
      // ∂L/∂W_c += contextᵀ · ∂L/∂rep (the context itself is input, it takes no gradient).
      kern.gemm(
        gradBase + this.contextWeight,
        ws.context.offset,
        ws.dRep.offset,
        0,
        F,
        batch,
        H,
        1,
        F,
        true,
        Activation.none,
      );
    }
    if (this.gru && ws.gru) {
      this.gru.backward(
        this.heap,
        base,
        gradBase,
        ws.gru,
        ws.x0.offset,
        ws.mask,
        ws.dRep.offset,
        ws.dX0.offset,
        batch,
      );
    } else if (this.attention && ws.attention) {
      const dRows = ws.dLastRows.offset;
      f.fill(0, dRows, dRows + batch * T * E);
      for (let b = 0; b < batch; b++) {
        if (!ws.mask[b * T + T - 1]) continue;
        // LN_f backward straight into the last row of each sequence.
        layerNormBackward(
          f,
          dRows + (b * T + T - 1) * E,
          ws.dRep.offset + b * E,
          ws.lastHat.offset + b * E,
          ws.lastRstd.offset + b,
          base + this.finalGain,
          gradBase + this.finalGain,
          gradBase + this.finalBias,
          1,
          E,
          false,
        );
      }
      this.attention.backward(this.heap, base, gradBase, ws.attention, dRows, ws.dX0.offset, batch);
    }
    if (ws.dropped) {
      const keep = ws.inputKeep;
      for (let i = 0, o = ws.dX0.offset; i < batch * T * E; i++) f[o + i] *= keep[i];
    }
    const scale = this.attention ? Math.sqrt(E) : 1;
    const dEmb = gradBase + this.embedding;
    const dPos = gradBase + this.positions;
    for (let r = 0; r < batch * T; r++) {
      if (!ws.mask[r]) continue;
      const item = ws.items[r];
      const from = ws.dX0.offset + r * E;
      const to = dEmb + item * E;
      for (let j = 0; j < E; j++) f[to + j] += f[from + j] * scale;
      if (this.groups > 0) {
        const group = gradBase + this.groupEmbedding + this.groupOf[(item - 1) % N] * E;
        for (let j = 0; j < E; j++) f[group + j] += f[from + j] * scale;
      }
      if (this.attention) {
        const pos = dPos + (r % T) * E;
        for (let j = 0; j < E; j++) f[pos + j] += f[from + j];
      }
    }
  }

  zeroGrad(): void {
    this.grads.data.fill(0);
  }

  /** Hard copy (τ = 1) or Polyak averaging of another network's weights into this one. */
  updateFrom(source: SequenceNetwork, tau = 1): void {
    softUpdate(this.params, source.params, tau);
  }

  dispose(): void {
    this.params.free();
    this.grads.free();
    for (const ws of this.workspaces) {
      for (const t of [
        ws.context,
        ws.groupScores,
        ws.dGroupScores,
        ws.groupTransposed,
        ws.x0,
        ws.dX0,
        ws.last,
        ws.lastHat,
        ws.lastRstd,
        ws.rep,
        ws.dRep,
        ws.dRepHead,
        ws.dLastRows,
        ws.dHead,
        ws.transposed,
        ws.tiedWeight,
        ws.tiedRows,
        ws.tiedColumns,
        ...Object.values(ws.heads),
      ])
        t.free();
    }
    this.gru?.dispose();
    this.attention?.dispose();
    this.workspaces.length = 0;
  }
}

/**
 * Up to this many rows a tied head scores them against the embeddings in place (an N×E by E×8
 * product); above it, it transposes the embeddings once and makes one B×E by E×N product.
 */
const TIED_FEW_ROWS = 8;

/**
 * Inverted dropout in place on `count` floats at `offset`: each is zeroed with probability `rate`
 * or scaled by 1/(1 − rate); the factors are kept in `keep` for the backward pass.
 */
function applyDropout(
  f: Float32Array,
  offset: number,
  keep: Float32Array,
  count: number,
  rate: number,
  rng: Rng,
): void {
  const scale = 1 / (1 - rate);
  for (let i = 0; i < count; i++) {
    const k = rng.float() < rate ? 0 : scale;
    keep[i] = k;
    f[offset + i] *= k;
  }
}
