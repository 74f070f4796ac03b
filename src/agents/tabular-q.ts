import { Rng } from '../core/rng.ts';
import { actionCount } from '../core/spaces.ts';
import type { ActOptions, Agent, AgentSnapshot, AgentStats, Decision, Transition } from '../core/types.ts';
import type { TabularQConfig } from './config.ts';
import { epsilonAt, epsilonGreedy } from './exploration.ts';
import { counterState, makeSnapshot, restoreCounters } from './snapshot.ts';
import { movingAverage, qLearningUpdate } from './update-rules.ts';

/**
 * Tabular Q-learning over any finite set of observations: each distinct observation vector is a state
 * (a discrete space's index, or a one-hot box). The brief's rule, Watkins & Dayan 1992.
 */
export class TabularQAgent implements Agent {
  readonly algorithm = 'tabular-q';
  private readonly actions: number;
  private readonly table = new Map<string, Float64Array>();
  private readonly visits = new Map<string, Float64Array>();
  private rng: Rng;
  private steps = 0;
  private updates = 0;
  private recentLoss = Number.NaN;

  constructor(readonly config: TabularQConfig) {
    this.actions = actionCount(config.actionSpace);
    this.rng = new Rng(config.seed);
  }

  private key(observation: Float32Array): string {
    return Array.prototype.join.call(observation, ',');
  }

  /** Q(s, ·) for an observation (a fresh row of initialValue for unseen states). */
  values(observation: Float32Array): Float64Array {
    return this.entry(observation).q;
  }

  /** The Q row and visit counts of a state, created on first sight. */
  private entry(observation: Float32Array): { q: Float64Array; visits: Float64Array } {
    const key = this.key(observation);
    let q = this.table.get(key);
    let visits = this.visits.get(key);
    if (!q || !visits) {
      q = new Float64Array(this.actions).fill(this.config.initialValue);
      visits = new Float64Array(this.actions);
      this.table.set(key, q);
      this.visits.set(key, visits);
    }
    return { q, visits };
  }

  act(observation: Float32Array, options: ActOptions = {}): Decision {
    const q = this.values(observation);
    const epsilon = options.explore === false ? 0 : epsilonAt(this.config.epsilon, this.steps);
    const choice = epsilonGreedy(q, this.actions, epsilon, this.rng, options.actionMask);
    return { action: choice.action, propensity: choice.propensity, values: Float32Array.from(q) };
  }

  observe(t: Transition): void {
    this.steps++;
    const { q, visits } = this.entry(t.observation);
    visits[t.action]++;
    const alpha =
      this.config.learningRateSchedule === 'visits'
        ? this.config.learningRate / visits[t.action] ** this.config.visitExponent
        : this.config.learningRate;
    const next = t.terminated ? null : this.values(t.nextObservation);
    const error = qLearningUpdate(q, t.action, t.reward, next, this.config.gamma, alpha, t.nextActionMask);
    this.updates++;
    const loss = 0.5 * error * error;
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

  /** All states seen, with their Q rows. */
  entries(): Array<[string, Float64Array]> {
    return [...this.table.entries()];
  }

  toJSON(): AgentSnapshot {
    return makeSnapshot(this.algorithm, this.config, {
      ...counterState(this.steps, this.updates, this.rng),
      table: [...this.table.entries()].map(([key, row]) => [key, [...row], [...this.visits.get(key)!]]),
    });
  }

  restore(state: Record<string, unknown>): void {
    ({ steps: this.steps, updates: this.updates, rng: this.rng } = restoreCounters(state));
    for (const [key, row, visits] of state.table as Array<[string, number[], number[]]>) {
      this.table.set(key, Float64Array.from(row));
      this.visits.set(key, Float64Array.from(visits));
    }
  }
}
