import { EngineError } from '../core/engine-error.ts';
import { actionCount, flatSize } from '../core/spaces.ts';
import type { ActOptions, Decision, Transition } from '../core/types.ts';
import { NStepAccumulator } from '../replay/n-step.ts';
import type { DqnConfig } from './config.ts';
import { DeepValueAgent } from './deep-value-agent.ts';
import { epsilonAt, epsilonGreedy } from './exploration.ts';
import { maskedArgmax, tdLoss } from './update-rules.ts';

interface Experience {
  /** [observation; φ(action)]: the network input for Q(s, a). */
  input: Float32Array;
  reward: number;
  nextObservation: Float32Array;
  terminated: boolean;
  gammaPower: number;
  nextCandidates: Float32Array[];
  nextMask: Uint8Array | undefined;
}

/**
 * Parametric DQN: Q(s, a) = f([s; φ(a)]) scores each candidate from its features, so the action set may
 * change between decisions (new products, out-of-stock items) — the "parametric action" model of
 * ReAgent and Vowpal Wabbit's ADF. actionSpace.n bounds the candidates per decision. Targets take the
 * max over the next state's candidates (Double DQN when `double`: online picks, target evaluates).
 */
export class ParametricDqnAgent extends DeepValueAgent {
  private readonly observationSize: number;
  private readonly featureSize: number;
  private readonly maxCandidates: number;
  private readonly replay: Experience[] = [];
  private cursor = 0;
  private readonly nStep: NStepAccumulator;

  constructor(config: DqnConfig) {
    super(config, flatSize(config.observationSpace) + config.actionFeatureSize, 1, {
      ...config.network,
      head: 'linear',
    });
    this.observationSize = flatSize(config.observationSpace);
    this.featureSize = config.actionFeatureSize;
    this.maxCandidates = actionCount(config.actionSpace);
    this.nStep = new NStepAccumulator(config.nStep, config.gamma);
  }

  private rows(observation: Float32Array, candidates: Float32Array[]): Float32Array {
    const width = this.observationSize + this.featureSize;
    const x = new Float32Array(candidates.length * width);
    for (let c = 0; c < candidates.length; c++) {
      const phi = candidates[c];
      if (phi.length !== this.featureSize) {
        throw new EngineError(
          'E_ACTION_FEATURES_SIZE',
          `action ${c} has ${phi.length} features, the agent expects ${this.featureSize}`,
          { hint: 'set actionFeatureSize to the length of each action feature vector' },
        );
      }
      x.set(observation, c * width);
      x.set(phi, c * width + this.observationSize);
    }
    return x;
  }

  private checkCandidates(candidates: Float32Array[] | undefined): Float32Array[] {
    if (!candidates || candidates.length === 0) {
      throw new EngineError(
        'E_ACTION_FEATURES_MISSING',
        'parametric DQN needs the candidates as actionFeatures',
        {
          hint: 'pass options.actionFeatures (one Float32Array per candidate action)',
        },
      );
    }
    if (candidates.length > this.maxCandidates) {
      throw new EngineError(
        'E_TOO_MANY_ACTIONS',
        `${candidates.length} candidates, the agent allows ${this.maxCandidates}`,
        { hint: 'raise actionSpace.n' },
      );
    }
    return candidates;
  }

  /** Q(s, a) for each candidate. */
  scores(observation: Float32Array, candidates: Float32Array[]): Float32Array {
    return this.online.forward(this.rows(observation, candidates), candidates.length).slice();
  }

  act(observation: Float32Array, options: ActOptions = {}): Decision {
    const candidates = this.checkCandidates(options.actionFeatures);
    const q = this.scores(observation, candidates);
    const epsilon = options.explore === false ? 0 : epsilonAt(this.config.epsilon, this.steps);
    const choice = epsilonGreedy(q, candidates.length, epsilon, this.rng, options.actionMask);
    return { action: choice.action, propensity: choice.propensity, values: q };
  }

  observe(t: Transition): void {
    this.steps++;
    const candidates = this.checkCandidates(t.actionFeatures);
    const input = this.rows(t.observation, [candidates[t.action]]);
    const done = t.terminated || t.truncated;
    const nextCandidates = t.nextActionFeatures ?? [];
    if (!done && nextCandidates.length === 0) {
      throw new EngineError('E_ACTION_FEATURES_MISSING', 'a non-final transition needs nextActionFeatures', {
        hint: "pass the next state's candidates so the target can take their max",
      });
    }
    // The accumulator carries [s; φ(a)] as the "observation" (action 0): windows never cross episodes,
    // so every emitted transition bootstraps from this step's next state and candidates.
    for (const stored of this.nStep.push(input, 0, t.reward, t.nextObservation, t.terminated, t.truncated)) {
      const experience: Experience = {
        input: stored.observation,
        reward: stored.reward,
        nextObservation: stored.nextObservation,
        terminated: stored.terminated,
        gammaPower: stored.gammaPower,
        nextCandidates,
        nextMask: t.nextActionMask,
      };
      if (this.replay.length < this.config.bufferSize) this.replay.push(experience);
      else this.replay[this.cursor] = experience;
      this.cursor = (this.cursor + 1) % this.config.bufferSize;
    }
    const c = this.config;
    if (this.steps < c.learningStarts || this.replay.length < c.batchSize) return;
    if (this.steps % c.trainFrequency !== 0) return;
    for (let g = 0; g < c.gradientSteps; g++) this.update();
  }

  update(): number {
    const c = this.config;
    const b = c.batchSize;
    const batch = Array.from({ length: b }, () => this.replay[this.rng.int(this.replay.length)]);
    // Every (s', a') pair of the batch in one forward pass per network.
    const counts = batch.map((e) => (e.terminated ? 0 : e.nextCandidates.length));
    const total = counts.reduce((a, n) => a + n, 0);
    const width = this.observationSize + this.featureSize;
    const nextRows = new Float32Array(Math.max(1, total) * width);
    let row = 0;
    for (const e of batch) {
      if (e.terminated) continue;
      nextRows.set(this.rows(e.nextObservation, e.nextCandidates), row * width);
      row += e.nextCandidates.length;
    }
    const targetQ = total > 0 ? this.target.forward(nextRows, total).slice() : new Float32Array(0);
    const pickQ = total > 0 && c.double ? this.online.forward(nextRows, total).slice() : targetQ;
    const targets = new Float32Array(b);
    row = 0;
    for (let i = 0; i < b; i++) {
      const e = batch[i];
      let y = e.reward;
      if (counts[i] > 0) {
        const best = maskedArgmax(pickQ, row, counts[i], e.nextMask);
        if (best >= 0) y += e.gammaPower * targetQ[row + best];
      }
      targets[i] = y;
      row += counts[i];
    }
    const inputs = new Float32Array(b * width);
    for (let i = 0; i < b; i++) inputs.set(batch[i].input, i * width);
    const q = this.online.forward(inputs, b);
    const dq = new Float32Array(b);
    const loss = tdLoss(
      dq,
      new Float32Array(b),
      q,
      new Int32Array(b),
      targets,
      null,
      b,
      1,
      c.loss,
      c.huberDelta,
    );
    this.online.zeroGrad();
    this.online.backward(dq, b);
    this.optimizer.apply();
    this.finishUpdate(loss);
    return loss;
  }
}
