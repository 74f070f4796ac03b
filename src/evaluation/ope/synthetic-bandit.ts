import { Rng } from '../../core/rng.ts';

export interface SyntheticBanditOptions {
  rounds: number;
  seed: number;
  actions?: number;
  contextSize?: number;
  /** Inverse temperatures of the logging and target softmax policies over true click probabilities. */
  loggingSharpness?: number;
  targetSharpness?: number;
  /** Intercept of the click logit: −1 gives CTRs around 30%; −5 about 1% (OBD-like). */
  baseLogit?: number;
  /** Scale of the context effect θ_a ~ N(0, scale² I). */
  effectScale?: number;
}

export interface SyntheticBandit {
  actions: number;
  contextSize: number;
  contexts: Float64Array;
  loggedActions: Int32Array;
  rewards: Float64Array;
  loggingPropensities: Float64Array;
  targetProbabilities: Float64Array;
  /** True E[r | x_i, a] for every round and action. */
  expectedRewards: Float64Array;
  /** The target policy's true value on these contexts: mean_i Σ_a π_e(a|x_i) E[r | x_i, a]. */
  truth: number;
}

/**
 * Logged contextual-bandit data with a known ground truth (in the spirit of OBP's synthetic dataset):
 * x ~ N(0, I), click probability σ(θ_a·x + baseLogit) with θ_a ~ N(0, scale²·I) fixed by the seed; logging and target
 * policies are softmaxes of the true click probability at different sharpness, so both have full support.
 */
export function syntheticBandit(options: SyntheticBanditOptions): SyntheticBandit {
  const { rounds: n, seed } = options;
  const actions = options.actions ?? 5;
  const d = options.contextSize ?? 3;
  const logging = options.loggingSharpness ?? 2;
  const target = options.targetSharpness ?? 6;
  const baseLogit = options.baseLogit ?? -1;
  const effectScale = options.effectScale ?? 1;
  const rng = new Rng(seed);
  const theta = Float64Array.from({ length: actions * d }, () => effectScale * rng.normal());
  const contexts = new Float64Array(n * d);
  const loggedActions = new Int32Array(n);
  const rewards = new Float64Array(n);
  const loggingPropensities = new Float64Array(n);
  const targetProbabilities = new Float64Array(n * actions);
  const expectedRewards = new Float64Array(n * actions);
  const behaviour = new Float64Array(actions);
  let truth = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) contexts[i * d + j] = rng.normal();
    let maxClick = 0;
    for (let a = 0; a < actions; a++) {
      let z = baseLogit;
      for (let j = 0; j < d; j++) z += theta[a * d + j] * contexts[i * d + j];
      const p = 1 / (1 + Math.exp(-z));
      expectedRewards[i * actions + a] = p;
      maxClick = Math.max(maxClick, p);
    }
    let sumB = 0;
    let sumT = 0;
    for (let a = 0; a < actions; a++) {
      const p = expectedRewards[i * actions + a];
      behaviour[a] = Math.exp(logging * (p - maxClick));
      targetProbabilities[i * actions + a] = Math.exp(target * (p - maxClick));
      sumB += behaviour[a];
      sumT += targetProbabilities[i * actions + a];
    }
    for (let a = 0; a < actions; a++) {
      behaviour[a] /= sumB;
      targetProbabilities[i * actions + a] /= sumT;
      truth += targetProbabilities[i * actions + a] * expectedRewards[i * actions + a];
    }
    const a = rng.categorical(behaviour);
    loggedActions[i] = a;
    loggingPropensities[i] = behaviour[a];
    rewards[i] = rng.float() < expectedRewards[i * actions + a] ? 1 : 0;
  }
  return {
    actions,
    contextSize: d,
    contexts,
    loggedActions,
    rewards,
    loggingPropensities,
    targetProbabilities,
    expectedRewards,
    truth: truth / n,
  };
}
