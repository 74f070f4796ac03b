import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { welchDifference } from '../../src/evaluation/statistics.ts';
import { parseExperimentConfig } from '../../src/experiments/config.ts';
import { DEFAULT_EXPERIMENT } from '../../src/experiments/default-experiment.ts';
import { renderReport } from '../../src/experiments/report-html.ts';
import { checkBuildable, expandJobs, runExperiment } from '../../src/experiments/runner.ts';

const tiny = {
  name: 'tiny',
  seeds: 2,
  evaluationEpisodes: 15,
  curvePoints: 4,
  environments: [
    {
      id: 'ecommerce',
      options: { items: 40, users: 40, candidates: 8, seed: 2 },
      entries: [
        {
          name: 'dqn',
          agent: {
            algorithm: 'dqn',
            parametric: true,
            network: { hidden: [8] },
            learningStarts: 64,
            batchSize: 16,
          },
          steps: 600,
        },
        { name: 'linucb', agent: { algorithm: 'linucb' }, steps: 300 },
        { name: 'random', baseline: 'random' },
        { name: 'most-popular', baseline: 'most-popular' },
        { name: 'oracle', baseline: 'far-sighted-oracle' },
      ],
    },
    {
      id: 'crm',
      entries: [
        { name: 'playbook', baseline: 'playbook' },
        { name: 'most-popular', baseline: 'most-popular' },
      ],
    },
  ],
};

const code = (c: string) => (e: unknown) => (e as { code: string }).code === c;

describe('experiment config', () => {
  test('the embedded default equals configs/default-experiment.json and is buildable', () => {
    const file = JSON.parse(
      readFileSync(new URL('../../configs/default-experiment.json', import.meta.url), 'utf8'),
    );
    assert.deepEqual(file, DEFAULT_EXPERIMENT);
    const config = parseExperimentConfig(DEFAULT_EXPERIMENT);
    assert.ok(config.seeds >= 5, 'at least 5 seeds');
    checkBuildable(config);
  });

  test('bad configs fail with a code and the field path', () => {
    assert.throws(
      () => parseExperimentConfig({ ...tiny, seeds: 1 }),
      (e: unknown) => code('E_CONFIG_INVALID')(e) && /seeds/.test((e as Error).message),
    );
    assert.throws(
      () =>
        parseExperimentConfig({
          ...tiny,
          environments: [{ id: 'nope', entries: [{ name: 'r', baseline: 'random' }] }],
        }),
      (e: unknown) => code('E_CONFIG_INVALID')(e) && (e as { path: string }).path === 'environments.0.id',
    );
    assert.throws(
      () =>
        parseExperimentConfig({
          ...tiny,
          environments: [{ id: 'crm', entries: [{ name: 'x', baseline: 'far-sighted-oracle' }] }],
        }),
      (e: unknown) => (e as { path: string }).path === 'environments.0.entries.0.baseline',
    );
    assert.throws(
      () =>
        parseExperimentConfig({
          ...tiny,
          environments: [
            {
              id: 'crm',
              entries: [
                { name: 'x', baseline: 'random' },
                { name: 'x', baseline: 'playbook' },
              ],
            },
          ],
        }),
      (e: unknown) => (e as { path: string }).path === 'environments.0.entries.1.name',
    );
    const badAgent = parseExperimentConfig({
      ...tiny,
      environments: [
        { id: 'crm', entries: [{ name: 'q', agent: { algorithm: 'dqn', learningRate: -1 }, steps: 10 }] },
      ],
    });
    assert.throws(
      () => checkBuildable(badAgent),
      (e: unknown) =>
        code('E_CONFIG_INVALID')(e) &&
        /^environments\.0\.entries\.0\.agent/.test((e as { path: string }).path),
    );
  });

  test('jobs: every entry × seed, longest training first', () => {
    const jobs = expandJobs(parseExperimentConfig(tiny));
    assert.equal(jobs.length, (5 + 2) * 2);
    assert.equal(jobs[0].entry.name, 'dqn');
    assert.deepEqual(
      jobs.filter((j) => j.entry.name === 'random').map((j) => j.seed),
      [1, 2],
    );
  });
});

describe('experiment runner', () => {
  test('worker threads and the main thread give identical results; the summary and report follow', async () => {
    const config = parseExperimentConfig(tiny);
    const inThread = await runExperiment(config, { workers: 0 });
    const pooled = await runExperiment(config, { workers: 2 });
    assert.equal(pooled.workers, 2);
    const strip = (r: typeof inThread) => r.runs.map(({ seconds: _s, ...rest }) => rest);
    assert.deepEqual(strip(pooled), strip(inThread), 'seeded jobs do not depend on the worker count');

    const ecommerce = pooled.summary[0];
    assert.equal(ecommerce.bestBaseline === 'random' || ecommerce.bestBaseline === 'most-popular', true);
    const dqn = ecommerce.entries.find((e) => e.name === 'dqn')!;
    assert.equal(dqn.seeds, 2);
    assert.equal(dqn.curve.length, 4);
    assert.ok(dqn.curve.every((p) => Number.isFinite(p.cumulative.mean)));
    assert.ok(Number.isFinite(dqn.curve.at(-1)!.loss.mean), 'TD loss recorded');
    for (const key of ['ctr', 'purchases', 'conversion', 'revenue']) assert.ok(key in dqn.metrics);
    const oracle = ecommerce.entries.find((e) => e.name === 'oracle')!;
    assert.equal(oracle.oracle, true);
    assert.equal(oracle.versusBestBaseline, undefined, 'oracles are not compared as candidates');
    // The difference against the best baseline is the Welch interval over the per-seed returns.
    const best = ecommerce.entries.find((e) => e.name === ecommerce.bestBaseline)!;
    const runsOf = (name: string) =>
      pooled.runs
        .filter((r) => r.environment === 'ecommerce' && r.name === name)
        .map((r) => r.evaluation.meanReturn);
    const expected = welchDifference(runsOf('dqn'), runsOf(best.name));
    assert.ok(Math.abs(dqn.versusBestBaseline!.difference - expected.difference) < 1e-12);
    assert.ok(Math.abs(dqn.versusBestBaseline!.lower - expected.lower) < 1e-9);

    // Deterministic baselines still vary over seeds: each seed is evaluated on its own episodes.
    const playbook = pooled.runs.filter((r) => r.environment === 'crm' && r.name === 'playbook');
    assert.notEqual(playbook[0].evaluation.meanReturn, playbook[1].evaluation.meanReturn);

    const html = renderReport(pooled);
    assert.match(html, /^<!doctype html>/);
    assert.doesNotMatch(
      html,
      /<script|https?:\/\/(?!www\.w3\.org)/,
      'self-contained: no scripts, nothing fetched',
    );
    assert.ok((html.match(/<svg /g) ?? []).length >= 8, 'charts for both environments');
    assert.match(html, /class="band"/, 'CI bands on the learning curves');
    assert.match(html, /TD loss/);
    assert.match(html, /vs best baseline/);
  });

  test('a failing job rejects with its environment, entry and seed, and the pool shuts down', async () => {
    const config = parseExperimentConfig({
      ...tiny,
      environments: [
        {
          id: 'ecommerce',
          options: { items: 40, users: 40, candidates: 8 },
          // Buildable, but it fails at the first decision: a linear bandit told the wrong feature size.
          entries: [{ name: 'broken', agent: { algorithm: 'linucb', actionFeatureSize: 3 }, steps: 50 }],
        },
      ],
    });
    await assert.rejects(runExperiment(config, { workers: 2 }), (e: unknown) => {
      assert.match((e as Error).message, /ecommerce \/ broken \/ seed [12]: /);
      return true;
    });
  });
});
