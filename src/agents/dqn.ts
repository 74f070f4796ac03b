import { EngineError } from '../core/engine-error.ts';
import { actionCount, flatSize } from '../core/spaces.ts';
import type { ActOptions, Decision, Transition } from '../core/types.ts';
import { NStepAccumulator } from '../replay/n-step.ts';
import { PrioritizedReplay } from '../replay/prioritized-replay.ts';
import { createBatch, type ReplayBatch } from '../replay/replay-batch.ts';
import { UniformReplay } from '../replay/uniform-replay.ts';
import type { DqnConfig } from './config.ts';
import { DeepValueAgent } from './deep-value-agent.ts';
import { epsilonAt, epsilonGreedy } from './exploration.ts';
import { doubleDqnTargets, dqnTargets, priorityFromTdError, tdLoss } from './update-rules.ts';

/**
 * Deep Q-Network (Mnih et al. 2015) assembled from parts: an online and a target MLP, a replay buffer
 * (uniform or prioritised, behind an n-step accumulator), ε-greedy exploration and a target update
 * (hard period or Polyak). Options: Double DQN, dueling head, n-step returns, prioritised replay.
 */
export class DqnAgent extends DeepValueAgent {
  private readonly replay: UniformReplay | PrioritizedReplay;
  private readonly nStep: NStepAccumulator;
  private readonly batch: ReplayBatch;
  private readonly observationSize: number;
  private readonly actions: number;
  // Scratch for one update, allocated once.
  private readonly stacked: Float32Array;
  private readonly nextOnlineQ: Float32Array;
  private readonly targets: Float32Array;
  private readonly dq: Float32Array;
  private readonly tdErrors: Float32Array;
  private readonly priorities: Float64Array;

  constructor(config: DqnConfig) {
    const network = { ...config.network, head: config.dueling ? ('dueling' as const) : config.network.head };
    super(config, flatSize(config.observationSpace), actionCount(config.actionSpace), network);
    this.observationSize = flatSize(config.observationSpace);
    this.actions = actionCount(config.actionSpace);
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
    this.finishUpdate(loss);
    return loss;
  }
}
