import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../../src/core/rng.ts';
import { estimate, type LoggedBandit, roundTerms } from '../../src/evaluation/ope/estimators.ts';
import { offPolicyEvaluate, overlapDiagnostics } from '../../src/evaluation/ope/off-policy-evaluate.ts';
import { fitRewardModel } from '../../src/evaluation/ope/reward-model.ts';
import { summarize } from '../../src/evaluation/statistics.ts';

const close = (a: number, b: number, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol, `${a} ≠ ${b}`);

// Three rounds, two actions; the values in the comments are worked out by hand.
const tiny: LoggedBandit = {
  actions: 2,
  loggedActions: Int32Array.of(0, 1, 0),
  rewards: Float64Array.of(1, 0, 0),
  loggingPropensities: Float64Array.of(0.5, 0.25, 0.5),
  targetProbabilities: Float64Array.of(0.8, 0.2, 0.5, 0.5, 0, 1),
  rewardEstimates: Float64Array.of(0.6, 0.3, 0.2, 0.4, 0.1, 0.9),
};

/**
 * A synthetic contextual bandit with a known truth: context x ~ N(0, I_3), 5 actions, click probability
 * σ(θ_a·x − 1). Logging: softmax of a noisy score (full support); target: a sharper softmax.
 */
function syntheticLogs(n: number, seed: number) {
  const rng = new Rng(seed);
  const actions = 5;
  const theta = [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
    [-1, 1, 0],
    [0.5, 0.5, 0.5],
  ];
  const contexts = new Float64Array(n * 3);
  const loggedActions = new Int32Array(n);
  const rewards = new Float64Array(n);
  const loggingPropensities = new Float64Array(n);
  const targetProbabilities = new Float64Array(n * actions);
  let truth = 0;
  const softmax = (scores: number[]) => {
    const max = Math.max(...scores);
    const e = scores.map((s) => Math.exp(s - max));
    const total = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / total);
  };
  for (let i = 0; i < n; i++) {
    const x = [rng.normal(), rng.normal(), rng.normal()];
    contexts.set(x, i * 3);
    const click = theta.map((t) => 1 / (1 + Math.exp(-(t[0] * x[0] + t[1] * x[1] + t[2] * x[2] - 1))));
    const behaviour = softmax(click.map((c) => 2 * c));
    const target = softmax(click.map((c) => 6 * c));
    const a = rng.categorical(behaviour);
    loggedActions[i] = a;
    loggingPropensities[i] = behaviour[a];
    rewards[i] = rng.bernoulli(click[a]) ? 1 : 0;
    targetProbabilities.set(target, i * actions);
    for (let b = 0; b < actions; b++) truth += target[b] * click[b];
  }
  return {
    actions,
    contexts,
    loggedActions,
    rewards,
    loggingPropensities,
    targetProbabilities,
    truth: truth / n,
  };
}

describe('off-policy estimators', () => {
  test('each estimator against hand-computed values', () => {
    const terms = roundTerms(tiny);
    assert.deepEqual([...terms.weights], [1.6, 2, 0]);
    close(estimate('ips', terms), 1.6 / 3);
    close(estimate('snips', terms), 1.6 / 3.6);
    close(estimate('dm', terms), (0.54 + 0.3 + 0.9) / 3);
    close(estimate('dr', terms), (1.74 + 0.64 - 0.8) / 3);
    close(estimate('sndr', terms), 0.58 + (0.64 - 0.8) / 3.6);
    close(estimate('switch-dr', terms, { switchThreshold: 1.8 }), (1.74 + 0.64) / 3);
    close(estimate('dr-os', terms, { shrinkage: 1 }), (1.74 + (1.6 / 3.56) * 0.4 + 0.4 * -0.4) / 3);
    close(estimate('ips', roundTerms(tiny, 1.5)), 1.5 / 3, 1e-12); // clipped weights
  });

  test('offPolicyEvaluate returns every estimator with an interval around its value', () => {
    const result = offPolicyEvaluate({ ...tiny, seed: 3, resamples: 200 });
    assert.deepEqual(Object.keys(result), ['dm', 'ips', 'snips', 'dr', 'sndr', 'switch-dr', 'dr-os']);
    for (const [name, r] of Object.entries(result)) {
      assert.ok(r.lower <= r.value + 1e-12 && r.value <= r.upper + 1e-12, `${name}: ${JSON.stringify(r)}`);
    }
    assert.deepEqual(offPolicyEvaluate({ ...tiny, seed: 3, resamples: 200 }), result, 'seeded');
    const withoutModel = offPolicyEvaluate({ ...tiny, rewardEstimates: undefined, resamples: 50 });
    assert.deepEqual(Object.keys(withoutModel), ['ips', 'snips']);
  });

  test('IPS, DR and SNIPS are unbiased on synthetic logs with a known true value', () => {
    const estimates: Record<string, number[]> = { ips: [], snips: [], dr: [], dm: [] };
    let truth = 0;
    const replications = 40;
    for (let seed = 1; seed <= replications; seed++) {
      const logs = syntheticLogs(2_000, seed);
      truth += logs.truth / replications;
      const rewardEstimates = fitRewardModel({
        rounds: 2_000,
        actions: logs.actions,
        dimension: 3 + logs.actions,
        features: (i, a, out) => {
          out.fill(0);
          for (let j = 0; j < 3; j++) out[j] = logs.contexts[i * 3 + j];
          out[3 + a] = 1;
        },
        loggedActions: logs.loggedActions,
        rewards: logs.rewards,
        seed,
      });
      const terms = roundTerms({ ...logs, rewardEstimates });
      for (const name of ['ips', 'snips', 'dr', 'dm'] as const) estimates[name].push(estimate(name, terms));
    }
    for (const name of ['ips', 'snips', 'dr'] as const) {
      const s = summarize(estimates[name]);
      // The truth lies within the 95% CI of the mean estimate over replications (with a 3σ-ish margin).
      assert.ok(
        Math.abs(s.mean - truth) < 1.5 * s.halfWidth + 0.002,
        `${name}: ${s.mean} vs truth ${truth} ± ${s.halfWidth}`,
      );
    }
    // The misspecified linear-in-context reward model leaves DM biased but with the smallest spread.
    assert.ok(summarize(estimates.dm).std < summarize(estimates.ips).std);
  });

  test('overlap diagnostics: effective sample size and warnings', () => {
    const d = overlapDiagnostics(tiny);
    close(d.effectiveSampleSize, 3.6 ** 2 / (1.6 ** 2 + 4));
    assert.equal(d.zeroWeightRounds, 1);
    const n = 5_000;
    const poor: LoggedBandit = {
      actions: 2,
      loggedActions: new Int32Array(n),
      rewards: new Float64Array(n),
      loggingPropensities: new Float64Array(n).fill(0.999),
      targetProbabilities: new Float64Array(2 * n).map((_, j) => (j % 2 === 0 ? 0.0005 : 0.9995)),
    };
    poor.loggedActions[0] = 1;
    poor.loggingPropensities[0] = 0.001;
    assert.ok(overlapDiagnostics(poor).warnings.some((w) => w.startsWith('poor overlap')));
  });

  test('bad inputs are coded errors naming the field', () => {
    const code = (input: Partial<LoggedBandit> & Record<string, unknown>) => {
      try {
        offPolicyEvaluate({ ...tiny, ...input } as never);
      } catch (error) {
        return `${(error as { code: string }).code} ${(error as { path?: string }).path}`;
      }
      return 'ok';
    };
    assert.equal(
      code({ loggingPropensities: Float64Array.of(0.5, 0, 0.5) }),
      'E_OPE_INPUT loggingPropensities[1]',
    );
    assert.equal(code({ loggedActions: Int32Array.of(0, 2, 0) }), 'E_OPE_INPUT loggedActions[1]');
    assert.equal(
      code({ targetProbabilities: Float64Array.of(0.8, 0.2, 0.5, 0.6, 0, 1) }),
      'E_OPE_INPUT targetProbabilities[1]',
    );
    assert.equal(code({ rewards: Float64Array.of(1, 0) }), 'E_OPE_INPUT rewards');
    assert.equal(code({ estimators: ['magic'] }), 'E_UNKNOWN_ESTIMATOR estimators');
    assert.equal(code({ rewardEstimates: undefined, estimators: ['dr'] }), 'E_OPE_INPUT rewardEstimates');
  });

  test('the logistic reward model recovers click probabilities', () => {
    const rng = new Rng(5);
    const n = 20_000;
    const x = Float64Array.from({ length: n }, () => rng.normal());
    const actions = Int32Array.from({ length: n }, () => rng.int(2));
    const truth = (xi: number, a: number) => 1 / (1 + Math.exp(-(a === 0 ? 1.5 * xi - 1 : -2)));
    const rewards = Float64Array.from({ length: n }, (_, i) =>
      rng.bernoulli(truth(x[i], actions[i])) ? 1 : 0,
    );
    const q = fitRewardModel({
      rounds: n,
      actions: 2,
      dimension: 4,
      features: (i, a, out) => {
        out.fill(0);
        out[a] = 1; // per-action intercept
        out[2 + a] = x[i]; // per-action slope
      },
      loggedActions: actions,
      rewards,
      l2: 0.1,
    });
    let worst = 0;
    for (let i = 0; i < 200; i++)
      for (let a = 0; a < 2; a++) worst = Math.max(worst, Math.abs(q[i * 2 + a] - truth(x[i], a)));
    assert.ok(worst < 0.05, `max error ${worst}`);
  });
});
