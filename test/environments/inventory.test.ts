import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../../src/core/rng.ts';
import type { Policy } from '../../src/core/types.ts';
import { InventoryEnvironment, sSPolicy } from '../../src/environments/inventory.ts';
import { summarize } from '../../src/evaluation/statistics.ts';
import { evaluate } from '../../src/training/train.ts';
import { environmentContract } from '../contracts/environment-contract.ts';

describe('Environment contract', () => {
  environmentContract('inventory', () => new InventoryEnvironment({ horizon: 60 }), 60);
});

describe('inventory simulator', () => {
  test('an order arrives exactly after the lead time', () => {
    const env = new InventoryEnvironment({ leadTime: 3, meanDemand: 1, seed: 1 });
    env.reset({ seed: 1 });
    const received: number[] = [];
    received.push(env.step(4).info.received as number); // order 80 on day 0
    for (let day = 1; day < 6; day++) received.push(env.step(0).info.received as number);
    assert.deepEqual(received, [0, 0, 0, 80, 0, 0]);
  });

  test('the (s, S) heuristic beats never ordering, always ordering the most, and random', () => {
    const env = new InventoryEnvironment();
    const rng = new Rng(3);
    const policies: Record<string, Policy> = {
      '(s, S)': sSPolicy(env),
      never: { act: () => ({ action: 0, propensity: 1 }) },
      'always max': { act: () => ({ action: 4, propensity: 1 }) },
      random: { act: () => ({ action: rng.int(5), propensity: 0.2 }) },
    };
    const profit = Object.fromEntries(
      Object.entries(policies).map(([name, policy]) => [
        name,
        summarize(evaluate({ environment: env, policy, episodes: 30, seed: 5 }).returns),
      ]),
    );
    const best = profit['(s, S)'];
    for (const name of ['never', 'always max', 'random']) {
      assert.ok(
        best.lower > profit[name].upper,
        `(s, S) ${best.mean.toFixed(0)} vs ${name} ${profit[name].mean.toFixed(0)}`,
      );
    }
    assert.ok(best.mean > 0, `(s, S) makes a profit: ${best.mean}`);
  });

  test('seasonal demand: the mean swings with the season', () => {
    const env = new InventoryEnvironment({ seasonalAmplitude: 0.5, meanDemand: 10, seasonPeriodDays: 60 });
    assert.ok(Math.abs(env.meanDemandOn(15) - 15) < 1e-9);
    assert.ok(Math.abs(env.meanDemandOn(45) - 5) < 1e-9);
  });
});
