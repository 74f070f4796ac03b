import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../../src/core/rng.ts';
import { type LoggedSlates, slateEstimate, slateOffPolicyEvaluate } from '../../src/evaluation/ope/slate.ts';
import { summarize } from '../../src/evaluation/statistics.ts';

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} ≠ ${b}`);

describe('slate off-policy estimators', () => {
  test('standard, independent and reward-interaction IPS against hand-computed values', () => {
    // Two slates of two positions. Rewards [[1, 0], [0, 1]].
    const data: LoggedSlates = {
      slateSize: 2,
      rewards: Float64Array.of(1, 0, 0, 1),
      loggingMarginal: Float64Array.of(0.5, 0.5, 0.5, 0.25),
      targetMarginal: Float64Array.of(1, 0.5, 0.25, 0.5),
      loggingCascade: Float64Array.of(0.5, 0.25, 0.5, 0.125),
      targetCascade: Float64Array.of(1, 0.5, 0.25, 0.125),
      loggingSlate: Float64Array.of(0.25, 0.125),
      targetSlate: Float64Array.of(0.5, 0.125),
    };
    // IIPS: position 1: (2·1 + 0.5·0)/2 = 1; position 2: (1·0 + 2·1)/2 = 1.
    close(slateEstimate('iips', data), 2);
    // RIPS: position 1 as IIPS = 1; position 2 cascade weights (2, 1): (0 + 1·1)/2 = 0.5.
    close(slateEstimate('rips', data), 1.5);
    // Slate IPS: weights (2, 1): position 1 (2 + 0)/2 = 1; position 2 (0 + 1)/2 = 0.5.
    close(slateEstimate('slate-ips', data), 1.5);
    // Self-normalised IIPS: position 1: 2/(2 + 0.5) = 0.8; position 2: 2/(1 + 2) = 2/3.
    close(slateEstimate('sniips', data), 0.8 + 2 / 3);
    assert.deepEqual(Object.keys(slateOffPolicyEvaluate({ ...data, resamples: 50 })), [
      'slate-ips',
      'iips',
      'rips',
      'slate-snips',
      'sniips',
      'snrips',
    ]);
  });

  test('all three are unbiased when clicks at each position depend only on that position’s item', () => {
    // 4 items, 3 positions, items drawn independently per position (with replacement, to keep the
    // propensities exact): logging uniform, target skewed. Click probability = item quality × position bias.
    const quality = [0.1, 0.3, 0.5, 0.7];
    const positionBias = [1, 0.7, 0.4];
    const target = [0.1, 0.1, 0.3, 0.5];
    let truth = 0;
    for (let l = 0; l < 3; l++) for (let a = 0; a < 4; a++) truth += target[a] * quality[a] * positionBias[l];
    const estimates: Record<string, number[]> = { 'slate-ips': [], iips: [], rips: [] };
    for (let seed = 0; seed < 40; seed++) {
      const rng = new Rng(seed);
      const n = 2_000;
      const data: LoggedSlates = {
        slateSize: 3,
        rewards: new Float64Array(n * 3),
        loggingMarginal: new Float64Array(n * 3),
        targetMarginal: new Float64Array(n * 3),
        loggingCascade: new Float64Array(n * 3),
        targetCascade: new Float64Array(n * 3),
        loggingSlate: new Float64Array(n),
        targetSlate: new Float64Array(n),
      };
      for (let i = 0; i < n; i++) {
        let pl = 1;
        let pt = 1;
        for (let l = 0; l < 3; l++) {
          const a = rng.int(4);
          data.rewards[i * 3 + l] = rng.bernoulli(quality[a] * positionBias[l]) ? 1 : 0;
          data.loggingMarginal![i * 3 + l] = 0.25;
          data.targetMarginal![i * 3 + l] = target[a];
          pl *= 0.25;
          pt *= target[a];
          data.loggingCascade![i * 3 + l] = pl;
          data.targetCascade![i * 3 + l] = pt;
        }
        data.loggingSlate![i] = pl;
        data.targetSlate![i] = pt;
      }
      for (const name of ['slate-ips', 'iips', 'rips'] as const)
        estimates[name].push(slateEstimate(name, data));
    }
    for (const name of ['slate-ips', 'iips', 'rips'] as const) {
      const s = summarize(estimates[name]);
      assert.ok(
        Math.abs(s.mean - truth) <= 1.5 * s.halfWidth,
        `${name}: ${s.mean} ± ${s.halfWidth} vs ${truth}`,
      );
    }
    // The fewer factors in the weight, the lower the variance: IIPS < RIPS < slate IPS.
    const std = (name: string) => summarize(estimates[name]).std;
    assert.ok(
      std('iips') < std('rips') && std('rips') < std('slate-ips'),
      `${std('iips')} ${std('rips')} ${std('slate-ips')}`,
    );
  });
});
