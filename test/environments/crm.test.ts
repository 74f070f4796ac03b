import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Rng } from '../../src/core/rng.ts';
import type { Policy } from '../../src/core/types.ts';
import { CrmEnvironment, crmPlaybookPolicy } from '../../src/environments/crm.ts';
import { environmentContract } from '../contracts/environment-contract.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('Environment contract', () => {
  environmentContract('crm', () => new CrmEnvironment(), 90);
});

function run(env: CrmEnvironment, policy: Policy, leads: number) {
  let value = 0;
  let won = 0;
  let lost = 0;
  const byChannel = { cellular: [0, 0], telephone: [0, 0] };
  for (let e = 0; e < leads; e++) {
    const { observation } = env.reset({ seed: 10 + e });
    const channel = observation[16] === 1 ? byChannel.cellular : byChannel.telephone;
    channel[0]++;
    for (;;) {
      const r = env.step(policy.act(observation).action);
      value += r.reward;
      if (r.info.won) {
        won++;
        channel[1]++;
      }
      if (r.info.lost) lost++;
      if (r.terminated || r.truncated) break;
    }
  }
  return {
    value: value / leads,
    won: won / leads,
    lost: lost / leads,
    cellular: byChannel.cellular[1] / byChannel.cellular[0],
    telephone: byChannel.telephone[1] / byChannel.telephone[0],
  };
}

describe('crm simulator', () => {
  test('under the playbook, conversion and the channel effect land near the bank data', () => {
    const env = new CrmEnvironment();
    const r = run(env, crmPlaybookPolicy(env), 3_000);
    // UCI Bank Marketing: 11.3% conversion; cellular 14.7% vs telephone 5.2%.
    assert.ok(r.won > 0.08 && r.won < 0.2, `conversion ${r.won}`);
    assert.ok(r.cellular > 2 * r.telephone, `cellular ${r.cellular} vs telephone ${r.telephone}`);
  });

  test('over-contacting loses leads; the playbook earns more than random or daily calls', () => {
    const env = new CrmEnvironment();
    const rng = new Rng(2);
    const playbook = run(env, crmPlaybookPolicy(env), 1_000);
    const daily = run(env, { act: () => ({ action: 2, propensity: 1 }) }, 1_000);
    const random = run(env, { act: () => ({ action: rng.int(4), propensity: 0.25 }) }, 1_000);
    assert.ok(daily.lost > 0.95, `daily calls lose ${daily.lost}`);
    assert.ok(playbook.value > 0, `the playbook makes money: ${playbook.value}`);
    assert.ok(
      playbook.value > random.value + 2 && playbook.value > daily.value + 2,
      `${playbook.value} vs ${random.value}, ${daily.value}`,
    );
  });

  test('the embedded calibration is what scripts/calibrate-crm.ts derives from the data', {
    skip: !existsSync(join(root, '..', 'shared', 'data', 'bank-marketing', 'bank-additional-full.csv')),
  }, () => {
    const committed = readFileSync(join(root, 'src', 'environments', 'crm-calibration.json'), 'utf8');
    execFileSync(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'calibrate-crm.ts')], {
      stdio: 'ignore',
    });
    assert.equal(readFileSync(join(root, 'src', 'environments', 'crm-calibration.json'), 'utf8'), committed);
  });
});
