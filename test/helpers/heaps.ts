import { Heap } from '../../src/numeric/heap.ts';
import { ReferenceKernels } from '../../src/numeric/kernels/reference-kernels.ts';
import { WasmKernels, wasmModule } from '../../src/numeric/kernels/wasm-kernels.ts';

/** Fresh heaps over every kernel set this machine has: the reference, and WASM SIMD when built. */
export function kernelHeaps(): Array<[string, () => Heap]> {
  const heaps: Array<[string, () => Heap]> = [['reference', () => new Heap(new ReferenceKernels())]];
  const module = wasmModule();
  if (module) heaps.push(['wasm-simd', () => new Heap(new WasmKernels(module))]);
  return heaps;
}
