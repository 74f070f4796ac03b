/**
 * Baselines on the CRM simulator (simulators issue): net value per lead (deal value − contact costs),
 * mean ± 95% CI over 3,000 leads, conversion and share of leads lost; and, under the playbook, the
 * calibrated effects the simulator reproduces (by channel and by previous outcome).
 * Usage: npx tsx benchmarks/crm-baselines.ts
 */
import { UniformRandomPolicy } from '../src/agents/random-policy.ts';
import type { Policy } from '../src/core/types.ts';
import { CrmEnvironment, crmPlaybookPolicy } from '../src/environments/crm.ts';
import { formatMeanCi, summarize } from '../src/evaluation/statistics.ts';

const LEADS = 3_000;
const env = new CrmEnvironment();
const policies: Record<string, Policy> = {
  'playbook (email weekly, call after an open, meeting after an answer)': crmPlaybookPolicy(env),
  'never contact': { act: () => ({ action: 0, propensity: 1 }) },
  'email daily': { act: () => ({ action: 1, propensity: 1 }) },
  'call daily': { act: () => ({ action: 2, propensity: 1 }) },
  random: new UniformRandomPolicy(4, 2),
};
const groups: Record<string, [number, number]> = {};
console.log('| policy | net value per lead (mean ± 95% CI) | won | lost |');
console.log('|---|---:|---:|---:|');
for (const [name, policy] of Object.entries(policies)) {
  const values: number[] = [];
  let won = 0;
  let lost = 0;
  for (let e = 0; e < LEADS; e++) {
    const { observation } = env.reset({ seed: 10 + e });
    let value = 0;
    let signed = false;
    for (;;) {
      const r = env.step(policy.act(observation).action);
      value += r.reward;
      if (r.info.won) signed = true;
      if (r.info.lost) lost++;
      if (r.terminated || r.truncated) break;
    }
    values.push(value);
    if (signed) won++;
    if (name.startsWith('playbook')) {
      const keys = [
        observation[16] === 1 ? 'channel: cellular' : 'channel: telephone',
        `previous outcome: ${['nonexistent', 'failure', 'success'][[13, 14, 15].findIndex((k) => observation[k] === 1)]}`,
      ];
      for (const key of keys) {
        groups[key] ??= [0, 0];
        groups[key][0]++;
        if (signed) groups[key][1]++;
      }
    }
  }
  console.log(
    `| ${name} | ${formatMeanCi(summarize(values))} | ${((100 * won) / LEADS).toFixed(1)}% | ${((100 * lost) / LEADS).toFixed(1)}% |`,
  );
}
console.log('\nUnder the playbook, conversion by group (the calibrated effects):\n');
console.log('| group | leads | conversion |');
console.log('|---|---:|---:|');
for (const key of Object.keys(groups).sort())
  console.log(`| ${key} | ${groups[key][0]} | ${((100 * groups[key][1]) / groups[key][0]).toFixed(1)}% |`);
