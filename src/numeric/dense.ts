import { Activation, type ActivationCode, type Kernels } from './kernels/kernels.ts';

/**
 * A fully connected layer as two functions over float offsets: y = f(x·W + b), W row-major
 * [inputs × outputs]. ReLU is fused into the matrix product's store; tanh/sigmoid run as a second pass.
 */
export function denseForward(
  kernels: Kernels,
  output: number,
  input: number,
  weight: number,
  bias: number,
  batch: number,
  inputs: number,
  outputs: number,
  activation: ActivationCode,
): void {
  const fused = activation === Activation.relu ? Activation.relu : Activation.none;
  kernels.gemm(output, input, weight, bias, batch, inputs, outputs, inputs, 1, false, fused);
  if (activation === Activation.tanh || activation === Activation.sigmoid) {
    kernels.activationForward(output, output, batch * outputs, activation);
  }
}

/**
 * Backward through y = f(x·W + b). `dOutput` holds ∂L/∂y on entry and is overwritten with ∂L/∂z.
 * Gradients are accumulated into dWeight and dBias; ∂L/∂x is written to dInput unless it is 0 (the first
 * layer needs none). `weightTransposed` is scratch of inputs·outputs floats.
 */
export function denseBackward(
  kernels: Kernels,
  dInput: number,
  dOutput: number,
  output: number,
  input: number,
  weight: number,
  dWeight: number,
  dBias: number,
  weightTransposed: number,
  batch: number,
  inputs: number,
  outputs: number,
  activation: ActivationCode,
): void {
  if (activation !== Activation.none) {
    kernels.activationBackward(dOutput, dOutput, output, batch * outputs, activation);
  }
  // ∂L/∂W += xᵀ·dz : A = xᵀ is read through strides (row stride 1, column stride `inputs`).
  kernels.gemm(dWeight, input, dOutput, 0, inputs, batch, outputs, 1, inputs, true, Activation.none);
  kernels.columnSum(dBias, dOutput, batch, outputs, true);
  if (dInput) {
    // ∂L/∂x = dz·Wᵀ, with Wᵀ materialised so the product streams rows (cost ≈ 1/batch of the product).
    kernels.transpose(weightTransposed, weight, inputs, outputs);
    kernels.gemm(
      dInput,
      dOutput,
      weightTransposed,
      0,
      batch,
      outputs,
      inputs,
      outputs,
      1,
      false,
      Activation.none,
    );
  }
}

/**
 * Dueling head (Wang et al. 2016, eq. 9): Q(s,a) = V(s) + A(s,a) − mean_a' A(s,a'). `head` rows are
 * [V, A_1..A_n]; `q` rows are n wide. Plain arrays: the head is tiny next to the trunk.
 */
export function duelingForward(q: Float32Array, head: Float32Array, batch: number, actions: number): void {
  const width = actions + 1;
  for (let i = 0; i < batch; i++) {
    const row = i * width;
    let mean = 0;
    for (let a = 0; a < actions; a++) mean += head[row + 1 + a];
    mean /= actions;
    const value = head[row];
    for (let a = 0; a < actions; a++) q[i * actions + a] = value + head[row + 1 + a] - mean;
  }
}

/** ∂L/∂V = Σ_a ∂L/∂Q_a; ∂L/∂A_a = ∂L/∂Q_a − mean_b ∂L/∂Q_b. */
export function duelingBackward(dHead: Float32Array, dq: Float32Array, batch: number, actions: number): void {
  const width = actions + 1;
  for (let i = 0; i < batch; i++) {
    let sum = 0;
    for (let a = 0; a < actions; a++) sum += dq[i * actions + a];
    const mean = sum / actions;
    dHead[i * width] = sum;
    for (let a = 0; a < actions; a++) dHead[i * width + 1 + a] = dq[i * actions + a] - mean;
  }
}
