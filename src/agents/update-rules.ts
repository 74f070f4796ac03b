/**
 * The update rules of the value-based agents as pure functions over typed arrays (the Dopamine habit):
 * each is tested on its own against hand-computed values, and the agents are thin glue around them.
 */
import { huber, huberGradient } from '../numeric/losses.ts';

/** Index of the largest value among allowed actions (mask[a] = 1), lowest index on ties; −1 if none. */
export function maskedArgmax(
  values: ArrayLike<number>,
  offset: number,
  count: number,
  mask?: Uint8Array,
): number {
  let best = -1;
  let bestValue = Number.NEGATIVE_INFINITY;
  for (let a = 0; a < count; a++) {
    if (mask && !mask[a]) continue;
    const v = values[offset + a];
    if (best < 0 || v > bestValue) {
      best = a;
      bestValue = v;
    }
  }
  return best;
}

/**
 * Tabular Q-learning (Watkins 1989; the brief's rule): Q(s,a) ← Q(s,a) + α[r + γ max_a' Q(s',a') − Q(s,a)].
 * `nextValues` is null when the episode terminated (no bootstrap). Returns the TD error.
 */
export function qLearningUpdate(
  q: Float64Array,
  action: number,
  reward: number,
  nextValues: Float64Array | null,
  gamma: number,
  alpha: number,
  nextMask?: Uint8Array,
): number {
  let target = reward;
  if (nextValues) {
    const best = maskedArgmax(nextValues, 0, nextValues.length, nextMask);
    if (best >= 0) target += gamma * nextValues[best];
  }
  const error = target - q[action];
  q[action] += alpha * error;
  return error;
}

/**
 * DQN targets (Mnih et al. 2015): y = r + γ^k · max_a' Q_target(s', a'), no bootstrap when terminated.
 * `gammaPowers[i]` is γ^k for a k-step transition (n-step returns, Sutton & Barto 2018 §7.1); a
 * truncated transition still bootstraps. Masked next actions are excluded from the max.
 */
export function dqnTargets(
  out: Float32Array,
  rewards: Float32Array,
  gammaPowers: Float32Array,
  terminated: Uint8Array,
  nextTargetQ: Float32Array,
  batch: number,
  actions: number,
  nextMasks?: Uint8Array | null,
): void {
  // The target network both picks and evaluates a' (Double DQN with one network).
  doubleDqnTargets(
    out,
    rewards,
    gammaPowers,
    terminated,
    nextTargetQ,
    nextTargetQ,
    batch,
    actions,
    nextMasks,
  );
}

/**
 * Double DQN targets (van Hasselt et al. 2016, eq. 4): the online network picks a* = argmax Q_online(s',·),
 * the target network evaluates it: y = r + γ^k · Q_target(s', a*).
 */
export function doubleDqnTargets(
  out: Float32Array,
  rewards: Float32Array,
  gammaPowers: Float32Array,
  terminated: Uint8Array,
  nextOnlineQ: Float32Array,
  nextTargetQ: Float32Array,
  batch: number,
  actions: number,
  nextMasks?: Uint8Array | null,
): void {
  for (let i = 0; i < batch; i++) {
    let y = rewards[i];
    if (!terminated[i]) {
      const mask = nextMasks ? nextMasks.subarray(i * actions, (i + 1) * actions) : undefined;
      const best = maskedArgmax(nextOnlineQ, i * actions, actions, mask);
      if (best >= 0) y += gammaPowers[i] * nextTargetQ[i * actions + best];
    }
    out[i] = y;
  }
}

/**
 * TD loss over the chosen actions: L = (1/B) Σ_i w_i · ℓ(Q(s_i, a_i) − y_i), ℓ = Huber(δ) or ½·square.
 * Writes ∂L/∂Q into dq (zero except at chosen actions) and the TD errors into tdErrors (for priorities).
 * Weights are importance-sampling corrections from prioritised replay (1 otherwise).
 */
export function tdLoss(
  dq: Float32Array,
  tdErrors: Float32Array,
  q: Float32Array,
  actionsTaken: Int32Array,
  targets: Float32Array,
  weights: Float32Array | null,
  batch: number,
  actions: number,
  loss: 'huber' | 'mse',
  delta: number,
): number {
  dq.fill(0, 0, batch * actions);
  let total = 0;
  for (let i = 0; i < batch; i++) {
    const at = i * actions + actionsTaken[i];
    const residual = q[at] - targets[i];
    tdErrors[i] = residual;
    const w = weights ? weights[i] : 1;
    if (loss === 'huber') {
      total += w * huber(residual, delta);
      dq[at] = (w * huberGradient(residual, delta)) / batch;
    } else {
      total += w * 0.5 * residual * residual;
      dq[at] = (w * residual) / batch;
    }
  }
  return total / batch;
}

/** Discounted returns G_t = r_t + γ G_{t+1}, seeded with `bootstrap` after the last step (0 if terminal). */
export function discountedReturns(rewards: ArrayLike<number>, gamma: number, bootstrap = 0): Float64Array {
  const out = new Float64Array(rewards.length);
  let g = bootstrap;
  for (let t = rewards.length - 1; t >= 0; t--) {
    g = rewards[t] + gamma * g;
    out[t] = g;
  }
  return out;
}

/** Prioritised replay priority p = (|δ| + ε)^α (Schaul et al. 2016, §3.3, proportional variant). */
export function priorityFromTdError(tdError: number, alpha: number, epsilon: number): number {
  return (Math.abs(tdError) + epsilon) ** alpha;
}

/** Exponential moving average for reporting (loss curves); the first value seeds it. */
export function movingAverage(previous: number, value: number, rate: number): number {
  return Number.isNaN(previous) ? value : (1 - rate) * previous + rate * value;
}
