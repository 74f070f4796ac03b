export { denseBackward, denseForward, duelingBackward, duelingForward } from './dense.ts';
export { getHeap, Heap, type KernelChoice, Tensor } from './heap.ts';
export { Activation, type ActivationCode, type ActivationName, type Kernels } from './kernels/kernels.ts';
export { ReferenceKernels } from './kernels/reference-kernels.ts';
export { WasmKernels, wasmKernelModule, wasmModule } from './kernels/wasm-kernels.ts';
export {
  huber,
  huberGradient,
  huberLoss,
  logSoftmax,
  mseLoss,
  softmax,
  softmaxCrossEntropy,
} from './losses.ts';
export { Mlp, type MlpOptions, type MlpWorkspace, mlpSchema } from './mlp.ts';
export { clipGradientNorm, Optimizer, type OptimizerConfig, optimizerSchema } from './optimizers.ts';
export { decodeFloat32, encodeFloat32 } from './serialize.ts';
