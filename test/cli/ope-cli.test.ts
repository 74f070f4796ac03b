import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { LinearBanditAgent } from '../../src/agents/bandits/linear-bandit.ts';
import { createAgent } from '../../src/agents/create-agent.ts';
import { Rng } from '../../src/core/rng.ts';
import { box, discrete } from '../../src/core/spaces.ts';
import type { Transition } from '../../src/core/types.ts';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'nextbest.js');
const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

describe('nextbest ope', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nextbest-ope-cli-'));
  // Three actions, click probability depends on the action and the sign of x0; uniform logging.
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
  const logs = join(dir, 'rounds.jsonl');
  writeFileSync(logs, `${lines.join('\n')}\n`);
  const agent = createAgent({
    algorithm: 'linucb',
    observationSpace: box([2]),
    actionSpace: discrete(3),
    seed: 1,
  }) as LinearBanditAgent;
  agent.fitFromLogs(rounds.slice(0, 1_500));
  const policyFile = join(dir, 'policy.json');
  writeFileSync(policyFile, JSON.stringify(agent.toJSON()));

  test('estimates a saved policy on logged rounds; the truth lies in the intervals', () => {
    const result = run(['ope', '--logs', logs, '--policy', policyFile, '--json', '--resamples', '200']);
    assert.equal(result.status, 0, result.stderr);
    const report = JSON.parse(result.stdout);
    // True value of the greedy policy on these contexts (it should learn: x > 0 → action 1, else 2).
    let truth = 0;
    for (const r of rounds)
      truth += clickProbability(r.observation[0], agent.act(r.observation, { explore: false }).action);
    truth /= rounds.length;
    assert.ok(truth > 0.45, `the fitted policy is good: ${truth}`);
    for (const name of ['ips', 'snips', 'dr']) {
      const e = report.estimates[name];
      assert.ok(e.lower <= truth && truth <= e.upper, `${name}: [${e.lower}, ${e.upper}] vs ${truth}`);
    }
    assert.ok(report.loggedPolicyValue < truth - 0.1, 'the logging policy was worse');
    assert.ok(report.overlap.effectiveSampleSize > 500);
  });

  test('a bad row is a coded error naming the file and line, exit code 2', () => {
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, `${lines[0]}\n{"context": [1, 1], "action": 0, "reward": 1, "propensity": 1.5}\n`);
    const result = run(['ope', '--logs', bad, '--policy', policyFile]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /E_LOG_ROW_INVALID at .*bad\.jsonl:2: propensity/);
  });
});
