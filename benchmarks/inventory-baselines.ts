/**
 * Baselines on the inventory simulator (simulators issue): profit per 120-day episode, mean ± 95% CI
 * over 30 evaluation episodes, for the (s, S) heuristic and naive policies.
 * Usage: npx tsx benchmarks/inventory-baselines.ts
 */
import { UniformRandomPolicy } from '../src/agents/random-policy.ts';
import type { Policy } from '../src/core/types.ts';
import { InventoryEnvironment, sSPolicy } from '../src/environments/inventory.ts';
import { formatMeanCi, summarize } from '../src/evaluation/statistics.ts';
import { evaluate } from '../src/training/train.ts';

const env = new InventoryEnvironment();
const policies: Record<string, Policy> = {
  '(s, S) from the demand forecast': sSPolicy(env),
  'never order': { act: () => ({ action: 0, propensity: 1 }) },
  'always order 80': { act: () => ({ action: 4, propensity: 1 }) },
  random: new UniformRandomPolicy(5, 3),
};
console.log('| policy | profit per episode (mean ± 95% CI, 30 episodes) |');
console.log('|---|---:|');
for (const [name, policy] of Object.entries(policies)) {
  console.log(
    `| ${name} | ${formatMeanCi(summarize(evaluate({ environment: env, policy, episodes: 30, seed: 5 }).returns), 0)} |`,
  );
}
