import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { writeBanditLogs } from '../../examples/make-bandit-logs.ts';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'nextbest.js');
const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

describe('nextbest ope', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nextbest-ope-cli-'));
  const { logs, policy: policyFile, truth } = writeBanditLogs(dir);
  const lines = readFileSync(logs, 'utf8').trim().split('\n');

  test('estimates a saved policy on logged rounds; the truth lies in the intervals', () => {
    const result = run(['ope', '--logs', logs, '--policy', policyFile, '--json', '--resamples', '200']);
    assert.equal(result.status, 0, result.stderr);
    const report = JSON.parse(result.stdout);
    // The fitted greedy policy's true value on these contexts (x > 0 → action 1, else 2 is best).
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

describe('nextbest ope with a policy that has more actions than the logs show', () => {
  test('rows are as wide as the policy action space', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nextbest-ope-wide-'));
    const { policy } = writeBanditLogs(dir);
    // Logs that only ever show actions 0 and 1 of the 3-action policy.
    const narrow = join(dir, 'narrow.jsonl');
    const rows = Array.from({ length: 200 }, (_, i) =>
      JSON.stringify({
        context: [i % 2 ? 1 : -1, 1],
        action: i % 2,
        reward: i % 3 === 0 ? 1 : 0,
        propensity: 0.5,
      }),
    );
    writeFileSync(narrow, `${rows.join('\n')}\n`);
    for (const extra of [[], ['--temperature', '0.5']]) {
      const result = run([
        'ope',
        '--logs',
        narrow,
        '--policy',
        policy,
        '--json',
        '--resamples',
        '50',
        ...extra,
      ]);
      assert.equal(result.status, 0, result.stderr);
      assert.equal(JSON.parse(result.stdout).actions, 3);
    }
  });
});
