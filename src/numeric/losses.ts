/**
 * Losses and the softmax family as pure functions over Float32Arrays. Each returns the mean loss over the
 * batch and, when given an output array, writes the gradient of that mean with respect to its input.
 */

/** Huber (smooth L1) of one residual, the DQN loss (Mnih et al. 2015 clip the TD error to [−1, 1]). */
export function huber(residual: number, delta: number): number {
  const a = Math.abs(residual);
  return a <= delta ? 0.5 * residual * residual : delta * (a - 0.5 * delta);
}

export function huberGradient(residual: number, delta: number): number {
  return residual > delta ? delta : residual < -delta ? -delta : residual;
}

export function mseLoss(
  prediction: Float32Array,
  target: ArrayLike<number>,
  gradient?: Float32Array,
): number {
  const n = prediction.length;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const r = prediction[i] - target[i];
    total += r * r;
    if (gradient) gradient[i] = (2 * r) / n;
  }
  return total / n;
}

export function huberLoss(
  prediction: Float32Array,
  target: ArrayLike<number>,
  delta = 1,
  gradient?: Float32Array,
): number {
  const n = prediction.length;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const r = prediction[i] - target[i];
    total += huber(r, delta);
    if (gradient) gradient[i] = huberGradient(r, delta) / n;
  }
  return total / n;
}

/** Row-wise softmax of logits[batch × width] into out (may alias), max-subtracted for stability. */
export function softmax(out: Float32Array, logits: Float32Array, batch: number, width: number): void {
  for (let i = 0; i < batch; i++) {
    const row = i * width;
    let max = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < width; j++) max = Math.max(max, logits[row + j]);
    let sum = 0;
    for (let j = 0; j < width; j++) {
      const e = Math.exp(logits[row + j] - max);
      out[row + j] = e;
      sum += e;
    }
    for (let j = 0; j < width; j++) out[row + j] /= sum;
  }
}

export function logSoftmax(out: Float32Array, logits: Float32Array, batch: number, width: number): void {
  for (let i = 0; i < batch; i++) {
    const row = i * width;
    let max = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < width; j++) max = Math.max(max, logits[row + j]);
    let sum = 0;
    for (let j = 0; j < width; j++) sum += Math.exp(logits[row + j] - max);
    const logSum = max + Math.log(sum);
    for (let j = 0; j < width; j++) out[row + j] = logits[row + j] - logSum;
  }
}

/**
 * Mean over the batch of −weight_i · log softmax(logits_i)[label_i]. Gradient w.r.t. logits:
 * weight_i · (softmax_i − onehot(label_i)) / batch. Weights default to 1 (plain cross-entropy); a
 * policy-gradient step passes advantages as weights.
 */
export function softmaxCrossEntropy(
  logits: Float32Array,
  labels: ArrayLike<number>,
  batch: number,
  width: number,
  gradient?: Float32Array,
  weights?: ArrayLike<number>,
): number {
  // One row at a time in three passes (max; exp and sum; scale), the exponentials written straight
  // into the gradient (or one row of scratch): on a batch of 256 over 3,000 items this is most of an
  // SQN step outside the matrix products, so no full-batch probability array is made.
  const scratch = gradient ?? new Float32Array(width);
  let total = 0;
  for (let i = 0; i < batch; i++) {
    const row = i * width;
    const out = gradient ? row : 0;
    let max = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < width; j++) {
      const x = logits[row + j];
      if (x > max) max = x;
    }
    let sum = 0;
    for (let j = 0; j < width; j++) {
      const e = Math.exp(logits[row + j] - max);
      scratch[out + j] = e;
      sum += e;
    }
    const w = weights ? weights[i] : 1;
    const label = labels[i];
    // Each probability is rounded to f32 before use, as a stored softmax would be, so results are
    // bit for bit those of softmax() followed by the loss (seeded training runs do not move).
    const pLabel = Math.fround(scratch[out + label] / sum);
    total -= w * Math.log(Math.max(pLabel, 1e-30));
    if (gradient) {
      for (let j = 0; j < width; j++) gradient[row + j] = (w * Math.fround(gradient[row + j] / sum)) / batch;
      gradient[row + label] = (w * (pLabel - 1)) / batch;
    }
  }
  return total / batch;
}
