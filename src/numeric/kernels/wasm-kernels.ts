import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ActivationCode, HEAP_BASE_FLOATS, type Kernels } from './kernels.ts';

interface WasmExports {
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
    accumulate: number,
    activation: number,
  ): void;
  transpose(dst: number, src: number, rows: number, cols: number): void;
  columnSum(out: number, x: number, m: number, n: number, accumulate: number): void;
  activationForward(out: number, x: number, length: number, kind: number): void;
  activationBackward(dx: number, dy: number, y: number, length: number, kind: number): void;
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
  ): void;
  sgd(params: number, grads: number, velocity: number, length: number, lr: number, momentum: number): void;
  sumSquares(x: number, length: number): number;
  scale(x: number, length: number, factor: number): void;
  polyak(target: number, source: number, length: number, tau: number): void;
}

const PAGE_FLOATS = 65536 / 4;
const buildDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'build');
let compiled: { module: WebAssembly.Module; relaxed: boolean } | null | undefined;

/**
 * The compiled kernel module: the fused multiply-add (relaxed SIMD) build when this runtime validates
 * it (Node ≥ 22, or Node 20 started with --experimental-wasm-relaxed-simd, as our scripts and launcher
 * do) and NEXTBEST_RELAXED_SIMD is not 0; else the plain SIMD build; null when neither was built or
 * WebAssembly SIMD is unavailable.
 */
export function wasmKernelModule(): { module: WebAssembly.Module; relaxed: boolean } | null {
  if (compiled !== undefined) return compiled;
  compiled = null;
  if (typeof WebAssembly !== 'object') return compiled;
  const candidates: Array<[string, boolean]> = [
    ['kernels-relaxed.wasm', true],
    ['kernels.wasm', false],
  ];
  for (const [file, relaxed] of candidates) {
    if (relaxed && process.env.NEXTBEST_RELAXED_SIMD === '0') continue;
    const path = join(buildDir, file);
    if (!existsSync(path)) continue;
    const bytes = readFileSync(path);
    if (!WebAssembly.validate(bytes)) continue;
    try {
      compiled = { module: new WebAssembly.Module(bytes), relaxed };
      break;
    } catch {
      // try the next candidate
    }
  }
  return compiled;
}

/** The compiled kernel module, or null (see wasmKernelModule). */
export function wasmModule(): WebAssembly.Module | null {
  return wasmKernelModule()?.module ?? null;
}

/**
 * The AssemblyScript SIMD kernels (assembly/kernels.ts) over one WebAssembly memory. Offsets are in
 * floats on this side and converted to byte pointers at the call.
 */
export class WasmKernels implements Kernels {
  readonly name = 'wasm-simd' as const;
  /** True when multiply-adds are fused (relaxed SIMD build). */
  readonly fusedMultiplyAdd: boolean;
  f32: Float32Array;
  generation = 0;
  private readonly memory: WebAssembly.Memory;
  private readonly exports: WasmExports;

  constructor(module: WebAssembly.Module, initialFloats = HEAP_BASE_FLOATS * 4) {
    this.fusedMultiplyAdd = wasmKernelModule()?.module === module && wasmKernelModule()?.relaxed === true;
    this.memory = new WebAssembly.Memory({ initial: Math.ceil(initialFloats / PAGE_FLOATS), maximum: 65536 });
    const instance = new WebAssembly.Instance(module, {
      env: {
        memory: this.memory,
        abort: () => {
          throw new Error('nextbest wasm kernel aborted');
        },
      },
    });
    this.exports = instance.exports as unknown as WasmExports;
    this.f32 = new Float32Array(this.memory.buffer);
  }

  ensureCapacity(floats: number): void {
    if (floats <= this.f32.length) return;
    const neededPages = Math.ceil(floats / PAGE_FLOATS) - this.memory.buffer.byteLength / 65536;
    const currentPages = this.memory.buffer.byteLength / 65536;
    this.memory.grow(Math.max(neededPages, Math.min(currentPages, 16384)));
    this.f32 = new Float32Array(this.memory.buffer);
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
    this.exports.gemm(c * 4, a * 4, b * 4, bias * 4, m, k, n, rs, cs, accumulate ? 1 : 0, activation);
  }

  transpose(dst: number, src: number, rows: number, cols: number): void {
    this.exports.transpose(dst * 4, src * 4, rows, cols);
  }

  columnSum(out: number, x: number, m: number, n: number, accumulate: boolean): void {
    this.exports.columnSum(out * 4, x * 4, m, n, accumulate ? 1 : 0);
  }

  activationForward(out: number, x: number, length: number, kind: ActivationCode): void {
    this.exports.activationForward(out * 4, x * 4, length, kind);
  }

  activationBackward(dx: number, dy: number, y: number, length: number, kind: ActivationCode): void {
    this.exports.activationBackward(dx * 4, dy * 4, y * 4, length, kind);
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
    this.exports.adam(params * 4, grads * 4, m * 4, v * 4, length, stepSize, beta1, beta2, epsHat, decay);
  }

  sgd(params: number, grads: number, velocity: number, length: number, lr: number, momentum: number): void {
    this.exports.sgd(params * 4, grads * 4, velocity * 4, length, lr, momentum);
  }

  sumSquares(x: number, length: number): number {
    return this.exports.sumSquares(x * 4, length);
  }

  scale(x: number, length: number, factor: number): void {
    this.exports.scale(x * 4, length, factor);
  }

  polyak(target: number, source: number, length: number, tau: number): void {
    this.exports.polyak(target * 4, source * 4, length, tau);
  }
}
