import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../../src/core/rng.ts';
import {
  ChainEnvironment,
  chainModelEstimates,
  chainPolicyEvaluation,
} from '../../src/environments/chain.ts';
import {
  type LoggedEpisodes,
  sequentialEstimate,
  sequentialOffPolicyEvaluate,
} from '../../src/evaluation/ope/sequential.ts';
import { summarize } from '../../src/evaluation/statistics.ts';
import { collectEpisodes } from '../../src/training/collect-episodes.ts';

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} ≠ ${b}`);

// Episode 0: (r 1, π_b 0.5, π_e 1), (r 2, π_b 0.5, π_e 0.5); episode 1: (r 0, π_b 0.5, π_e 0). γ = 0.5.
const tiny: LoggedEpisodes = {
  episodeStarts: Int32Array.of(0, 2, 3),
  rewards: Float64Array.of(1, 2, 0),
  loggingPropensities: Float64Array.of(0.5, 0.5, 0.5),
  targetPropensities: Float64Array.of(1, 0.5, 0),
  qEstimates: Float64Array.of(0.5, 1, 0.3),
  vEstimates: Float64Array.of(0.8, 1.2, 0.1),
  gamma: 0.5,
};

describe('sequential off-policy estimators', () => {
  test('PDIS, WPDIS, DR and WDR against hand-computed values', () => {
    close(sequentialEstimate('pdis', tiny), (2 * 1 + 0.5 * 2 * 2 + 0) / 2);
    close(sequentialEstimate('wpdis', tiny), 1 + 0.5 * 2);
    // DR: episode 0: 2(1 − 0.5) + 0.8 + 0.5·[2(2 − 1) + 2·1.2] = 4.0; episode 1: 0·(0 − 0.3) + 0.1.
    close(sequentialEstimate('dr', tiny), (4.0 + 0.1) / 2);
    close(sequentialEstimate('wdr', tiny), 0.95 + 0.5 * 2.2);
    const result = sequentialOffPolicyEvaluate({ ...tiny, resamples: 100 });
    assert.deepEqual(Object.keys(result), ['pdis', 'wpdis', 'dr', 'wdr']);
  });

  test('PDIS and DR are unbiased on logs exported from the slippery chain; DR stays unbiased with a wrong model', () => {
    // Behaviour: uniform; target: forward with probability 0.8. Horizon 5, γ = 0.9, slip 0.2. (Longer
    // horizons make ρ_{0:t} heavy-tailed — up to 1.6^H — and a t-interval over replications unreliable.)
    const horizon = 5;
    const gamma = 0.9;
    const slip = 0.2;
    const target = [0.2, 0.8] as const;
    const oracle = chainPolicyEvaluation({ slip }, () => target, gamma, horizon);
    const truth = oracle.startValue;
    const estimates: Record<string, number[]> = { pdis: [], wpdis: [], dr: [], 'dr (exact model)': [] };
    for (let replication = 0; replication < 60; replication++) {
      const rng = new Rng(100 + replication);
      const logs = collectEpisodes({
        environment: new ChainEnvironment({ slip, maxSteps: horizon }),
        behaviour: { act: () => ({ action: rng.int(2), propensity: 0.5 }) },
        target: { distribution: () => Float64Array.from(target) },
        episodes: 1_000,
        seed: replication,
      });
      const { qEstimates: q, vEstimates: v } = chainModelEstimates(oracle, logs);
      const data = { ...logs, targetPropensities: logs.targetPropensities!, gamma };
      estimates.pdis.push(sequentialEstimate('pdis', data));
      estimates.wpdis.push(sequentialEstimate('wpdis', data));
      estimates.dr.push(
        sequentialEstimate('dr', {
          ...data,
          qEstimates: q.map((x) => 0.5 * x + 3),
          vEstimates: v.map((x) => 0.5 * x + 3),
        }),
      );
      estimates['dr (exact model)'].push(sequentialEstimate('dr', { ...data, qEstimates: q, vEstimates: v }));
    }
    for (const name of ['pdis', 'dr', 'dr (exact model)']) {
      const s = summarize(estimates[name]);
      assert.ok(
        Math.abs(s.mean - truth) <= 1.5 * s.halfWidth + 1e-9,
        `${name}: ${s.mean} ± ${s.halfWidth} vs truth ${truth}`,
      );
    }
    // An exact model removes the reward and action noise; what remains comes from random transitions
    // (Jiang & Li 2016, Theorem 1). WPDIS trades a small bias for lower variance.
    assert.ok(summarize(estimates['dr (exact model)']).std < 0.7 * summarize(estimates.pdis).std);
    assert.ok(summarize(estimates.wpdis).std < summarize(estimates.pdis).std);
  });

  test('bad inputs are coded errors', () => {
    assert.throws(
      () => sequentialOffPolicyEvaluate({ ...tiny, episodeStarts: Int32Array.of(0, 2) }),
      (e: unknown) => (e as { code: string }).code === 'E_OPE_INPUT',
    );
    assert.throws(
      () => sequentialOffPolicyEvaluate({ ...tiny, loggingPropensities: Float64Array.of(0.5, 0, 0.5) }),
      (e: unknown) => (e as { path: string }).path === 'loggingPropensities[1]',
    );
  });
});
