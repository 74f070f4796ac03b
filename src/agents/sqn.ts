import { z } from 'zod';
import { EngineError } from '../core/engine-error.ts';
import { Rng } from '../core/rng.ts';
import { actionCount, flatSize, spaceSchema } from '../core/spaces.ts';
import {
  type ActOptions,
  type Agent,
  type AgentSnapshot,
  type AgentStats,
  emptySequenceBatch,
  type SequenceBatch,
  type Transition,
} from '../core/types.ts';
import { getHeap } from '../numeric/heap.ts';
import { softmaxCrossEntropy } from '../numeric/losses.ts';
import { Optimizer } from '../numeric/optimizers.ts';
import {
  type SequenceHead,
  SequenceNetwork,
  sequenceNetworkSchema,
} from '../numeric/sequence/sequence-network.ts';
import { requireAllowedAction, softmaxProbabilities } from './exploration.ts';
import {
  counterState,
  makeSnapshot,
  restoreCounters,
  restoreValueNetworks,
  valueNetworkState,
} from './snapshot.ts';
import { doubleDqnTargets, maskedArgmax, movingAverage, tdLoss } from './update-rules.ts';

export const sqnConfigSchema = z
  .object({
    algorithm: z.literal('sqn'),
    /**
     * box([k + F]): the last k item indices, oldest first, left-padded with 0 (item i is i + 1), then
     * the F user/context features the network reads (`network.contextFeatures`, default 0).
     */
    observationSpace: spaceSchema,
    /** discrete(N): one action per catalogue item. */
    actionSpace: spaceSchema,
    seed: z.number().int().min(0).default(0),
    /** SQN's discount (Xin et al. 2020 use 0.5: a session's next few steps, not its whole future). */
    gamma: z.number().min(0).max(1).default(0.5),
    network: sequenceNetworkSchema.prefault({}),
    /**
     * `sqn`: a supervised next-item head and a Q-learning head over one encoder, trained together
     * (Xin et al. 2020); `supervised`: the same encoder with the next-item head only (the baseline).
     */
    mode: z.enum(['sqn', 'supervised']).default('sqn'),
    /** Weight of the TD loss beside the cross-entropy. */
    qWeight: z.number().min(0).default(1),
    /**
     * Conservative Q-learning penalty α·(logsumexp_a Q(s,a) − Q(s,a_logged)) (Kumar et al. 2020):
     * pushes down items the log never chose in a state, against over-estimating them. 0 = off.
     */
    cqlAlpha: z.number().min(0).default(0),
    /** Double Q-learning targets: the online head picks a*, the target head values it. */
    double: z.boolean().default(true),
    /** The head that ranks items when acting: SQN recommends with the supervised head. */
    actWith: z.enum(['supervised', 'q']).default('supervised'),
    /** When exploring, sample an item from softmax(scores / temperature). */
    temperature: z.number().positive().default(1),
    learningRate: z.number().positive().default(1e-3),
    /** Decoupled weight decay (AdamW) on every weight: a regulariser against fitting a small log. */
    weightDecay: z.number().min(0).max(1).default(0),
    batchSize: z.number().int().positive().max(65_536).default(256),
    bufferSize: z.number().int().positive().default(1_000_000),
    learningStarts: z.number().int().min(0).default(1_000),
    trainFrequency: z.number().int().positive().default(1),
    /** Target network: every update, θ⁻ ← θ⁻ + τ(θ − θ⁻) every `targetUpdateInterval` updates. */
    targetUpdateInterval: z.number().int().positive().default(1),
    tau: z.number().gt(0).max(1).default(0.01),
    loss: z.enum(['huber', 'mse']).default('mse'),
    huberDelta: z.number().positive().default(1),
    maxGradNorm: z.number().min(0).default(5),
    kernels: z.enum(['auto', 'wasm', 'reference']).default('auto'),
  })
  .strict()
  .superRefine((config, context) => {
    if (config.observationSpace.kind !== 'box' || config.observationSpace.shape.length !== 1) {
      context.addIssue({
        code: 'custom',
        path: ['observationSpace'],
        message: 'SQN reads item sequences: observationSpace must be box([k]) with k the sequence length',
      });
    } else if (flatSize(config.observationSpace) <= config.network.contextFeatures) {
      context.addIssue({
        code: 'custom',
        path: ['observationSpace'],
        message: `observationSpace box([k + F]) must leave k ≥ 1 items beside the ${config.network.contextFeatures} context features`,
      });
    }
    if (config.actionSpace.kind !== 'discrete') {
      context.addIssue({
        code: 'custom',
        path: ['actionSpace'],
        message: 'SQN needs a discrete action space (the catalogue)',
      });
    }
  });
export type SqnConfig = z.output<typeof sqnConfigSchema>;
export type SqnConfigInput = z.input<typeof sqnConfigSchema>;

/**
 * Self-supervised Q-learning for sequential recommendation (SQN, Xin et al. 2020): one sequence
 * encoder (GRU or self-attention) feeds a next-item softmax head trained by cross-entropy and a
 * Q head trained by (double) Q-learning on event rewards; the TD loss shapes the shared encoder
 * towards items that lead to purchases. Optional CQL penalty and a Polyak target network. With
 * `mode: 'supervised'` it is the plain encoder, the baseline SQN is compared against.
 *
 * As an Agent: observations are item-index sequences, actions are items; `observe` fills a replay
 * buffer and learns on schedule; `learn(batch)` trains on logged batches directly (offline).
 */
export class SqnAgent implements Agent {
  readonly algorithm = 'sqn';
  readonly online: SequenceNetwork;
  readonly target: SequenceNetwork | null;
  readonly items: number;
  /** k: item indices per state. */
  readonly length: number;
  /** F: context features per state. */
  readonly features: number;
  private readonly optimizer: Optimizer;
  private readonly heads: SequenceHead[];
  private rng: Rng;
  private steps = 0;
  private updates = 0;
  private lossAverage = Number.NaN;
  // Replay ring over integer sequences.
  /** Allocated on the first `observe`: offline training through `learn` never needs it. */
  private replay: SequenceBatch | null = null;
  private replayNext = 0;
  private replayCount = 0;
  private readonly sample: SequenceBatch;
  // Scratch for one update.
  private readonly dSupervised: Float32Array;
  private readonly dq: Float32Array;
  private readonly targets: Float32Array;
  /** γ per row (the shared target rule takes γ^k per transition; SQN's are one-step). */
  private readonly gammas: Float32Array;
  /** ∂/∂Q of the CQL penalty (allocated only when the penalty is on). */
  private readonly penalty: Float32Array;
  private readonly tdErrors: Float32Array;
  private readonly input: Int32Array;
  private readonly inputContext: Float32Array;

  constructor(readonly config: SqnConfig) {
    this.items = actionCount(config.actionSpace);
    this.features = config.network.contextFeatures;
    this.length = flatSize(config.observationSpace) - this.features;
    const heap = getHeap(config.kernels);
    const rng = new Rng(config.seed);
    this.heads = config.mode === 'sqn' ? ['supervised', 'q'] : ['supervised'];
    const network = { ...config.network, maxLength: this.length };
    this.online = new SequenceNetwork(heap, this.items, this.heads, network, rng);
    this.target =
      config.mode === 'sqn' ? new SequenceNetwork(heap, this.items, this.heads, network, rng) : null;
    this.target?.updateFrom(this.online);
    this.optimizer = new Optimizer(heap, this.online.params, this.online.grads, {
      learningRate: config.learningRate,
      weightDecay: config.weightDecay,
      maxGradNorm: config.maxGradNorm,
    });
    this.rng = new Rng(config.seed + 1);
    this.sample = emptyBatch(config.batchSize, this.length, this.features);
    const b = config.batchSize;
    this.dSupervised = new Float32Array(b * this.items);
    this.dq = new Float32Array(b * this.items);
    this.targets = new Float32Array(b);
    this.gammas = new Float32Array(b).fill(config.gamma);
    this.penalty = new Float32Array(config.cqlAlpha > 0 ? b * this.items : 0);
    this.tdErrors = new Float32Array(b);
    this.input = new Int32Array(this.length);
    this.inputContext = new Float32Array(this.features);
  }

  /** Convert and check an observation: k item indices in 0..N, then F finite context features. */
  private sequence(
    observation: Float32Array,
    into: Int32Array,
    at: number,
    contextInto: Float32Array,
    contextAt: number,
  ): void {
    const F = this.features;
    if (observation.length !== this.length + F) {
      throw new EngineError(
        'E_OBSERVATION_SIZE',
        `observation has ${observation.length} values, SQN expects ${this.length + F}`,
        {
          hint: `pass the last ${this.length} item indices (left-padded with 0, item i as i + 1)${F > 0 ? ` then ${F} context features` : ''}`,
        },
      );
    }
    for (let j = 0; j < F; j++) {
      const v = observation[this.length + j];
      if (!Number.isFinite(v)) {
        throw new EngineError('E_OBSERVATION_INVALID', `context feature ${j} is ${v}, not a finite number`);
      }
      contextInto[contextAt + j] = v;
    }
    for (let t = 0; t < this.length; t++) {
      const v = observation[t];
      const tokens = this.items * this.online.options.tokenKinds;
      if (!Number.isInteger(v) || v < 0 || v > tokens) {
        throw new EngineError(
          'E_OBSERVATION_INVALID',
          `observation[${t}] = ${v} is not an item index in 0..${tokens}`,
          {
            hint: '0 is padding; item i of the catalogue is i + 1',
          },
        );
      }
      into[at + t] = v;
    }
  }

  /** Scores of every item for one state (k indices, and F context features) with the acting head (a copy). */
  scores(state: Int32Array, head: SequenceHead = this.config.actWith, context?: Float32Array): Float32Array {
    return this.online.forward(state, 1, [head], context)[head].slice();
  }

  /**
   * Scores for `count` states (rows of k indices, with `count` × F context features) in one pass
   * (a view, valid until the next call).
   */
  scoreBatch(
    states: Int32Array,
    count: number,
    head: SequenceHead = this.config.actWith,
    contexts?: Float32Array,
  ): Float32Array {
    return this.online.forward(states, count, [head], contexts)[head];
  }

  act(observation: Float32Array, options: ActOptions = {}) {
    requireAllowedAction(options.actionMask, this.items);
    this.sequence(observation, this.input, 0, this.inputContext, 0);
    const values = this.scores(this.input, this.config.actWith, this.inputContext);
    if (options.explore === false) {
      return { action: maskedArgmax(values, 0, this.items, options.actionMask), propensity: 1, values };
    }
    const p = softmaxProbabilities(values, this.items, this.config.temperature, options.actionMask);
    const action = this.rng.categorical(p);
    return { action, propensity: p[action], values };
  }

  observe(transition: Transition): void {
    this.replay ??= emptyBatch(Math.min(this.config.bufferSize, 10_000_000), this.length, this.features);
    const r = this.replay;
    const i = this.replayNext;
    const F = this.features;
    this.sequence(transition.observation, r.states, i * this.length, r.contexts, i * F);
    this.sequence(transition.nextObservation, r.nextStates, i * this.length, r.nextContexts, i * F);
    if (!Number.isInteger(transition.action) || transition.action < 0 || transition.action >= this.items) {
      throw new EngineError(
        'E_ACTION_INVALID',
        `action ${transition.action} is not an item in 0..${this.items - 1}`,
      );
    }
    r.actions[i] = transition.action;
    r.rewards[i] = transition.reward;
    r.terminated[i] = transition.terminated ? 1 : 0;
    this.replayNext = (i + 1) % r.size;
    this.replayCount = Math.min(this.replayCount + 1, r.size);
    this.steps++;
    const c = this.config;
    if (
      this.steps >= c.learningStarts &&
      this.replayCount >= c.batchSize &&
      this.steps % c.trainFrequency === 0
    ) {
      const s = this.sample;
      for (let b = 0; b < c.batchSize; b++) {
        const j = this.rng.int(this.replayCount);
        s.states.set(r.states.subarray(j * this.length, (j + 1) * this.length), b * this.length);
        s.nextStates.set(r.nextStates.subarray(j * this.length, (j + 1) * this.length), b * this.length);
        s.contexts.set(r.contexts.subarray(j * F, (j + 1) * F), b * F);
        s.nextContexts.set(r.nextContexts.subarray(j * F, (j + 1) * F), b * F);
        s.actions[b] = r.actions[j];
        s.rewards[b] = r.rewards[j];
        s.terminated[b] = r.terminated[j];
      }
      this.learn(s, c.batchSize);
    }
  }

  /**
   * One gradient step on a batch of logged transitions: cross-entropy on the next item, plus (SQN)
   * the TD loss on Q(s, a_logged) against r + γ·Q⁻(s', a*) and the optional CQL penalty.
   * Returns the loss. `batch.size` may exceed `count`; the first `count` rows are used.
   */
  learn(batch: SequenceBatch, count = batch.size): number {
    const c = this.config;
    const B = Math.min(count, c.batchSize);
    const N = this.items;
    let loss = 0;
    let dq: Float32Array | undefined;
    if (this.target) {
      const nextTarget = this.target.forward(batch.nextStates, B, ['q'], batch.nextContexts).q;
      const nextOnline = c.double
        ? this.online.forward(batch.nextStates, B, ['q'], batch.nextContexts).q.slice()
        : nextTarget;
      doubleDqnTargets(
        this.targets,
        batch.rewards,
        this.gammas,
        batch.terminated,
        nextOnline,
        nextTarget,
        B,
        N,
      );
    }
    // The training pass draws the network's dropout masks (when it has a rate) from the agent's Rng.
    const out = this.online.forward(batch.states, B, this.heads, batch.contexts, this.rng);
    loss += softmaxCrossEntropy(out.supervised, batch.actions, B, N, this.dSupervised);
    if (this.target) {
      dq = this.dq;
      loss +=
        c.qWeight *
        tdLoss(dq, this.tdErrors, out.q, batch.actions, this.targets, null, B, N, c.loss, c.huberDelta);
      if (c.qWeight !== 1) for (let i = 0; i < B * N; i++) dq[i] *= c.qWeight;
      if (c.cqlAlpha > 0) {
        // ∂/∂Q of α·(logsumexp Q − Q[a]) is α·(softmax(Q) − onehot(a)); the mean over the batch.
        const penalty = this.penalty;
        loss += c.cqlAlpha * softmaxCrossEntropy(out.q, batch.actions, B, N, penalty);
        for (let i = 0; i < B * N; i++) dq[i] += c.cqlAlpha * penalty[i];
      }
    }
    this.online.zeroGrad();
    this.online.backward({ supervised: this.dSupervised, q: dq }, B);
    this.optimizer.apply();
    this.updates++;
    if (this.target && this.updates % c.targetUpdateInterval === 0)
      this.target.updateFrom(this.online, c.tau);
    this.lossAverage = Number.isNaN(this.lossAverage) ? loss : movingAverage(this.lossAverage, loss, 0.01);
    return loss;
  }

  stats(): AgentStats {
    return { steps: this.steps, updates: this.updates, loss: this.lossAverage };
  }

  toJSON(): AgentSnapshot {
    // Without a Q head there is no target network: the snapshot's target slot repeats the online weights.
    const target = this.target ?? this.online;
    return makeSnapshot('sqn', this.config, {
      ...counterState(this.steps, this.updates, this.rng),
      ...valueNetworkState(this.online, target, this.optimizer),
    });
  }

  restore(state: Record<string, unknown>): void {
    const counters = restoreCounters(state);
    this.steps = counters.steps;
    this.updates = counters.updates;
    this.rng = counters.rng;
    restoreValueNetworks(state, this.online, this.target ?? this.online, this.optimizer);
  }

  dispose(): void {
    this.online.dispose();
    this.target?.dispose();
    this.optimizer.dispose();
  }
}

/** A zeroed batch for `learn`: `emptySequenceBatch` under the name the agents module exports. */
export const emptyBatch = emptySequenceBatch;
