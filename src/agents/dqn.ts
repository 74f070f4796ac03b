import { EngineError } from '../core/engine-error.ts';
import { Rng } from '../core/rng.ts';
import { actionCount, flatSize } from '../core/spaces.ts';
import type { ActOptions, Agent, AgentSnapshot, AgentStats, Decision, Transition } from '../core/types.ts';
import { getHeap } from '../numeric/heap.ts';
import { Mlp } from '../numeric/mlp.ts';
import { Optimizer } from '../numeric/optimizers.ts';
import { decodeFloat32, encodeFloat32 } from '../numeric/serialize.ts';
import { NStepAccumulator } from '../replay/n-step.ts';
import { PrioritizedReplay } from '../replay/prioritized-replay.ts';
import { createBatch, type ReplayBatch } from '../replay/replay-batch.ts';
import { UniformReplay } from '../replay/uniform-replay.ts';
import type { DqnConfig } from './config.ts';
import { epsilonAt, epsilonGreedy } from './exploration.ts';
import { doubleDqnTargets, dqnTargets, priorityFromTdError, tdLoss } from './update-rules.ts';

/**
 * Deep Q-Network (Mnih et al. 2015) assembled from parts: an online and a target MLP, a replay buffer
 * (uniform or prioritised, behind an n-step accumulator), ε-greedy exploration and a target update
 * (hard period or Polyak). Options: Double DQN, dueling head, n-step returns, prioritised replay.
 */
export class DqnAgent implements Agent {
  readonly algorithm = 'dqn';
  readonly online: Mlp;
  readonly target: Mlp;
  private readonly optimizer: Optimizer;
  private readonly replay: UniformReplay | PrioritizedReplay;
  private readonly nStep: NStepAccumulator;
  private readonly batch: ReplayBatch;
  private readonly observationSize: number;
  private readonly actions: number;
  private rng: Rng;
  private steps = 0;
  private updates = 0;
  private recentLoss = Number.NaN;
  // Scratch for one update, allocated once.
  private readonly stacked: Float32Array;
  private readonly nextOnlineQ: Float32Array;
  private readonly targets: Float32Array;
  private readonly dq: Float32Array;
  private readonly tdErrors: Float32Array;
  private readonly priorities: Float64Array;

  constructor(readonly config: DqnConfig) {
    this.observationSize = flatSize(config.observationSpace);
    this.actions = actionCount(config.actionSpace);
    this.rng = new Rng(config.seed);
    const heap = getHeap(config.kernels);
    const network = { ...config.network, head: config.dueling ? ('dueling' as const) : config.network.head };
    const initRng = this.rng.split();
    this.online = new Mlp(heap, this.observationSize, this.actions, network, initRng);
    this.target = new Mlp(heap, this.observationSize, this.actions, network, initRng);
    this.target.updateFrom(this.online);
    this.optimizer = new Optimizer(heap, this.online.params, this.online.grads, {
      kind: 'adam',
      learningRate: config.learningRate,
      epsilon: config.adamEpsilon,
      maxGradNorm: config.maxGradNorm,
    });
    const Replay = config.prioritizedReplay ? PrioritizedReplay : UniformReplay;
    this.replay = new Replay(config.bufferSize, this.observationSize, this.actions, true);
    this.nStep = new NStepAccumulator(config.nStep, config.gamma);
    this.batch = createBatch(config.batchSize, this.observationSize, this.actions, true);
    const b = config.batchSize;
    this.stacked = new Float32Array(2 * b * this.observationSize);
    this.nextOnlineQ = new Float32Array(b * this.actions);
    this.targets = new Float32Array(b);
    this.dq = new Float32Array(b * this.actions);
    this.tdErrors = new Float32Array(b);
    this.priorities = new Float64Array(b);
  }

  /** Q(s, ·) for a batch of observations (row-major); a copy. */
  qValues(observations: Float32Array, count: number): Float32Array {
    return this.online.forward(observations, count).slice();
  }

  act(observation: Float32Array, options: ActOptions = {}): Decision {
    if (observation.length !== this.observationSize) {
      throw new EngineError(
        'E_OBSERVATION_SIZE',
        `observation has ${observation.length} values, the agent expects ${this.observationSize}`,
        { hint: 'pass observations from the environment the agent was created for' },
      );
    }
    const q = this.online.forward(observation, 1);
    const epsilon = options.explore === false ? 0 : epsilonAt(this.config.epsilon, this.steps);
    const choice = epsilonGreedy(q, this.actions, epsilon, this.rng, options.actionMask);
    if (choice.action < 0) {
      throw new EngineError('E_NO_ALLOWED_ACTION', 'the action mask allows no action', {
        hint: 'allow at least one action in info.actionMask',
      });
    }
    return { action: choice.action, propensity: choice.propensity, values: q.slice() };
  }

  observe(t: Transition): void {
    this.steps++;
    for (const stored of this.nStep.push(
      t.observation,
      t.action,
      t.reward,
      t.nextObservation,
      t.terminated,
      t.truncated,
      t.nextActionMask,
    )) {
      this.replay.add(stored);
    }
    const c = this.config;
    if (this.steps < c.learningStarts || this.replay.size < c.batchSize) return;
    if (this.steps % c.trainFrequency !== 0) return;
    for (let g = 0; g < c.gradientSteps; g++) this.update();
  }

  /** One gradient step on a sampled minibatch; returns the loss. */
  update(): number {
    const c = this.config;
    const b = c.batchSize;
    const batch = this.batch;
    const n = this.actions;
    if (this.replay instanceof PrioritizedReplay) {
      const fraction = Math.min(1, this.steps / c.priorityBetaSteps);
      const beta = c.priorityBetaStart + fraction * (1 - c.priorityBetaStart);
      this.replay.sampleWithPriority(batch, this.rng, beta);
    } else {
      this.replay.sample(batch, this.rng);
    }
    const nextTargetQ = this.target.forward(batch.nextObservations, b).slice();
    let q: Float32Array;
    const ws = this.online.workspace(c.double ? 2 * b : b);
    if (c.double) {
      // One online pass over [s; s'] (rows 0..b are s, so backward below reuses them): halves the calls.
      const d = this.observationSize;
      this.stacked.set(batch.observations, 0);
      this.stacked.set(batch.nextObservations, b * d);
      const both = this.online.forward(this.stacked, 2 * b, ws);
      this.nextOnlineQ.set(both.subarray(b * n, 2 * b * n));
      q = both;
      doubleDqnTargets(
        this.targets,
        batch.rewards,
        batch.gammaPowers,
        batch.terminated,
        this.nextOnlineQ,
        nextTargetQ,
        b,
        n,
        batch.nextMasks,
      );
    } else {
      q = this.online.forward(batch.observations, b, ws);
      dqnTargets(
        this.targets,
        batch.rewards,
        batch.gammaPowers,
        batch.terminated,
        nextTargetQ,
        b,
        n,
        batch.nextMasks,
      );
    }
    const weights = this.replay instanceof PrioritizedReplay ? batch.weights : null;
    const loss = tdLoss(
      this.dq,
      this.tdErrors,
      q,
      batch.actions,
      this.targets,
      weights,
      b,
      n,
      c.loss,
      c.huberDelta,
    );
    this.online.zeroGrad();
    this.online.backward(this.dq, b, ws);
    this.optimizer.apply();
    if (this.replay instanceof PrioritizedReplay) {
      for (let i = 0; i < b; i++) {
        this.priorities[i] = priorityFromTdError(this.tdErrors[i], c.priorityAlpha, c.priorityEpsilon);
      }
      this.replay.updatePriorities(batch.indices, this.priorities, b);
    }
    this.updates++;
    if (this.updates % c.targetUpdateInterval === 0) this.target.updateFrom(this.online, c.tau);
    this.recentLoss = Number.isNaN(this.recentLoss) ? loss : 0.99 * this.recentLoss + 0.01 * loss;
    return loss;
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
    const optimizer = this.optimizer.exportState();
    return {
      format: 'nextbest.agent',
      version: 1,
      algorithm: this.algorithm,
      config: this.config as unknown as Record<string, unknown>,
      state: {
        steps: this.steps,
        updates: this.updates,
        rng: this.rng.state(),
        online: encodeFloat32(this.online.params.data),
        target: encodeFloat32(this.target.params.data),
        optimizer: {
          step: optimizer.step,
          first: encodeFloat32(optimizer.first),
          second: optimizer.second ? encodeFloat32(optimizer.second) : null,
        },
      },
    };
  }

  restore(state: Record<string, unknown>): void {
    this.steps = state.steps as number;
    this.updates = state.updates as number;
    this.rng = Rng.fromState(state.rng as ReturnType<Rng['state']>);
    this.online.params.set(decodeFloat32(state.online as string));
    this.target.params.set(decodeFloat32(state.target as string));
    const o = state.optimizer as { step: number; first: string; second: string | null };
    this.optimizer.importState({
      step: o.step,
      first: decodeFloat32(o.first),
      second: o.second ? decodeFloat32(o.second) : null,
    });
  }

  dispose(): void {
    this.online.dispose();
    this.target.dispose();
    this.optimizer.dispose();
  }
}
