/**
 * The public contracts (DESIGN.md, "Core contracts"), with Gymnasium's conventions so that people who
 * know Python RL feel at home. Types only: implementations live in higher layers.
 */
export type DiscreteSpace = { kind: 'discrete'; n: number };
export type BoxSpace = { kind: 'box'; shape: number[]; low?: number; high?: number };
export type Space = DiscreteSpace | BoxSpace;

export interface StepInfo {
  /** 1 = allowed; absent = all allowed. */
  actionMask?: Uint8Array;
  /** Per-action features for parametric Q(s, a) (dynamic catalogues). */
  actionFeatures?: Float32Array[];
  /** Environment-specific diagnostics (clicked, purchased, revenue...). */
  [key: string]: unknown;
}

export interface StepResult {
  observation: Float32Array;
  reward: number;
  /** The episode ended in the MDP (purchase made, lead lost...): do not bootstrap past it. */
  terminated: boolean;
  /** The episode was cut by a time limit: the value of the next state still counts. */
  truncated: boolean;
  info: StepInfo;
}

export interface Environment {
  readonly id: string;
  readonly observationSpace: Space;
  /** Discrete. */
  readonly actionSpace: Space;
  reset(options?: { seed?: number }): { observation: Float32Array; info: StepInfo };
  step(action: number): StepResult;
}

export interface Transition {
  observation: Float32Array;
  action: number;
  reward: number;
  nextObservation: Float32Array;
  terminated: boolean;
  truncated: boolean;
  /** Probability the acting policy gave `action`. */
  propensity?: number;
  actionMask?: Uint8Array;
  actionFeatures?: Float32Array[];
  nextActionMask?: Uint8Array;
  nextActionFeatures?: Float32Array[];
}

export interface ActOptions {
  actionMask?: Uint8Array;
  actionFeatures?: Float32Array[];
  /** false = act greedily (evaluation, serving without exploration). Default true. */
  explore?: boolean;
}

export interface Decision {
  action: number;
  /** Probability with which this call chose `action` (1 for a deterministic greedy choice). */
  propensity: number;
  /** The agent's scores per action (Q-values, logits or expected rewards), where it has them. */
  values?: Float32Array;
}

/** Anything that maps an observation to a decision: agents, baselines, heuristics. */
export interface Policy {
  act(observation: Float32Array, options?: ActOptions): Decision;
}

export interface AgentSnapshot {
  format: 'nextbest.agent';
  version: 1;
  algorithm: string;
  /** The parsed config, defaults filled in. */
  config: Record<string, unknown>;
  /** Learned state: weights (base64 float32), tables, counters, RNG state. */
  state: Record<string, unknown>;
}

export interface AgentStats {
  /** Environment steps observed. */
  steps: number;
  /** Gradient / table updates performed. */
  updates: number;
  /** Mean loss over recent updates (TD loss for value methods), NaN before the first update. */
  loss: number;
  /** Current exploration rate where the agent has one. */
  epsilon?: number;
}

export interface Agent extends Policy {
  readonly algorithm: string;
  /** Store experience; learn when the schedule says so. */
  observe(transition: Transition): void;
  /** Everything needed to restore: config, weights, step counters. JSON-safe. */
  toJSON(): AgentSnapshot;
  stats(): AgentStats;
  /** Release native memory (kernel buffers). The agent must not be used afterwards. */
  dispose?(): void;
}

/**
 * Logged transitions over item sequences (offline RL on event logs): rows of k item indices, oldest
 * first, left-padded with 0, item i as i + 1; the next state is the state with the action appended.
 */
export interface SequenceBatch {
  states: Int32Array;
  actions: Int32Array;
  rewards: Float32Array;
  nextStates: Int32Array;
  terminated: Uint8Array;
  /** F user/context features per state and per next state (F × size values; empty when F = 0). */
  contexts: Float32Array;
  nextContexts: Float32Array;
  size: number;
}

/** A zeroed batch of `size` rows of k = `length` item indices and `features` context values. */
export function emptySequenceBatch(size: number, length: number, features = 0): SequenceBatch {
  return {
    states: new Int32Array(size * length),
    actions: new Int32Array(size),
    rewards: new Float32Array(size),
    nextStates: new Int32Array(size * length),
    terminated: new Uint8Array(size),
    contexts: new Float32Array(size * features),
    nextContexts: new Float32Array(size * features),
    size,
  };
}
