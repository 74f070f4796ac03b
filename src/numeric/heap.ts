import { EngineError } from '../core/engine-error.ts';
import { HEAP_BASE_FLOATS, type Kernels } from './kernels/kernels.ts';
import { ReferenceKernels } from './kernels/reference-kernels.ts';
import { WasmKernels, wasmModule } from './kernels/wasm-kernels.ts';

/**
 * A handle on a run of floats in a heap's memory. Hold the handle, not the Float32Array: the memory
 * may move when it grows, and `data` re-creates the view when it did.
 */
export class Tensor {
  private view: Float32Array | null = null;
  private viewGeneration = -1;

  constructor(
    readonly heap: Heap,
    readonly offset: number,
    readonly length: number,
  ) {}

  get data(): Float32Array {
    const kernels = this.heap.kernels;
    if (this.viewGeneration !== kernels.generation || this.view === null) {
      this.view = kernels.f32.subarray(this.offset, this.offset + this.length);
      this.viewGeneration = kernels.generation;
    }
    return this.view;
  }

  /** A sub-range of this tensor (shares memory). */
  slice(start: number, length: number): Tensor {
    if (start < 0 || start + length > this.length) throw new RangeError('tensor slice out of range');
    return new Tensor(this.heap, this.offset + start, length);
  }

  set(values: ArrayLike<number>, at = 0): void {
    this.data.set(values, at);
  }

  free(): void {
    this.heap.free(this);
  }
}

/** Kernels plus a first-fit allocator over their memory (blocks 16-byte aligned, coalesced on free). */
export class Heap {
  private top = HEAP_BASE_FLOATS;
  /** Free blocks as [offset, length], sorted by offset. */
  private readonly freeBlocks: Array<[number, number]> = [];
  private liveFloats = 0;

  constructor(readonly kernels: Kernels) {}

  alloc(length: number): Tensor {
    if (!Number.isInteger(length) || length < 0) throw new RangeError(`cannot allocate ${length} floats`);
    const size = Math.max(4, (length + 3) & ~3);
    let offset = -1;
    for (let i = 0; i < this.freeBlocks.length; i++) {
      const [start, blockSize] = this.freeBlocks[i];
      if (blockSize >= size) {
        offset = start;
        if (blockSize === size) this.freeBlocks.splice(i, 1);
        else this.freeBlocks[i] = [start + size, blockSize - size];
        break;
      }
    }
    if (offset < 0) {
      offset = this.top;
      this.top += size;
      try {
        this.kernels.ensureCapacity(this.top);
      } catch (cause) {
        this.top -= size;
        throw new EngineError('E_OUT_OF_MEMORY', `could not grow kernel memory to ${this.top * 4} bytes`, {
          hint: 'use a smaller network, batch or replay buffer',
          cause,
        });
      }
    }
    this.liveFloats += size;
    const tensor = new Tensor(this, offset, length);
    tensor.data.fill(0);
    return tensor;
  }

  /** Allocate and fill from values. */
  from(values: ArrayLike<number>): Tensor {
    const tensor = this.alloc(values.length);
    tensor.set(values);
    return tensor;
  }

  free(tensor: Tensor): void {
    const size = Math.max(4, (tensor.length + 3) & ~3);
    this.liveFloats -= size;
    let index = this.freeBlocks.findIndex(([start]) => start > tensor.offset);
    if (index < 0) index = this.freeBlocks.length;
    this.freeBlocks.splice(index, 0, [tensor.offset, size]);
    // Coalesce with the next block, then with the previous one.
    const blocks = this.freeBlocks;
    if (index + 1 < blocks.length && blocks[index][0] + blocks[index][1] === blocks[index + 1][0]) {
      blocks[index][1] += blocks[index + 1][1];
      blocks.splice(index + 1, 1);
    }
    if (index > 0 && blocks[index - 1][0] + blocks[index - 1][1] === blocks[index][0]) {
      blocks[index - 1][1] += blocks[index][1];
      blocks.splice(index, 1);
    }
    const last = this.freeBlocks[this.freeBlocks.length - 1];
    if (last && last[0] + last[1] === this.top) {
      this.top = last[0];
      this.freeBlocks.pop();
    }
  }

  /** Floats currently allocated (for leak tests and diagnostics). */
  get allocatedFloats(): number {
    return this.liveFloats;
  }
}

export type KernelChoice = 'auto' | 'wasm' | 'reference';

const heaps = new Map<string, Heap>();

/**
 * The process-wide heap for a kernel set. `auto` picks the WebAssembly SIMD kernels when they were built
 * and this runtime can run them, else the reference kernels; NEXTBEST_KERNELS=reference|wasm overrides.
 */
export function getHeap(choice: KernelChoice = 'auto'): Heap {
  let resolved = choice;
  if (resolved === 'auto') {
    const fromEnv = process.env.NEXTBEST_KERNELS;
    resolved = fromEnv === 'reference' || fromEnv === 'wasm' ? fromEnv : wasmModule() ? 'wasm' : 'reference';
  }
  const existing = heaps.get(resolved);
  if (existing) return existing;
  let heap: Heap;
  if (resolved === 'wasm') {
    const module = wasmModule();
    if (!module) {
      throw new EngineError('E_KERNELS_UNAVAILABLE', 'the WebAssembly SIMD kernels are not built', {
        hint: "run 'npm run build:wasm', or use kernels: 'reference'",
      });
    }
    heap = new Heap(new WasmKernels(module));
  } else {
    heap = new Heap(new ReferenceKernels());
  }
  heaps.set(resolved, heap);
  return heap;
}
