import { z } from 'zod';
import { parseConfig } from '../core/config.ts';
import { EngineError } from '../core/engine-error.ts';
import { Rng } from '../core/rng.ts';
import { box, discrete } from '../core/spaces.ts';
import type { Environment, StepInfo, StepResult } from '../core/types.ts';

export const chainOptionsSchema = z
  .object({
    length: z.number().int().min(2).max(1000).default(5),
    /** Probability that the opposite action happens instead (Strens 2000 used 0.2). */
    slip: z.number().min(0).max(1).default(0),
    /** Reward for going back to the start: the myopic choice. */
    backReward: z.number().default(2),
    /** Reward for moving forward at the far end: the long-term choice. */
    endReward: z.number().default(10),
    maxSteps: z.number().int().positive().default(100),
    seed: z.number().int().min(0).default(0),
  })
  .strict();
export type ChainOptions = z.output<typeof chainOptionsSchema>;

export const CHAIN_BACK = 0;
export const CHAIN_FORWARD = 1;

/**
 * The chain MDP (Strens 2000): states 0..L−1, observed one-hot. "Back" pays `backReward` now and returns
 * to state 0; "forward" pays nothing until the last state, where it pays `endReward` every step. The
 * greedy one-step choice (back) is wrong for any reasonable discount: the reason to learn long-term value.
 */
export class ChainEnvironment implements Environment {
  readonly id = 'chain';
  readonly observationSpace;
  readonly actionSpace = discrete(2);
  readonly options: ChainOptions;
  private rng: Rng;
  private state = 0;
  private t = 0;

  constructor(options: unknown = {}) {
    this.options = parseConfig(chainOptionsSchema, options, 'chain options');
    this.observationSpace = box([this.options.length], 0, 1);
    this.rng = new Rng(this.options.seed);
  }

  private observe(): Float32Array {
    const o = new Float32Array(this.options.length);
    o[this.state] = 1;
    return o;
  }

  reset(options: { seed?: number } = {}): { observation: Float32Array; info: StepInfo } {
    if (options.seed !== undefined) this.rng = new Rng(options.seed);
    this.state = 0;
    this.t = 0;
    return { observation: this.observe(), info: { state: 0 } };
  }

  step(action: number): StepResult {
    if (action !== CHAIN_BACK && action !== CHAIN_FORWARD) {
      throw new EngineError('E_ACTION_OUT_OF_RANGE', `chain has actions 0 and 1, got ${action}`);
    }
    const { slip, length } = this.options;
    const effective = slip > 0 && this.rng.float() < slip ? 1 - action : action;
    const { reward, next } = chainTransition(this.options, this.state, effective);
    this.state = next;
    this.t++;
    return {
      observation: this.observe(),
      reward,
      terminated: false,
      truncated: this.t >= this.options.maxSteps,
      info: { state: next, slipped: effective !== action, atEnd: next === length - 1 },
    };
  }

  /** Q* by value iteration on the known model (the oracle the tabular tests compare with). */
  optimalQ(gamma: number, tolerance = 1e-10): Float64Array[] {
    const { length } = this.options;
    const q = Array.from({ length }, () => new Float64Array(2));
    for (let iteration = 0; iteration < 100_000; iteration++) {
      let change = 0;
      for (let s = 0; s < length; s++) {
        for (const a of [CHAIN_BACK, CHAIN_FORWARD]) {
          const value = chainBackup(this.options, s, a, gamma, (next) => Math.max(q[next][0], q[next][1]));
          change = Math.max(change, Math.abs(value - q[s][a]));
          q[s][a] = value;
        }
      }
      if (change < tolerance) break;
    }
    return q;
  }
}

export interface ChainPolicyEvaluation {
  /** Q^π_t(s, a) for t = 0..horizon−1 (index [t][s][a]). */
  q: Float64Array[][];
  /** V^π_t(s) = Σ_a π(a|s) Q^π_t(s, a). */
  v: Float64Array[];
  /** The value of the start state, V^π_0(0). */
  startValue: number;
}

/**
 * Exact finite-horizon evaluation of a stationary policy on the chain (dynamic programming over the
 * known model): the oracle that off-policy estimates on logs exported from this simulator are checked
 * against. `policy(state)` gives [P(back), P(forward)].
 */
export function chainPolicyEvaluation(
  options: Partial<ChainOptions>,
  policy: (state: number) => readonly [number, number],
  gamma: number,
  horizon: number,
): ChainPolicyEvaluation {
  const parsed = chainOptionsSchema.parse(options);
  const { length } = parsed;
  const q = Array.from({ length: horizon + 1 }, () => Array.from({ length }, () => new Float64Array(2)));
  const v = Array.from({ length: horizon + 1 }, () => new Float64Array(length));
  for (let t = horizon - 1; t >= 0; t--) {
    for (let s = 0; s < length; s++) {
      for (const a of [CHAIN_BACK, CHAIN_FORWARD])
        q[t][s][a] = chainBackup(parsed, s, a, gamma, (next) => v[t + 1][next]);
      const [pBack, pForward] = policy(s);
      v[t][s] = pBack * q[t][s][0] + pForward * q[t][s][1];
    }
  }
  return { q: q.slice(0, horizon), v: v.slice(0, horizon), startValue: v[0][0] };
}

/** E[r + γ·value(s′)] for taking `action` in `state`, with the slip (the chain's Bellman backup). */
function chainBackup(
  options: ChainOptions,
  state: number,
  action: number,
  gamma: number,
  value: (next: number) => number,
): number {
  let total = 0;
  for (const [effective, p] of [
    [action, 1 - options.slip],
    [1 - action, options.slip],
  ] as const) {
    if (p === 0) continue;
    const { reward, next } = chainTransition(options, state, effective);
    total += p * (reward + gamma * value(next));
  }
  return total;
}

/**
 * q̂(s_t, a_t) and v̂(s_t) of an exact evaluation for each logged step (observations one-hot): the model
 * inputs of doubly robust estimators on logs exported from the chain.
 */
export function chainModelEstimates(
  evaluation: ChainPolicyEvaluation,
  logs: { observations: Float32Array[]; actions: Int32Array; timeSteps: Int32Array },
): { qEstimates: Float64Array; vEstimates: Float64Array } {
  const n = logs.actions.length;
  const qEstimates = new Float64Array(n);
  const vEstimates = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = logs.observations[i].indexOf(1);
    qEstimates[i] = evaluation.q[logs.timeSteps[i]][s][logs.actions[i]];
    vEstimates[i] = evaluation.v[logs.timeSteps[i]][s];
  }
  return { qEstimates, vEstimates };
}

function chainTransition(
  options: ChainOptions,
  state: number,
  action: number,
): { reward: number; next: number } {
  if (action === CHAIN_BACK) return { reward: options.backReward, next: 0 };
  const last = options.length - 1;
  return state === last ? { reward: options.endReward, next: last } : { reward: 0, next: state + 1 };
}
