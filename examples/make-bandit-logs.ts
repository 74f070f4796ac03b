/**
 * Writes a uniform-random bandit log (rounds.jsonl, 3,000 rounds, 3 actions) and a LinUCB policy fitted
 * on its first half (linucb.json) into a folder, for `nextbest ope` (README quick tour; the CLI test uses
 * the same generator). Usage: npx tsx examples/make-bandit-logs.ts [folder, default examples/out]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { box, createAgent, discrete, type LinearBanditAgent, Rng, type Transition } from '../src/index.ts';

/** Click probability by action and the sign of the first context value. */
export const clickProbability = (x: number, a: number) => [0.2, x > 0 ? 0.6 : 0.1, x > 0 ? 0.1 : 0.5][a];

export function writeBanditLogs(folder: string): {
  logs: string;
  policy: string;
  rounds: Transition[];
  agent: LinearBanditAgent;
  truth: number;
} {
  mkdirSync(folder, { recursive: true });
  const rng = new Rng(1);
  const lines: string[] = [];
  const rounds: Transition[] = [];
  for (let i = 0; i < 3_000; i++) {
    const x = rng.normal();
    const action = rng.int(3);
    const reward = rng.bernoulli(clickProbability(x, action)) ? 1 : 0;
    lines.push(JSON.stringify({ context: [x, 1], action, reward, propensity: 1 / 3 }));
    rounds.push({
      observation: Float32Array.of(x, 1),
      action,
      reward,
      nextObservation: Float32Array.of(x, 1),
      terminated: true,
      truncated: false,
      propensity: 1 / 3,
    });
  }
  const logs = join(folder, 'rounds.jsonl');
  writeFileSync(logs, `${lines.join('\n')}\n`);
  const agent = createAgent({
    algorithm: 'linucb',
    observationSpace: box([2]),
    actionSpace: discrete(3),
    seed: 1,
  }) as LinearBanditAgent;
  agent.fitFromLogs(rounds.slice(0, 1_500));
  const policy = join(folder, 'linucb.json');
  writeFileSync(policy, JSON.stringify(agent.toJSON()));
  let truth = 0;
  for (const r of rounds)
    truth += clickProbability(r.observation[0], agent.act(r.observation, { explore: false }).action);
  return { logs, policy, rounds, agent, truth: truth / rounds.length };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const folder = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), 'out');
  const { logs, policy, truth } = writeBanditLogs(folder);
  console.log(`wrote ${logs} and ${policy}; the policy's true value on these contexts: ${truth.toFixed(4)}`);
}
