import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseTuneConfig } from '../../src/experiments/tune-config.ts';
import { parseSequenceTuneConfig } from '../../src/experiments/tune-sequence.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'bin', 'nextbest.js');
const run = (args: string[], cwd: string) =>
  spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd });

describe('nextbest tune', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nextbest-tune-cli-'));
  const config = join(dir, 'tune.json');
  writeFileSync(
    config,
    JSON.stringify({
      name: 'chain γ',
      environment: { id: 'chain', options: { length: 5, slip: 0.1 } },
      agent: { algorithm: 'tabular-q', gamma: 0.3, epsilon: { start: 1, end: 1, decaySteps: 1 } },
      steps: 3000,
      space: {
        gamma: { type: 'choice', values: [0.3, 0.5, 0.9, 0.99] },
        learningRate: { type: 'float', low: 0.01, high: 1, log: true },
      },
      search: { trials: 9, seed: 4 },
      objective: { seeds: 2, evaluationEpisodes: 5 },
      validation: { seeds: 3, evaluationEpisodes: 5 },
    }),
  );

  test('runs a search, prints a leaderboard and the fresh-seed check, writes a report; a rerun reuses the run log', () => {
    const first = run(['tune', '--config', config, '--out', 'out', '--workers', '0'], dir);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /Leaderboard/);
    assert.match(first.stdout, /On 3 fresh seeds: tuned .* tuned is better ▲/);
    assert.match(first.stdout, /Search cost: 26 runs, 17,994 training/);
    assert.ok(existsSync(join(dir, 'out', 'index.html')));
    assert.ok(existsSync(join(dir, 'out', 'runs.jsonl')));
    const again = run(['tune', '--config', config, '--out', 'out', '--workers', '0', '--json'], dir);
    assert.equal(again.status, 0, again.stderr);
    const result = JSON.parse(again.stdout);
    assert.equal(result.compute.reused, 26);
    assert.ok(result.validation.separated);
    assert.ok(result.best.values.gamma >= 0.9);
    assert.equal(result.leaderboard.length, 9);
    const random = run(
      ['tune', '--config', config, '--out', 'out', '--strategy', 'random', '--trials', '3', '--json'],
      dir,
    );
    assert.equal(random.status, 0, random.stderr);
    assert.deepEqual(
      JSON.parse(random.stdout).rungs.map((r: { budget: number }) => r.budget),
      [3000],
    );
  });

  test('bad usage and bad configs exit 2 with a coded message', () => {
    const none = run(['tune'], dir);
    assert.equal(none.status, 2);
    assert.match(none.stderr, /E_USAGE.*--config/);
    const bad = join(dir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({
        ...JSON.parse(readFileSync(config, 'utf8')),
        space: { gamma: { type: 'float', low: 1, high: 0 } },
      }),
    );
    const badSpace = run(['tune', '--config', bad], dir);
    assert.equal(badSpace.status, 2);
    assert.match(badSpace.stderr, /E_CONFIG_INVALID at space\.gamma/);
    const strategy = run(['tune', '--config', config, '--strategy', 'grid'], dir);
    assert.equal(strategy.status, 2);
    assert.match(strategy.stderr, /E_CONFIG_INVALID at search\.strategy/);
    writeFileSync(join(dir, 'foreign.jsonl'), 'hello\n');
    const foreign = run(['tune', '--config', config, '--runs', 'foreign.jsonl'], dir);
    assert.equal(foreign.status, 2);
    assert.match(foreign.stderr, /E_TUNING_LOG_CORRUPT/);
    assert.equal(
      readFileSync(join(dir, 'foreign.jsonl'), 'utf8'),
      'hello\n',
      'a file that is not ours is left alone',
    );
  });

  test('the shipped tuning configs parse', () => {
    for (const name of ['tune-cartpole.json', 'tune-ecommerce.json', 'tune-ecommerce-offline.json']) {
      parseTuneConfig(JSON.parse(readFileSync(join(root, 'configs', name), 'utf8')));
    }
    parseSequenceTuneConfig(JSON.parse(readFileSync(join(root, 'configs', 'tune-sasrec.json'), 'utf8')));
  });
});

describe('nextbest tune --data', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nextbest-tune-data-cli-'));
  // 300 visitors walk a chain of 15 items, four clicks each.
  const lines = ['timestamp,visitorid,event,itemid,transactionid'];
  for (let user = 0; user < 300; user++) {
    for (let k = 0; k < 4; k++) {
      lines.push(`${1_438_000_000_000 + user * 3_600_000 + k * 60_000},${user},view,${(user + k) % 15},`);
    }
  }
  writeFileSync(join(dir, 'events.csv'), `${lines.join('\n')}\n`);
  const config = join(dir, 'tune.json');
  writeFileSync(
    config,
    JSON.stringify({
      name: 'chain GRU',
      model: 'gru4rec',
      options: { length: 4, agent: { learningRate: 0.00001, network: { embedding: 8, hidden: 8 } } },
      epochs: 3,
      space: { 'agent.learningRate': { type: 'float', low: 0.00001, high: 0.05, log: true } },
      search: { trials: 3, seed: 2 },
      objective: { metric: 'hr@5' },
      validation: { seeds: 3 },
    }),
  );

  test('searches on validation, checks on test beside the baselines, writes a report; a rerun reuses the run log', () => {
    assert.equal(
      run(['import', '--preset', 'retailrocket', 'events.csv', '--quiet', '--no-preview'], dir).status,
      0,
    );
    const first = run(['tune', '--data', 'events.nbev', '--config', config, '--out', 'out'], dir);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /Leaderboard \(validation click HR@5, 1 seed\(s\); kept: the epoch/);
    assert.match(
      first.stdout,
      /Test sessions, 3 fresh seeds \(1001\.\.1003\), click HR@5: tuned .* tuned is better ▲/,
    );
    assert.match(first.stdout, /session-knn: [01]\.\d{4} \[/);
    assert.match(first.stderr, /rungs 4×1 epochs → 1×3 epochs/);
    const html = readFileSync(join(dir, 'out', 'index.html'), 'utf8');
    assert.match(html, /The tuned options are better/);
    const again = run(['tune', '--data', 'events.nbev', '--config', config, '--out', 'out', '--json'], dir);
    assert.equal(again.status, 0, again.stderr);
    const result = JSON.parse(again.stdout);
    assert.equal(result.compute.reused, result.compute.runs);
    assert.equal(result.compute.runs, 4 + 1 + 6);
    assert.ok(result.final.separated && result.final.difference.lower > 0);
    assert.ok(result.best.options.agent.learningRate > 0.0005);
    assert.match(
      first.stdout,
      /Train the winner: nextbest train --data events\.nbev --options out\/best-options\.json/,
    );
    // The winner's settings file trains exactly the model the check scored: its first fresh seed
    // gives the same test HR@5.
    const trained = run(
      [
        'train',
        '--data',
        'events.nbev',
        '--options',
        result.bestOptions,
        '--seed',
        '1001',
        '--out',
        'best.json',
        '--json',
      ],
      dir,
    );
    assert.equal(trained.status, 0, trained.stderr);
    const summary = JSON.parse(trained.stdout);
    assert.equal(summary.model, 'gru4rec');
    assert.equal(summary.history.length, 3, 'the epochs come from the file');
    const scored = run(['evaluate', '--data', 'events.nbev', '--load', 'best.json', '--json'], dir);
    assert.equal(scored.status, 0, scored.stderr);
    const saved = JSON.parse(readFileSync(join(dir, 'out', 'results.json'), 'utf8'));
    assert.equal(
      JSON.parse(scored.stdout).results[0].groups.click.metrics['hr@5'].value,
      saved.final.best[0].metrics.click['hr@5'],
    );
  });

  test('bad usage and configs exit 2 with a coded message', () => {
    const prepareOnly = run(['tune', '--config', config, '--prepare', 'p.json'], dir);
    assert.equal(prepareOnly.status, 2);
    assert.match(prepareOnly.stderr, /E_USAGE at --prepare/);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...JSON.parse(readFileSync(config, 'utf8')), model: 'bert4rec' }));
    const model = run(['tune', '--data', 'events.nbev', '--config', bad], dir);
    assert.equal(model.status, 2);
    assert.match(model.stderr, /E_CONFIG_INVALID at model/);
    writeFileSync(join(dir, 'typo.json'), JSON.stringify({ model: 'gru4rec', options: { lenght: 4 } }));
    const typo = run(['train', '--data', 'events.nbev', '--options', 'typo.json'], dir);
    assert.equal(typo.status, 2);
    assert.match(typo.stderr, /E_CONFIG_INVALID at options/);
    const missing = run(['tune', '--data', 'nowhere.nbev', '--config', config], dir);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /E_FILE_NOT_FOUND/);
  });
});
