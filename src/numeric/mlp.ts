import { z } from 'zod';
import type { Rng } from '../core/rng.ts';
import { denseBackward, denseForward, duelingBackward, duelingForward } from './dense.ts';
import type { Heap, Tensor } from './heap.ts';
import { Activation, type ActivationName } from './kernels/kernels.ts';
import { softUpdate } from './optimizers.ts';

export const mlpSchema = z.object({
  hidden: z.array(z.number().int().positive()).default([256, 256]),
  activation: z.enum(['relu', 'tanh', 'sigmoid']).default('relu'),
  /** `dueling` splits the last layer into V(s) and A(s,·) (Wang et al. 2016). */
  head: z.enum(['linear', 'dueling']).default('linear'),
});
export type MlpOptions = z.output<typeof mlpSchema>;

interface LayerPlan {
  inputs: number;
  outputs: number;
  weight: number; // offset within params
  bias: number;
  activation: (typeof Activation)[ActivationName];
}

/** Buffers for one batch size: every layer's output and two gradient ping-pong buffers. */
export interface MlpWorkspace {
  readonly maxBatch: number;
  readonly input: Tensor;
  readonly outputs: Tensor[];
  readonly gradA: Tensor;
  readonly gradB: Tensor;
  readonly weightTransposed: Tensor;
  /** Q-values after the dueling combination (dueling head only). */
  readonly q: Tensor | null;
}

const align4 = (n: number) => (n + 3) & ~3;

/**
 * A multi-layer perceptron over one flat parameter buffer and one flat gradient buffer, so that the
 * optimiser, target-network copies and snapshots are single operations.
 */
export class Mlp {
  readonly params: Tensor;
  readonly grads: Tensor;
  readonly options: MlpOptions;
  private readonly layers: LayerPlan[] = [];
  private readonly workspaces: MlpWorkspace[] = [];

  constructor(
    readonly heap: Heap,
    readonly inputSize: number,
    readonly outputSize: number,
    options: Partial<MlpOptions>,
    rng: Rng,
  ) {
    this.options = mlpSchema.parse(options);
    const widths = [
      inputSize,
      ...this.options.hidden,
      outputSize + (this.options.head === 'dueling' ? 1 : 0),
    ];
    let size = 0;
    for (let l = 0; l + 1 < widths.length; l++) {
      const inputs = widths[l];
      const outputs = widths[l + 1];
      const last = l + 2 === widths.length;
      const weight = size;
      size += align4(inputs * outputs);
      const bias = size;
      size += align4(outputs);
      this.layers.push({
        inputs,
        outputs,
        weight,
        bias,
        activation: last ? Activation.none : Activation[this.options.activation],
      });
    }
    this.params = heap.alloc(size);
    this.grads = heap.alloc(size);
    // PyTorch's nn.Linear default: W, b ~ U(−1/√fan_in, 1/√fan_in).
    const p = this.params.data;
    for (const layer of this.layers) {
      const bound = 1 / Math.sqrt(layer.inputs);
      for (let i = 0; i < layer.inputs * layer.outputs; i++) p[layer.weight + i] = rng.uniform(-bound, bound);
      for (let i = 0; i < layer.outputs; i++) p[layer.bias + i] = rng.uniform(-bound, bound);
    }
  }

  get parameterCount(): number {
    return this.layers.reduce((n, l) => n + l.inputs * l.outputs + l.outputs, 0);
  }

  /** Workspace for batches up to maxBatch (cached: one per distinct size). */
  workspace(maxBatch: number): MlpWorkspace {
    const existing = this.workspaces.find((w) => w.maxBatch >= maxBatch);
    if (existing) return existing;
    const widest = Math.max(this.inputSize, ...this.layers.map((l) => l.outputs));
    const biggestWeight = Math.max(...this.layers.map((l) => l.inputs * l.outputs));
    const ws: MlpWorkspace = {
      maxBatch,
      input: this.heap.alloc(maxBatch * this.inputSize),
      outputs: this.layers.map((l) => this.heap.alloc(maxBatch * l.outputs)),
      gradA: this.heap.alloc(maxBatch * widest),
      gradB: this.heap.alloc(maxBatch * widest),
      weightTransposed: this.heap.alloc(biggestWeight),
      q: this.options.head === 'dueling' ? this.heap.alloc(maxBatch * this.outputSize) : null,
    };
    this.workspaces.push(ws);
    this.workspaces.sort((a, b) => a.maxBatch - b.maxBatch);
    return ws;
  }

  /** Forward a batch (row-major batch × inputSize); returns a view of the batch × outputSize outputs. */
  forward(input: Float32Array, batch: number, ws = this.workspace(batch)): Float32Array {
    const kernels = this.heap.kernels;
    ws.input.data.set(input.subarray(0, batch * this.inputSize));
    let from = ws.input.offset;
    const base = this.params.offset;
    for (let l = 0; l < this.layers.length; l++) {
      const layer = this.layers[l];
      const out = ws.outputs[l].offset;
      denseForward(
        kernels,
        out,
        from,
        base + layer.weight,
        base + layer.bias,
        batch,
        layer.inputs,
        layer.outputs,
        layer.activation,
      );
      from = out;
    }
    const last = ws.outputs[this.layers.length - 1];
    if (ws.q) {
      duelingForward(ws.q.data, last.data, batch, this.outputSize);
      return ws.q.data.subarray(0, batch * this.outputSize);
    }
    return last.data.subarray(0, batch * this.outputSize);
  }

  /**
   * Backward from ∂L/∂output (batch × outputSize) through the activations left by the last `forward`
   * on the same workspace; gradients are added to `grads`.
   */
  backward(dOutput: Float32Array, batch: number, ws = this.workspace(batch)): void {
    const kernels = this.heap.kernels;
    if (this.options.head === 'dueling') duelingBackward(ws.gradA.data, dOutput, batch, this.outputSize);
    else ws.gradA.data.set(dOutput.subarray(0, batch * this.outputSize));
    let dOut = ws.gradA;
    let dIn = ws.gradB;
    const base = this.params.offset;
    const gradBase = this.grads.offset;
    for (let l = this.layers.length - 1; l >= 0; l--) {
      const layer = this.layers[l];
      const input = l === 0 ? ws.input : ws.outputs[l - 1];
      denseBackward(
        kernels,
        l === 0 ? 0 : dIn.offset,
        dOut.offset,
        ws.outputs[l].offset,
        input.offset,
        base + layer.weight,
        gradBase + layer.weight,
        gradBase + layer.bias,
        ws.weightTransposed.offset,
        batch,
        layer.inputs,
        layer.outputs,
        layer.activation,
      );
      const swap = dOut;
      dOut = dIn;
      dIn = swap;
    }
  }

  zeroGrad(): void {
    this.grads.data.fill(0);
  }

  /** Hard copy (τ = 1) or Polyak averaging of another network's weights into this one. */
  updateFrom(source: Mlp, tau = 1): void {
    softUpdate(this.params, source.params, tau);
  }

  dispose(): void {
    this.params.free();
    this.grads.free();
    for (const ws of this.workspaces) {
      ws.input.free();
      for (const o of ws.outputs) o.free();
      ws.gradA.free();
      ws.gradB.free();
      ws.weightTransposed.free();
      ws.q?.free();
    }
    this.workspaces.length = 0;
  }
}
