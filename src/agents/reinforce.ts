import { Rng } from '../core/rng.ts';
import { actionCount, flatSize } from '../core/spaces.ts';
import type { ActOptions, Agent, AgentSnapshot, AgentStats, Decision, Transition } from '../core/types.ts';
import { getHeap } from '../numeric/heap.ts';
import { softmaxCrossEntropy } from '../numeric/losses.ts';
import { Mlp } from '../numeric/mlp.ts';
import { Optimizer } from '../numeric/optimizers.ts';
import { decodeFloat32, encodeFloat32 } from '../numeric/serialize.ts';
import type { ReinforceConfig } from './config.ts';
import { requireAllowedAction, softmaxProbabilities } from './exploration.ts';
import { counterState, makeSnapshot, restoreCounters } from './snapshot.ts';
import { discountedReturns, maskedArgmax, movingAverage } from './update-rules.ts';

const MASKED_LOGIT = -1e9;

/**
 * REINFORCE with a learned baseline (Williams 1992; Sutton & Barto 2018, §13.4): after each batch of
 * episodes, ascend Σ_t (G_t − V(s_t)) ∇ log π(a_t|s_t) + β ∇H(π(·|s_t)), and fit V to G_t by MSE.
 * A truncated episode bootstraps its tail from V(s_T).
 */
export class ReinforceAgent implements Agent {
  readonly algorithm = 'reinforce';
  readonly policy: Mlp;
  readonly value: Mlp | null;
  private readonly policyOptimizer: Optimizer;
  private readonly valueOptimizer: Optimizer | null;
  private readonly observationSize: number;
  private readonly actions: number;
  private rng: Rng;
  private steps = 0;
  private updates = 0;
  private recentLoss = Number.NaN;
  private episode: {
    observations: Float32Array[];
    actions: number[];
    rewards: number[];
    masks: (Uint8Array | undefined)[];
  } = { observations: [], actions: [], rewards: [], masks: [] };
  private finished: Array<{
    observations: Float32Array[];
    actions: number[];
    returns: Float64Array;
    masks: (Uint8Array | undefined)[];
  }> = [];

  constructor(readonly config: ReinforceConfig) {
    this.observationSize = flatSize(config.observationSpace);
    this.actions = actionCount(config.actionSpace);
    this.rng = new Rng(config.seed);
    const heap = getHeap(config.kernels);
    const init = this.rng.split();
    this.policy = new Mlp(heap, this.observationSize, this.actions, config.network, init);
    this.policyOptimizer = new Optimizer(heap, this.policy.params, this.policy.grads, {
      learningRate: config.learningRate,
      maxGradNorm: config.maxGradNorm,
    });
    this.value = config.baseline ? new Mlp(heap, this.observationSize, 1, config.network, init) : null;
    this.valueOptimizer = this.value
      ? new Optimizer(heap, this.value.params, this.value.grads, {
          learningRate: config.baselineLearningRate,
          maxGradNorm: config.maxGradNorm,
        })
      : null;
  }

  /** π(·|s) over allowed actions. */
  probabilities(observation: Float32Array, mask?: Uint8Array): Float64Array {
    const logits = this.policy.forward(observation, 1);
    return softmaxProbabilities(logits, this.actions, 1, mask);
  }

  act(observation: Float32Array, options: ActOptions = {}): Decision {
    requireAllowedAction(options.actionMask, this.actions);
    const p = this.probabilities(observation, options.actionMask);
    const values = Float32Array.from(p);
    if (options.explore === false) {
      return { action: maskedArgmax(p, 0, this.actions, options.actionMask), propensity: 1, values };
    }
    const action = this.rng.categorical(p);
    return { action, propensity: p[action], values };
  }

  observe(t: Transition): void {
    this.steps++;
    const e = this.episode;
    e.observations.push(t.observation);
    e.actions.push(t.action);
    e.rewards.push(t.reward);
    e.masks.push(t.actionMask);
    if (!t.terminated && !t.truncated) return;
    const bootstrap =
      t.truncated && !t.terminated && this.value ? this.value.forward(t.nextObservation, 1)[0] : 0;
    this.finished.push({
      observations: e.observations,
      actions: e.actions,
      returns: discountedReturns(e.rewards, this.config.gamma, bootstrap),
      masks: e.masks,
    });
    this.episode = { observations: [], actions: [], rewards: [], masks: [] };
    if (this.finished.length >= this.config.episodesPerUpdate) this.update();
  }

  private update(): void {
    const episodes = this.finished;
    this.finished = [];
    const total = episodes.reduce((n, e) => n + e.actions.length, 0);
    const d = this.observationSize;
    const n = this.actions;
    const observations = new Float32Array(total * d);
    const actions = new Int32Array(total);
    const returns = new Float64Array(total);
    const masks: (Uint8Array | undefined)[] = [];
    let row = 0;
    for (const e of episodes) {
      for (let t = 0; t < e.actions.length; t++, row++) {
        observations.set(e.observations[t], row * d);
        actions[row] = e.actions[t];
        returns[row] = e.returns[t];
        masks.push(e.masks[t]);
      }
    }
    // Advantages A_t = G_t − V(s_t), then the baseline's own regression step.
    const advantages = Float64Array.from(returns);
    if (this.value && this.valueOptimizer) {
      const v = this.value.forward(observations, total);
      const dv = new Float32Array(total);
      for (let i = 0; i < total; i++) {
        advantages[i] = returns[i] - v[i];
        dv[i] = (2 * (v[i] - returns[i])) / total;
      }
      this.value.zeroGrad();
      this.value.backward(dv, total);
      this.valueOptimizer.apply();
    }
    if (this.config.normalizeAdvantages && total > 1) {
      let mean = 0;
      for (const a of advantages) mean += a;
      mean /= total;
      let variance = 0;
      for (const a of advantages) variance += (a - mean) ** 2;
      const std = Math.sqrt(variance / total) + 1e-8;
      for (let i = 0; i < total; i++) advantages[i] = (advantages[i] - mean) / std;
    }
    const logits = this.policy.forward(observations, total).slice();
    for (let i = 0; i < total; i++) {
      const mask = masks[i];
      if (mask) for (let a = 0; a < n; a++) if (!mask[a]) logits[i * n + a] = MASKED_LOGIT;
    }
    // Policy-gradient loss = mean_t −A_t log π(a_t|s_t): softmax cross-entropy weighted by advantages.
    const dLogits = new Float32Array(total * n);
    const loss = softmaxCrossEntropy(logits, actions, total, n, dLogits, advantages);
    const beta = this.config.entropyCoefficient;
    if (beta > 0) {
      // −β·H: ∂(−H)/∂z_j = p_j (log p_j + H), averaged over the batch.
      const p = new Float64Array(n);
      for (let i = 0; i < total; i++) {
        let max = Number.NEGATIVE_INFINITY;
        for (let a = 0; a < n; a++) max = Math.max(max, logits[i * n + a]);
        let sum = 0;
        for (let a = 0; a < n; a++) sum += p[a] = Math.exp(logits[i * n + a] - max);
        let entropy = 0;
        for (let a = 0; a < n; a++) {
          p[a] /= sum;
          if (p[a] > 0) entropy -= p[a] * Math.log(p[a]);
        }
        for (let a = 0; a < n; a++) {
          if (p[a] > 0) dLogits[i * n + a] += (beta * p[a] * (Math.log(p[a]) + entropy)) / total;
        }
      }
    }
    for (let i = 0; i < total; i++) {
      const mask = masks[i];
      if (mask) for (let a = 0; a < n; a++) if (!mask[a]) dLogits[i * n + a] = 0;
    }
    this.policy.forward(observations, total);
    this.policy.zeroGrad();
    this.policy.backward(dLogits, total);
    this.policyOptimizer.apply();
    this.updates++;
    this.recentLoss = movingAverage(this.recentLoss, loss, 0.1);
  }

  stats(): AgentStats {
    return { steps: this.steps, updates: this.updates, loss: this.recentLoss };
  }

  toJSON(): AgentSnapshot {
    return makeSnapshot(this.algorithm, this.config, {
      ...counterState(this.steps, this.updates, this.rng),
      policy: encodeFloat32(this.policy.params.data),
      value: this.value ? encodeFloat32(this.value.params.data) : null,
    });
  }

  restore(state: Record<string, unknown>): void {
    ({ steps: this.steps, updates: this.updates, rng: this.rng } = restoreCounters(state));
    this.policy.params.set(decodeFloat32(state.policy as string));
    if (this.value && state.value) this.value.params.set(decodeFloat32(state.value as string));
  }

  dispose(): void {
    this.policy.dispose();
    this.value?.dispose();
    this.policyOptimizer.dispose();
    this.valueOptimizer?.dispose();
  }
}
