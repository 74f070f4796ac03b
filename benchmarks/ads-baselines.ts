/**
 * Baselines on the ads simulator (simulators issue): click value per day (200 auctions, budget 6),
 * mean ± 95% CI over 100 evaluation days, for budget pacing and fixed bidding rules.
 * Usage: npx tsx benchmarks/ads-baselines.ts
 */
import { UniformRandomPolicy } from '../src/agents/random-policy.ts';
import type { Policy } from '../src/core/types.ts';
import { AdsEnvironment, pacingPolicy } from '../src/environments/ads.ts';
import { formatMeanCi, summarize } from '../src/evaluation/statistics.ts';
import { evaluate } from '../src/training/train.ts';

function adsBaselines(env: AdsEnvironment): Record<string, Policy> {
  const fixed = (multiplier: number): Policy => ({
    act: () => ({ action: env.options.bidMultipliers.indexOf(multiplier), propensity: 1 }),
  });
  return {
    'budget pacing (gain 4)': pacingPolicy(env),
    'truthful bid (×1.0)': fixed(1),
    'aggressive bid (×1.8)': fixed(1.8),
    'shaded bid (×0.5)': fixed(0.5),
    random: new UniformRandomPolicy(env.options.bidMultipliers.length, 1),
  };
}

const env = new AdsEnvironment();
console.log('| policy | click value per day (mean ± 95% CI, 100 days) |');
console.log('|---|---:|');
for (const [name, policy] of Object.entries(adsBaselines(env))) {
  console.log(
    `| ${name} | ${formatMeanCi(summarize(evaluate({ environment: env, policy, episodes: 100, seed: 3 }).returns))} |`,
  );
}
