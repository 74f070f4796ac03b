import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Heap } from '../../src/numeric/heap.ts';
import { ReferenceKernels } from '../../src/numeric/kernels/reference-kernels.ts';
import { clipGradientNorm, Optimizer } from '../../src/numeric/optimizers.ts';

describe('optimisers against hand-computed values', () => {
  test('gradient-norm clipping rescales to the limit and leaves small gradients alone', () => {
    const heap = new Heap(new ReferenceKernels());
    const g = heap.from([3, 4]);
    assert.equal(clipGradientNorm(g, 10), 5);
    assert.deepEqual([...g.data], [3, 4]);
    assert.equal(clipGradientNorm(g, 1), 5);
    assert.ok(Math.abs(g.data[0] - 0.6) < 1e-6 && Math.abs(g.data[1] - 0.8) < 1e-6);
  });

  test('SGD with momentum: v ← μv + g, θ ← θ − ηv, two steps', () => {
    const heap = new Heap(new ReferenceKernels());
    const params = heap.from([1]);
    const grads = heap.from([2]);
    const sgd = new Optimizer(heap, params, grads, { kind: 'sgd', learningRate: 0.1, momentum: 0.5 });
    sgd.apply(); // v = 2, θ = 1 − 0.2 = 0.8
    sgd.apply(); // v = 0.5·2 + 2 = 3, θ = 0.8 − 0.3 = 0.5
    assert.ok(Math.abs(params.data[0] - 0.5) < 1e-6);
  });

  test('Adam minimises a quadratic; clipping is applied before the step', () => {
    const heap = new Heap(new ReferenceKernels());
    const params = heap.from([5, -3]);
    const grads = heap.alloc(2);
    const adam = new Optimizer(heap, params, grads, { learningRate: 0.1, maxGradNorm: 1 });
    for (let i = 0; i < 500; i++) {
      grads.set([2 * params.data[0], 2 * params.data[1]]); // ∇(x² + y²)
      const norm = adam.apply();
      if (i === 0) assert.ok(Math.abs(norm - Math.hypot(10, 6)) < 1e-4, 'returns the norm before clipping');
    }
    assert.ok(Math.abs(params.data[0]) < 0.05 && Math.abs(params.data[1]) < 0.05, `${[...params.data]}`);
  });
});
