import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { EngineError } from '../../core/engine-error.ts';
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
/** Products smaller than this (2·m·k·n) stay on one thread: the hand-off costs a few microseconds. */
export const PARALLEL_MIN_FLOPS = 1 << 22;
const WORKER_STALL_MS = 10_000;
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
  private readonly module: WebAssembly.Module;
  /** Threads a large gemm is split over (1 = this thread only). */
  readonly threads: number;
  private worker: Worker | null = null;
  private control: Int32Array | null = null;
  private sequence = 0;

  /**
   * @param threads 2 splits products of at least PARALLEL_MIN_FLOPS between this thread and one worker.
   *   Default: NEXTBEST_THREADS (1 or 2), else 1. Two threads are opt-in because on our 2-vCPU CI machine
   *   the split measured from 1.4× faster (batch-256 inference) to 1.5× slower (batch-64 training)
   *   depending on load (docs/decisions/0001-numeric-kernels.md).
   */
  constructor(module: WebAssembly.Module, initialFloats = HEAP_BASE_FLOATS * 4, threads?: number) {
    this.module = module;
    const requested = threads ?? (process.env.NEXTBEST_THREADS === '2' ? 2 : 1);
    this.threads = requested > 1 && availableParallelism() > 1 ? 2 : 1;
    this.fusedMultiplyAdd = wasmKernelModule()?.module === module && wasmKernelModule()?.relaxed === true;
    this.memory = new WebAssembly.Memory({
      initial: Math.ceil(initialFloats / PAGE_FLOATS),
      maximum: 65536,
      shared: true,
    });
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
    const acc = accumulate ? 1 : 0;
    if (this.threads < 2 || m < 16 || 2 * m * k * n < PARALLEL_MIN_FLOPS) {
      this.exports.gemm(c * 4, a * 4, b * 4, bias * 4, m, k, n, rs, cs, acc, activation);
      return;
    }
    // Rows [0, split) here, [split, m) on the worker; both read B and write disjoint rows of C.
    const control = this.startWorker();
    if (!control) {
      this.exports.gemm(c * 4, a * 4, b * 4, bias * 4, m, k, n, rs, cs, acc, activation);
      return;
    }
    const split = (m >> 1) & ~3;
    control[2] = (c + split * n) * 4;
    control[3] = (a + split * rs) * 4;
    control[4] = b * 4;
    control[5] = bias * 4;
    control[6] = m - split;
    control[7] = k;
    control[8] = n;
    control[9] = rs;
    control[10] = cs;
    control[11] = acc;
    control[12] = activation;
    const job = ++this.sequence;
    Atomics.store(control, 0, job);
    Atomics.notify(control, 0);
    this.exports.gemm(c * 4, a * 4, b * 4, bias * 4, split, k, n, rs, cs, acc, activation);
    let spins = 0;
    const started = Date.now();
    while (Atomics.load(control, 1) !== job) {
      if (++spins > 1000) {
        Atomics.wait(control, 1, Atomics.load(control, 1), 1);
        if (Date.now() - started > WORKER_STALL_MS) {
          throw new EngineError(
            'E_WORKER_STALLED',
            `the gemm worker did not finish within ${WORKER_STALL_MS} ms`,
            {
              hint: 'set NEXTBEST_THREADS=1 to run every product on one thread',
              status: 500,
            },
          );
        }
      }
    }
  }

  private startWorker(): Int32Array | null {
    if (this.control) return this.control;
    if (this.threads < 2) return null;
    const control = new Int32Array(new SharedArrayBuffer(16 * 4));
    this.worker = new Worker(new URL('./gemm-worker.mjs', import.meta.url), {
      workerData: { module: this.module, memory: this.memory, control: control.buffer, panel: 32768 },
    });
    // The worker must never keep the process alive, and its failure must not pass silently.
    this.worker.unref();
    this.worker.on('error', (error) => {
      console.error(`nextbest: gemm worker failed (${error.message}); continuing on one thread`);
      (this as { threads: number }).threads = 1;
    });
    // Wait (blocking, bounded) until the worker has instantiated the module; else stay single-threaded.
    Atomics.wait(control, 13, 0, 5000);
    if (Atomics.load(control, 13) !== 1) {
      console.error('nextbest: the gemm worker did not start; continuing on one thread');
      (this as { threads: number }).threads = 1;
      return null;
    }
    this.control = control;
    return control;
  }

  /** Stop the worker thread (tests, shutdown). */
  close(): void {
    if (this.control) {
      Atomics.store(this.control, 0, -1);
      Atomics.notify(this.control, 0);
    }
    this.worker = null;
    this.control = null;
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
