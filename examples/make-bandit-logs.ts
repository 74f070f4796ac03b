/**
 * Writes a uniform-random bandit log (examples/out/rounds.jsonl, 3,000 rounds, 3 actions) and a LinUCB
 * policy fitted on its first half (examples/out/linucb.json), for `nextbest ope` (README quick tour).
 * Usage: npx tsx examples/make-bandit-logs.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { box, createAgent, discrete, type LinearBanditAgent, Rng, type Transition } from '../src/index.ts';

const out = join(dirname(fileURLToPath(import.meta.url)), 'out');
mkdirSync(out, { recursive: true });
// Click probability by action and the sign of the first context value.
const clickProbability = (x: number, a: number) => [0.2, x > 0 ? 0.6 : 0.1, x > 0 ? 0.1 : 0.5][a];
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
writeFileSync(join(out, 'rounds.jsonl'), `${lines.join('\n')}\n`);
const agent = createAgent({
  algorithm: 'linucb',
  observationSpace: box([2]),
  actionSpace: discrete(3),
  seed: 1,
}) as LinearBanditAgent;
agent.fitFromLogs(rounds.slice(0, 1_500));
writeFileSync(join(out, 'linucb.json'), JSON.stringify(agent.toJSON()));
let truth = 0;
for (const r of rounds)
  truth += clickProbability(r.observation[0], agent.act(r.observation, { explore: false }).action);
console.log(
  `wrote ${join(out, 'rounds.jsonl')} and ${join(out, 'linucb.json')}; the policy's true value on these contexts: ${(truth / rounds.length).toFixed(4)}`,
);
