import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Policy } from '../../src/core/types.ts';
import { AdsEnvironment, pacingPolicy } from '../../src/environments/ads.ts';
import { summarize } from '../../src/evaluation/statistics.ts';
import { evaluate } from '../../src/training/train.ts';
import { environmentContract } from '../contracts/environment-contract.ts';

describe('Environment contract', () => {
  environmentContract('ads', () => new AdsEnvironment(), 200);
});

describe('ads simulator', () => {
  test('second-price auctions: a win pays the market price, never more than the bid, within budget', () => {
    const env = new AdsEnvironment({ seed: 2 });
    env.reset({ seed: 2 });
    let spent = 0;
    for (let t = 0; t < 200; t++) {
      const r = env.step(5);
      if (r.info.won) {
        assert.ok((r.info.cost as number) <= (r.info.bid as number) + 1e-12);
        assert.equal(r.info.cost, r.info.marketPrice);
        spent += r.info.cost as number;
      } else assert.equal(r.reward, 0);
      if (r.terminated || r.truncated) break;
    }
    assert.ok(spent <= 6 + 1e-9, `spent ${spent}`);
  });

  test('budget pacing beats truthful, aggressive and shaded fixed bids', () => {
    const env = new AdsEnvironment();
    const fixed = (multiplier: number): Policy => ({
      act: () => ({ action: env.options.bidMultipliers.indexOf(multiplier), propensity: 1 }),
    });
    const value = (policy: Policy) =>
      summarize(evaluate({ environment: env, policy, episodes: 100, seed: 3 }).returns);
    const pacing = value(pacingPolicy(env));
    for (const [name, multiplier] of [
      ['truthful', 1],
      ['aggressive', 1.8],
      ['shaded', 0.5],
    ] as const) {
      const other = value(fixed(multiplier));
      assert.ok(pacing.lower > other.upper, `pacing ${pacing.mean} vs ${name} ${other.mean}`);
    }
  });
});
