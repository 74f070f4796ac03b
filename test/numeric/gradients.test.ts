import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../../src/core/rng.ts';
import type { Heap } from '../../src/numeric/heap.ts';
import { huberLoss, logSoftmax, mseLoss, softmax, softmaxCrossEntropy } from '../../src/numeric/losses.ts';
import { Mlp, type MlpOptions } from '../../src/numeric/mlp.ts';
import { kernelHeaps } from '../helpers/heaps.ts';

/**
 * Finite-difference check of analytic gradients: L = Σ c ⊙ f(x) for a fixed random c, central
 * differences in float32 with step h, compared with a mixed absolute/relative tolerance.
 */
function checkMlpGradients(heap: Heap, options: Partial<MlpOptions>, label: string): void {
  const rng = new Rng(7);
  const inputs = 5;
  const outputs = 3;
  const batch = 4;
  const net = new Mlp(heap, inputs, outputs, { hidden: [6, 7], ...options }, rng);
  const x = Float32Array.from({ length: batch * inputs }, () => rng.normal());
  const c = Float32Array.from({ length: batch * outputs }, () => rng.normal());
  const loss = () => {
    const y = net.forward(x, batch);
    let total = 0;
    for (let i = 0; i < y.length; i++) total += c[i] * y[i];
    return total;
  };
  net.zeroGrad();
  loss();
  net.backward(c, batch);
  const analytic = net.grads.data.slice();
  const params = net.params.data;
  const h = 1e-2;
  let checked = 0;
  let kinks = 0;
  const center = loss();
  for (let i = 0; i < params.length; i++) {
    if (analytic[i] === 0 && i % 3 !== 0) continue; // padding and dead ReLUs: still sample some
    const saved = params[i];
    params[i] = saved + h;
    const up = loss();
    params[i] = saved - h;
    const down = loss();
    params[i] = saved;
    // A ReLU switching inside [−h, h] makes the one-sided slopes disagree: not differentiable there.
    const right = (up - center) / h;
    const left = (center - down) / h;
    if (Math.abs(right - left) > 0.02 * Math.max(1, Math.abs(right))) {
      kinks++;
      continue;
    }
    const numeric = (up - down) / (2 * h);
    const error = Math.abs(numeric - analytic[i]);
    assert.ok(
      error <= 2e-3 + 2e-2 * Math.abs(numeric),
      `${label}: param ${i} analytic ${analytic[i]} numeric ${numeric}`,
    );
    checked++;
  }
  assert.ok(checked > 50, `${label}: checked ${checked} parameters`);
  assert.ok(kinks <= 3, `${label}: ${kinks} parameters sat on a kink`);
  net.dispose();
}

describe('finite-difference gradient checks', () => {
  for (const [name, makeHeap] of kernelHeaps()) {
    for (const activation of ['relu', 'tanh', 'sigmoid'] as const) {
      test(`dense layers with ${activation} (${name} kernels)`, () => {
        checkMlpGradients(makeHeap(), { activation }, `${name}/${activation}`);
      });
    }
    test(`dueling head (${name} kernels)`, () => {
      checkMlpGradients(makeHeap(), { head: 'dueling', activation: 'tanh' }, `${name}/dueling`);
    });
  }

  function checkLoss(name: string, lossAndGradient: (x: Float32Array, gradient?: Float32Array) => number) {
    const rng = new Rng(3);
    const x = Float32Array.from({ length: 12 }, () => rng.normal() * 2);
    const gradient = new Float32Array(12);
    lossAndGradient(x, gradient);
    const h = 1e-3;
    for (let i = 0; i < x.length; i++) {
      const saved = x[i];
      x[i] = saved + h;
      const up = lossAndGradient(x);
      x[i] = saved - h;
      const down = lossAndGradient(x);
      x[i] = saved;
      const numeric = (up - down) / (2 * h);
      assert.ok(Math.abs(numeric - gradient[i]) < 1e-3 + 1e-2 * Math.abs(numeric), `${name}[${i}]`);
    }
  }

  test('MSE, Huber and softmax cross-entropy losses', () => {
    const target = Float32Array.from({ length: 12 }, (_, i) => Math.sin(i) * 2);
    checkLoss('mse', (x, g) => mseLoss(x, target, g));
    checkLoss('huber', (x, g) => huberLoss(x, target, 1, g));
    checkLoss('cross-entropy', (x, g) => softmaxCrossEntropy(x, [1, 3, 0], 3, 4, g, [1, -0.5, 2]));
  });

  test('fused softmax cross-entropy equals a stored softmax followed by the loss, bit for bit', () => {
    const rng = new Rng(3);
    const [batch, width] = [5, 37];
    const logits = Float32Array.from({ length: batch * width }, () => rng.normal(0, 3));
    const labels = [0, 36, 5, 5, 20];
    const weights = [1, -0.5, 2, 0.25, 1];
    const p = new Float32Array(batch * width);
    softmax(p, logits, batch, width);
    let expected = 0;
    const expectedGradient = new Float32Array(batch * width);
    for (let i = 0; i < batch; i++) {
      expected -= weights[i] * Math.log(Math.max(p[i * width + labels[i]], 1e-30));
      for (let j = 0; j < width; j++) {
        expectedGradient[i * width + j] =
          (weights[i] * (p[i * width + j] - (j === labels[i] ? 1 : 0))) / batch;
      }
    }
    const gradient = new Float32Array(batch * width);
    assert.equal(softmaxCrossEntropy(logits, labels, batch, width, gradient, weights), expected / batch);
    assert.deepEqual(gradient, expectedGradient, 'the gradient must not move by a rounding');
    assert.equal(
      softmaxCrossEntropy(logits, labels, batch, width, undefined, weights),
      expected / batch,
      'without a gradient too',
    );
  });

  test('log-softmax rows sum to one in probability', () => {
    const out = new Float32Array(6);
    logSoftmax(out, Float32Array.from([1, 2, 3, 1000, 1000, 0]), 2, 3);
    for (let row = 0; row < 2; row++) {
      let total = 0;
      for (let j = 0; j < 3; j++) total += Math.exp(out[row * 3 + j]);
      assert.ok(Math.abs(total - 1) < 1e-6);
    }
  });
});
