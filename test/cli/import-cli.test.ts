import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readEventLog } from '../../src/data/index.ts';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'nextbest.js');
const run = (args: string[], cwd: string) =>
  spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd });

describe('nextbest import', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nextbest-import-cli-'));
  const lines = ['timestamp,visitorid,event,itemid,transactionid'];
  for (let i = 0; i < 600; i++) {
    const user = i % 40;
    const event = i % 50 === 49 ? 'transaction' : i % 10 === 9 ? 'addtocart' : 'view';
    lines.push(`${1_438_000_000_000 + user * 86_400_000 + i * 20_000},${user},${event},${i % 23},`);
  }
  lines.push('1438000000000,7,refund,3,'); // line 602
  lines.push('1438000000000,7,view'); // line 603
  const prepareFile = join(dir, 'prepare.json');
  writeFileSync(prepareFile, JSON.stringify({ minItemSupport: 2, split: { validation: 0.1, test: 0.2 } }));
  const file = join(dir, 'events.csv');
  writeFileSync(file, `${lines.join('\n')}\n`);

  test('imports with a preset, writes the rejects with line numbers, previews cleaning and split', () => {
    const result = run(['import', '--preset', 'retailrocket', file, '--out', 'shop.nbev', '--json'], dir);
    assert.equal(result.status, 0, result.stderr);
    const out = JSON.parse(result.stdout);
    assert.equal(out.report.imported, 600);
    assert.deepEqual(out.report.rejectedByCode, { E_EVENT_TYPE_UNKNOWN: 1, E_COLUMN_COUNT: 1 });
    const rejects = readFileSync(join(dir, 'shop.rejects.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      rejects.map((r) => r.line),
      [602, 603],
    );
    assert.equal(readEventLog(join(dir, 'shop.nbev')).length, 600);
    const split = out.prepare.split;
    assert.ok(split.train.sessions > 0 && split.test.sessions > 0, JSON.stringify(split));
    assert.deepEqual(out.prepare.steps.map((s: { step: string }) => s.step).slice(0, 3), [
      'deduplicate',
      'bot filter',
      'sessionise',
    ]);
  });

  test('evaluate --data ranks held-out next items with the baselines', () => {
    const result = run(['evaluate', '--data', 'shop.nbev', '--prepare', prepareFile, '--json'], dir);
    assert.equal(result.status, 0, result.stderr);
    const out = JSON.parse(result.stdout);
    assert.deepEqual(
      out.results.map((r: { model: string }) => r.model),
      ['popularity', 'session-knn'],
    );
    const hr = out.results[1].groups.click.metrics['hr@10'];
    assert.ok(out.results[1].groups.click.targets > 0 && hr.lower <= hr.value && hr.value <= hr.upper);
    const bad = run(['evaluate', '--data', 'shop.nbev', '--models', 'gru'], dir);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /E_USAGE at --models: unknown model 'gru'/);
  });

  test('evaluate --data --seeds trains a model once per seed and reports the mean over seeds against kNN', () => {
    const args = [
      'evaluate',
      '--data',
      'shop.nbev',
      '--prepare',
      prepareFile,
      '--models',
      'session-knn,gru4rec',
    ];
    const small = ['--epochs', '1', '--agent-config', join(dir, 'small.json')];
    writeFileSync(join(dir, 'small.json'), JSON.stringify({ network: { embedding: 8, hidden: 8 } }));
    const result = run([...args, ...small, '--seed', '4', '--seeds', '2', '--json'], dir);
    assert.equal(result.status, 0, result.stderr);
    const out = JSON.parse(result.stdout);
    assert.deepEqual(
      out.seedRuns.map((r: { model: string }) => r.model),
      ['gru4rec'],
    );
    const { seeds, runs, versusSessionKnn } = out.seedRuns[0];
    assert.deepEqual(seeds, [4, 5], 'seeds count up from --seed');
    const hr = runs.map(
      (r: { groups: { click: { metrics: Record<string, { value: number }> } } }) =>
        r.groups.click.metrics['hr@10'].value,
    );
    const row = out.results[1].groups.click.metrics['hr@10'];
    assert.ok(Math.abs(row.value - (hr[0] + hr[1]) / 2) < 1e-12, `the row is the mean of the seeds ${hr}`);
    assert.ok(row.lower <= row.value && row.value <= row.upper, 'the row carries the interval over seeds');
    const knn = out.results[0].groups.click.metrics['hr@10'].value;
    assert.ok(Math.abs(versusSessionKnn.click.difference - (row.value - knn)) < 1e-12, 'difference from kNN');
    // In this thread the runs come out the same as on the default worker threads.
    const here = JSON.parse(
      run([...args, ...small, '--seed', '4', '--seeds', '2', '--workers', '0', '--json'], dir).stdout,
    );
    assert.deepEqual(here.seedRuns, out.seedRuns, 'the same runs with --workers 0');
    // The same seed alone reproduces its run; the table names the seeds and the verdict.
    const alone = JSON.parse(run([...args, ...small, '--seed', '5', '--json'], dir).stdout);
    assert.equal(
      alone.results[1].groups.click.metrics['hr@10'].value,
      hr[1],
      'seed 5 alone = seed 5 of the two',
    );
    const table = run([...args, ...small, '--seeds', '2'], dir);
    assert.equal(table.status, 0, table.stderr);
    assert.match(table.stdout, /mean ± 95% CI over 2 seeds \(0\.\.1\)/);
    assert.match(
      table.stdout,
      /gru4rec − session-knn, HR@10: [+−]\d\.\d{3} \[.*\] \((above|below|not separated)\)/,
    );
    const bad = run([...args, '--seeds', '0'], dir);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /E_USAGE at --seeds: --seeds must be an integer ≥ 1/);
  });

  test('a mapping that does not fit names the file and suggests the delimiter; exit code 2', () => {
    const tsv = join(dir, 'clicks.tsv');
    writeFileSync(tsv, 'SessionId\tItemId\tTime\n1\t2\t1396437466.94\n');
    const result = run(['import', '--preset', 'retailrocket', tsv, '--out', 'x.nbev'], dir);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /E_COLUMN_NOT_FOUND at .*clicks\.tsv:1: .*tab/);
    assert.ok(!existsSync(join(dir, 'x.nbev')), 'no output file after a failed import');
  });

  test('usage errors are coded', () => {
    const result = run(['import', file], dir);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /E_USAGE: import: give exactly one of --preset/);
    const threads = run(['import', '--preset', 'retailrocket', file, '--threads', '3'], dir);
    assert.equal(threads.status, 2);
    assert.match(threads.stderr, /E_USAGE at --threads: --threads must be 1 or 2, got 3/);
  });
});

test('a preview that cannot be made does not fail the landed import', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nextbest-import-cli-'));
  const file = join(dir, 'sparse.csv');
  writeFileSync(
    file,
    'timestamp,visitorid,event,itemid,transactionid\n1438000000000,1,view,1,\n1439000000000,2,view,2,\n',
  );
  const result = run(['import', '--preset', 'retailrocket', file], dir);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /cleaning preview: E_LOG_EMPTY/);
  assert.equal(readEventLog(join(dir, 'events.nbev')).length, 2);
});

test('train --data saves a model that evaluate --data --load scores, and rejects what it cannot use', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nextbest-train-cli-'));
  const file = join(dir, 'events.csv');
  const lines = ['timestamp,visitorid,event,itemid,transactionid'];
  // 300 visitors walk a chain of 15 items; every fifth session ends with a purchase.
  for (let user = 0; user < 300; user++) {
    const first = user % 15;
    for (let k = 0; k < 4; k++) {
      const event = k === 3 && user % 5 === 0 ? 'transaction' : 'view';
      lines.push(
        `${1_438_000_000_000 + user * 3_600_000 + k * 60_000},${user},${event},${(first + k) % 15},`,
      );
    }
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
  assert.equal(run(['import', '--preset', 'retailrocket', file, '--quiet', '--no-preview'], dir).status, 0);
  const trained = run(
    [
      'train',
      '--data',
      'events.nbev',
      '--model',
      'sqn-gru4rec',
      '--epochs',
      '3',
      '--out',
      'model.json',
      '--json',
    ],
    dir,
  );
  assert.equal(trained.status, 0, trained.stderr);
  const summary = JSON.parse(trained.stdout);
  assert.equal(summary.history.length, 3);
  assert.ok(summary.validation.groups.click.targets > 0);
  const evaluated = run(
    ['evaluate', '--data', 'events.nbev', '--load', 'model.json', '--models', 'popularity', '--json'],
    dir,
  );
  assert.equal(evaluated.status, 0, evaluated.stderr);
  const results = JSON.parse(evaluated.stdout).results;
  assert.deepEqual(
    results.map((r: { model: string }) => r.model),
    ['sqn-gru4rec (model.json)', 'popularity'],
  );
  // The chain is learnable: the trained model beats popularity on clicks.
  assert.ok(
    results[0].groups.click.metrics['hr@5'].value > results[1].groups.click.metrics['hr@5'].value + 0.2,
  );
  const unknown = run(['train', '--data', 'events.nbev', '--model', 'transformer-xl'], dir);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /E_USAGE at --model: unknown sequence model 'transformer-xl'/);
  writeFileSync(join(dir, 'bad.json'), '{"format":"something-else"}');
  const bad = run(['evaluate', '--data', 'events.nbev', '--load', 'bad.json'], dir);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /E_MODEL_INVALID/);
});

test('a side file of user attributes feeds train --data --user-features --time-features', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nextbest-features-cli-'));
  const lines = ['timestamp,visitorid,event,itemid,transactionid'];
  const customers = ['visitorid,segment'];
  for (let user = 0; user < 200; user++) {
    customers.push(`${user},${user % 2 ? 'gold' : 'basic'}`);
    for (let k = 0; k < 3; k++) {
      lines.push(`${1_438_000_000_000 + user * 3_600_000 + k * 60_000},${user},view,${(user + k) % 9},`);
    }
  }
  writeFileSync(join(dir, 'events.csv'), `${lines.join('\n')}\n`);
  writeFileSync(join(dir, 'customers.csv'), `${customers.join('\n')}\n`);
  writeFileSync(
    join(dir, 'import.json'),
    JSON.stringify({
      sources: [{ preset: 'retailrocket', file: 'events.csv' }],
      attributes: [{ file: 'customers.csv', of: 'user', key: 'visitorid', attributes: ['segment'] }],
    }),
  );
  const imported = run(['import', '--config', 'import.json', '--no-preview'], dir);
  assert.equal(imported.status, 0, imported.stderr);
  assert.match(
    imported.stdout,
    /attributes of users from customers\.csv: 200 rows, 200 users of the events described/,
  );
  const trained = run(
    [
      'train',
      '--data',
      'events.nbev',
      '--model',
      'gru4rec',
      '--epochs',
      '1',
      '--user-features',
      'segment',
      '--time-features',
      '--out',
      'm.json',
      '--json',
    ],
    dir,
  );
  assert.equal(trained.status, 0, trained.stderr);
  const model = JSON.parse(readFileSync(join(dir, 'm.json'), 'utf8'));
  assert.deepEqual(model.contextEncoder.columns, [
    { name: 'segment', kind: 'categorical', values: ['basic', 'gold'] },
  ]);
  assert.equal(model.contextEncoder.time, true);
  assert.equal(model.agent.config.network.contextFeatures, 3 + 4);
  const evaluated = run(['evaluate', '--data', 'events.nbev', '--load', 'm.json', '--json'], dir);
  assert.equal(evaluated.status, 0, evaluated.stderr);
  const unknown = run(['train', '--data', 'events.nbev', '--user-features', 'income', '--epochs', '1'], dir);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /E_ATTRIBUTE_UNKNOWN.*'income'/);
  const preset = run(['import', '--preset', 'retailrocket', 'events.csv', '--attributes', 'nope=x.csv'], dir);
  assert.equal(preset.status, 2);
  assert.match(preset.stderr, /E_PRESET_UNKNOWN.*'nope'/);
  const usage = run(['import', '--preset', 'retailrocket', 'events.csv', '--attributes', 'x.csv'], dir);
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /E_USAGE.*PRESET=FILE/);
});

test('simulate writes a log with propensities that train --data learns from with impressions in the state', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nextbest-simulate-cli-'));
  const sim = run(
    [
      'simulate',
      '--env-options',
      '{"seed":2,"items":40,"candidates":8}',
      '--episodes',
      '300',
      '--epsilon',
      '0.4',
      '--json',
    ],
    dir,
  );
  assert.equal(sim.status, 0, sim.stderr);
  const summary = JSON.parse(sim.stdout);
  const log = readEventLog(join(dir, 'simulated.nbev'));
  assert.equal(summary.events, log.length);
  assert.ok(summary.types.impression > 0 && summary.types.purchase > 0);
  for (let i = 0; i < log.length; i++) assert.ok(log.propensities[i] >= 0.4 / 8 - 1e-12);
  assert.ok(summary.behaviourReturn.lower <= summary.behaviourReturn.mean);
  const trained = run(
    [
      'train',
      '--data',
      'simulated.nbev',
      '--epochs',
      '1',
      '--history-types',
      'click,cart,purchase',
      '--impression-types',
      'impression',
      '--act-with',
      'q',
      '--rewards',
      '{"click":0.5,"cart":0.5,"purchase":1}',
      '--json',
    ],
    dir,
  );
  assert.equal(trained.status, 0, trained.stderr);
  const model = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  assert.deepEqual(model.options.impressionTypes, ['impression']);
  assert.equal(model.agent.config.network.tokenKinds, 2);
  assert.equal(model.agent.config.actWith, 'q');
  // Coded usage errors: an event type the log lacks, a bad head, a simulator without items.
  const unknown = run(['train', '--data', 'simulated.nbev', '--history-types', 'view'], dir);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /E_EVENT_TYPES_UNKNOWN/);
  const head = run(['train', '--data', 'simulated.nbev', '--act-with', 'value'], dir);
  assert.equal(head.status, 2);
  assert.match(head.stderr, /E_USAGE/);
  const chain = run(['simulate', '--env', 'chain', '--behaviour', 'random', '--episodes', '2'], dir);
  assert.equal(chain.status, 2);
  assert.match(chain.stderr, /E_LOG_ENVIRONMENT/);
});
