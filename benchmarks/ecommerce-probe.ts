/**
 * A probe, not an experiment: one training seed per learner on the ecommerce simulator v1 (seed 3),
 * greedy return per session over 200 evaluation sessions (mean ± 95% CI over sessions), beside random
 * and two oracle policies that read the simulator's latent truth through outcomeProbabilities():
 *  - myopic oracle: maximises the immediate expected shaped reward (what a perfect one-step bandit does);
 *  - far-sighted oracle: also values the satisfaction a click leaves behind.
 * It shows how far the learners are from the oracles before the simulators issue's experiments.
 * Usage: npx tsx benchmarks/ecommerce-probe.ts [learner ...]  (learners: dqn, linucb, parametric-dqn)
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createAgent } from '../src/agents/create-agent.ts';
import { UniformRandomPolicy } from '../src/agents/random-policy.ts';
import type { Decision, Policy } from '../src/core/types.ts';
import { EcommerceEnvironment } from '../src/environments/ecommerce.ts';
import { evaluate, train } from '../src/training/train.ts';

const EVAL_SESSIONS = 200;
const world = () => new EcommerceEnvironment({ seed: 3 });

function oracle(env: EcommerceEnvironment, farsighted: boolean): Policy {
  return {
    act: (_observation, options = {}): Decision => {
      let best = -1;
      let bestValue = Number.NEGATIVE_INFINITY;
      const mask = options.actionMask!;
      for (let a = 0; a < mask.length; a++) {
        if (!mask[a]) continue;
        const p = env.outcomeProbabilities(a);
        let v = 0.5 * p.click + 0.5 * p.click * p.cartGivenClick * p.purchaseGivenCart;
        if (farsighted) v += 2 * p.click * p.satisfactionChange;
        if (v > bestValue) {
          best = a;
          bestValue = v;
        }
      }
      return { action: best, propensity: 1 };
    },
  };
}

function learner(name: string): string {
  const env = world();
  const base = { observationSpace: env.observationSpace, actionSpace: env.actionSpace, seed: 1 };
  const configs: Record<string, { config: Record<string, unknown>; steps: number }> = {
    dqn: {
      config: {
        algorithm: 'dqn',
        ...base,
        network: { hidden: [128, 128] },
        learningRate: 5e-4,
        gamma: 0.95,
        epsilon: { start: 1, end: 0.05, decaySteps: 20_000 },
        bufferSize: 50_000,
      },
      steps: 40_000,
    },
    linucb: { config: { algorithm: 'linucb', ...base, actionFeatureSize: 14, alpha: 0.3 }, steps: 20_000 },
    'parametric-dqn': {
      config: {
        algorithm: 'dqn',
        ...base,
        parametric: true,
        actionFeatureSize: 14,
        network: { hidden: [64, 64] },
        gamma: 0.9,
        batchSize: 32,
        trainFrequency: 4,
        bufferSize: 20_000,
        epsilon: { start: 1, end: 0.05, decaySteps: 15_000 },
        learningRate: 5e-4,
      },
      steps: 30_000,
    },
  };
  const { config, steps } = configs[name];
  const agent = createAgent(config);
  const started = performance.now();
  train({ environment: env, agent, steps, seed: 1 });
  const s = evaluate({ environment: world(), policy: agent, episodes: EVAL_SESSIONS, seed: 99 }).summary;
  return `| ${name} (${steps.toLocaleString('en-US')} training steps, ${((performance.now() - started) / 1000).toFixed(0)} s) | ${s.mean.toFixed(2)} ± ${s.halfWidth.toFixed(2)} |`;
}

const args = process.argv.slice(2);
if (args[0] === '--learner') {
  console.log(learner(args[1]));
  process.exit(0);
}
const rows: string[] = [];
const random = new UniformRandomPolicy(200, 5);
for (const [name, make] of [
  ['random', () => random],
  ['myopic oracle', (env: EcommerceEnvironment) => oracle(env, false)],
  ['far-sighted oracle', (env: EcommerceEnvironment) => oracle(env, true)],
] as const) {
  const env = world();
  const s = evaluate({ environment: env, policy: make(env), episodes: EVAL_SESSIONS, seed: 99 }).summary;
  rows.push(`| ${name} | ${s.mean.toFixed(2)} ± ${s.halfWidth.toFixed(2)} |`);
}
const run = promisify(execFile);
const learners = args.length > 0 ? args : ['dqn', 'linucb', 'parametric-dqn'];
const outputs = await Promise.all(
  learners.map((name) =>
    run(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--learner', name]).then(
      (r) => r.stdout.trim(),
    ),
  ),
);
console.log('| policy | greedy return per session (mean ± 95% CI over 200 sessions) |');
console.log('|---|---:|');
for (const row of [...rows, ...outputs]) console.log(row);
