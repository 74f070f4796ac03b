import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../../src/core/rng.ts';
import { Heap } from '../../src/numeric/heap.ts';
import { Activation, type Kernels } from '../../src/numeric/kernels/kernels.ts';
import { ReferenceKernels } from '../../src/numeric/kernels/reference-kernels.ts';
import { WasmKernels, wasmModule } from '../../src/numeric/kernels/wasm-kernels.ts';

const module = wasmModule();

/** Run the same kernel call on both kernel sets over identical random memory; compare every float. */
function compare(
  floats: number,
  call: (k: Kernels, base: number) => number | undefined,
  tolerance = 1e-5,
  seed = 1,
): void {
  assert.ok(module, 'build/kernels.wasm must be built (npm ci runs the build)');
  const reference = new Heap(new ReferenceKernels());
  const wasm = new Heap(new WasmKernels(module));
  const rng = new Rng(seed);
  const values = Float32Array.from({ length: floats }, () => rng.normal());
  const a = reference.from(values);
  const b = wasm.from(values);
  const ra = call(reference.kernels, a.offset);
  const rb = call(wasm.kernels, b.offset);
  if (ra !== undefined && rb !== undefined) {
    assert.ok(Math.abs(ra - rb) <= tolerance * Math.max(1, Math.abs(ra)), `returned ${ra} vs ${rb}`);
  }
  const x = a.data;
  const y = b.data;
  for (let i = 0; i < floats; i++) {
    const scale = Math.max(1, Math.abs(x[i]));
    assert.ok(Math.abs(x[i] - y[i]) <= tolerance * scale, `float ${i}: reference ${x[i]} vs wasm ${y[i]}`);
  }
}

describe('WebAssembly SIMD kernels match the reference kernels', () => {
  const shapes: Array<[number, number, number]> = [
    [1, 1, 1],
    [4, 8, 8],
    [5, 7, 13],
    [64, 64, 256],
    [3, 17, 50],
    [9, 33, 12],
    [2, 64, 256],
    [1, 40, 70],
  ];
  for (const [m, k, n] of shapes) {
    for (const activation of [Activation.none, Activation.relu]) {
      for (const accumulate of [false, true]) {
        test(`gemm ${m}×${k}·${k}×${n} act=${activation} accumulate=${accumulate}`, () => {
          compare(m * k + k * n + m * n + n + 16, (kernels, base) => {
            const a = base;
            const b = a + m * k;
            const c = b + k * n;
            const bias = c + m * n;
            kernels.gemm(c, a, b, bias, m, k, n, k, 1, accumulate, activation);
            return undefined;
          });
        });
      }
    }
  }

  test('gemm reads a transposed A through strides (the weight-gradient product)', () => {
    const [m, k, n] = [37, 11, 19];
    compare(k * m + k * n + m * n, (kernels, base) => {
      // A is the transpose of a stored k×m matrix: row stride 1, column stride m.
      kernels.gemm(base + k * m + k * n, base, base + k * m, 0, m, k, n, 1, m, false, Activation.none);
      return undefined;
    });
  });

  test('transpose, columnSum, activations, sumSquares, scale, polyak', () => {
    compare(2000, (kernels, base) => {
      kernels.transpose(base + 1000, base, 13, 29);
      kernels.columnSum(base + 1500, base, 9, 31, true);
      return undefined;
    });
    for (const kind of [Activation.relu, Activation.tanh, Activation.sigmoid, Activation.none]) {
      compare(
        300,
        (kernels, base) => {
          kernels.activationForward(base + 100, base, 97, kind);
          kernels.activationBackward(base + 200, base + 50, base + 100, 97, kind);
          return undefined;
        },
        2e-6,
      );
    }
    compare(1031, (kernels, base) => kernels.sumSquares(base, 1031), 1e-6);
    compare(103, (kernels, base) => {
      kernels.scale(base, 51, 0.37);
      kernels.polyak(base + 51, base, 51, 0.05);
      return undefined;
    });
  });

  test('adam and sgd steps', () => {
    compare(4 * 203, (kernels, base) => {
      const n = 203;
      // v must be non-negative, as in a real run.
      for (let i = 0; i < n; i++) kernels.f32[base + 3 * n + i] = Math.abs(kernels.f32[base + 3 * n + i]);
      kernels.adam(base, base + n, base + 2 * n, base + 3 * n, n, 1e-3, 0.9, 0.999, 1e-8, 1e-4);
      kernels.sgd(base, base + n, base + 2 * n, n, 0.01, 0.9);
      return undefined;
    });
  });
});

describe('reference kernels against hand-computed values', () => {
  test('gemm with bias and relu', () => {
    const heap = new Heap(new ReferenceKernels());
    const a = heap.from([1, 2, 3, 4]); // 2×2
    const b = heap.from([1, -1, 0.5, 2]); // 2×2
    const bias = heap.from([0, -10]);
    const c = heap.alloc(4);
    heap.kernels.gemm(c.offset, a.offset, b.offset, bias.offset, 2, 2, 2, 2, 1, false, Activation.relu);
    // [1 2]·[[1 -1][.5 2]] = [2, 3] → + bias [2, -7] → relu [2, 0]; [3 4] → [5, 5] → [5, -5] → [5, 0]
    assert.deepEqual([...c.data], [2, 0, 5, 0]);
  });

  test('adam first step moves each weight by the learning rate against its gradient sign', () => {
    const heap = new Heap(new ReferenceKernels());
    const p = heap.from([1, 1]);
    const g = heap.from([0.5, -2]);
    const m = heap.alloc(2);
    const v = heap.alloc(2);
    // t = 1: m̂ = g, v̂ = g², update = lr · g/|g| = ±lr (Kingma & Ba 2015, §3).
    const lr = 0.1;
    const c1 = 1 - 0.9;
    const c2 = Math.sqrt(1 - 0.999);
    heap.kernels.adam(p.offset, g.offset, m.offset, v.offset, 2, (lr * c2) / c1, 0.9, 0.999, 1e-8 * c2, 0);
    assert.ok(Math.abs(p.data[0] - 0.9) < 1e-6);
    assert.ok(Math.abs(p.data[1] - 1.1) < 1e-6);
  });

  test('heap reuses freed blocks and coalesces them', () => {
    const heap = new Heap(new ReferenceKernels());
    const a = heap.alloc(10);
    const b = heap.alloc(10);
    const c = heap.alloc(10);
    b.free();
    a.free();
    const d = heap.alloc(24);
    assert.equal(d.offset, a.offset, 'two adjacent freed blocks serve one larger request');
    c.free();
    d.free();
    assert.equal(heap.allocatedFloats, 0);
  });

  test('tensor views survive memory growth', () => {
    const heap = new Heap(new ReferenceKernels(16384 + 64));
    const t = heap.from([1, 2, 3]);
    heap.alloc(1_000_000);
    assert.deepEqual([...t.data], [1, 2, 3]);
  });
});

describe('two-thread gemm (worker over shared WebAssembly memory)', () => {
  test('splitting rows across a worker gives the same products as one thread', () => {
    assert.ok(module);
    const single = new Heap(new WasmKernels(module, undefined, 1));
    const kernels = new WasmKernels(module, undefined, 2);
    const double = new Heap(kernels);
    const rng = new Rng(12);
    // [m, k, n, rs, cs]: forward shape, transposed-A (weight-gradient) shape, odd row count.
    for (const [m, k, n, rs, cs] of [
      [64, 256, 256, 256, 1],
      [256, 64, 256, 1, 256],
      [97, 200, 130, 200, 1],
    ]) {
      const values = Float32Array.from({ length: m * k + k * n + n }, () => rng.normal());
      const outputs = [single, double].map((heap) => {
        const a = heap.from(values.subarray(0, m * k));
        const b = heap.from(values.subarray(m * k, m * k + k * n));
        const bias = heap.from(values.subarray(m * k + k * n));
        const c = heap.alloc(m * n);
        heap.kernels.gemm(c.offset, a.offset, b.offset, bias.offset, m, k, n, rs, cs, false, Activation.relu);
        return c.data.slice();
      });
      assert.ok(2 * m * k * n >= 1 << 22, 'large enough to be split');
      assert.deepEqual(outputs[1], outputs[0], `${m}×${k}×${n}`);
    }
    assert.equal(kernels.threads, 2);
    kernels.close();
  });
});
