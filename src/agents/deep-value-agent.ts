import { Rng } from '../core/rng.ts';
import type { ActOptions, Agent, AgentSnapshot, AgentStats, Decision, Transition } from '../core/types.ts';
import { getHeap } from '../numeric/heap.ts';
import { Mlp, type MlpOptions } from '../numeric/mlp.ts';
import { Optimizer } from '../numeric/optimizers.ts';
import type { DqnConfig } from './config.ts';
import { epsilonAt } from './exploration.ts';
import {
  counterState,
  makeSnapshot,
  restoreCounters,
  restoreValueNetworks,
  valueNetworkState,
} from './snapshot.ts';
import { movingAverage } from './update-rules.ts';

/**
 * What DQN and parametric DQN share: an online and a target network with one Adam optimiser, counters,
 * the RNG, the target update (hard or Polyak), loss tracking and snapshots. Subclasses own acting,
 * replay and the update rule.
 */
export abstract class DeepValueAgent implements Agent {
  readonly algorithm = 'dqn';
  readonly online: Mlp;
  readonly target: Mlp;
  protected readonly optimizer: Optimizer;
  protected rng: Rng;
  protected steps = 0;
  protected updates = 0;
  protected recentLoss = Number.NaN;

  constructor(
    readonly config: DqnConfig,
    inputs: number,
    outputs: number,
    network: Partial<MlpOptions>,
  ) {
    this.rng = new Rng(config.seed);
    const heap = getHeap(config.kernels);
    const init = this.rng.split();
    this.online = new Mlp(heap, inputs, outputs, network, init);
    this.target = new Mlp(heap, inputs, outputs, network, init);
    this.target.updateFrom(this.online);
    this.optimizer = new Optimizer(heap, this.online.params, this.online.grads, {
      learningRate: config.learningRate,
      epsilon: config.adamEpsilon,
      maxGradNorm: config.maxGradNorm,
    });
  }

  abstract act(observation: Float32Array, options?: ActOptions): Decision;
  abstract observe(transition: Transition): void;

  /** After each gradient step: count it, move the target network on schedule, track the loss. */
  protected finishUpdate(loss: number): void {
    this.updates++;
    if (this.updates % this.config.targetUpdateInterval === 0)
      this.target.updateFrom(this.online, this.config.tau);
    this.recentLoss = movingAverage(this.recentLoss, loss, 0.01);
  }

  stats(): AgentStats {
    return {
      steps: this.steps,
      updates: this.updates,
      loss: this.recentLoss,
      epsilon: epsilonAt(this.config.epsilon, this.steps),
    };
  }

  toJSON(): AgentSnapshot {
    return makeSnapshot(this.algorithm, this.config, {
      ...counterState(this.steps, this.updates, this.rng),
      ...valueNetworkState(this.online, this.target, this.optimizer),
    });
  }

  restore(state: Record<string, unknown>): void {
    ({ steps: this.steps, updates: this.updates, rng: this.rng } = restoreCounters(state));
    restoreValueNetworks(state, this.online, this.target, this.optimizer);
  }

  dispose(): void {
    this.online.dispose();
    this.target.dispose();
    this.optimizer.dispose();
  }
}
