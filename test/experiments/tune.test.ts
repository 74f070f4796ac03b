import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { EngineError } from '../../src/core/engine-error.ts';
import { runTuning, type TuneResult } from '../../src/experiments/tune.ts';
import { parseTuneConfig } from '../../src/experiments/tune-config.ts';
import { renderTuneReport } from '../../src/experiments/tune-report.ts';

/**
 * The chain MDP with a myopic base config: with γ = 0.3 tabular Q-learning prefers the immediate "back"
 * reward; the search space holds far-sighted discounts, so a working search must find one.
 */
const chainConfig = (search: Record<string, unknown> = {}) => ({
  name: 'chain',
  environment: { id: 'chain', options: { length: 5, slip: 0.1 } },
  agent: {
    algorithm: 'tabular-q',
    gamma: 0.3,
    learningRate: 0.1,
    // Off-policy from a uniformly random behaviour: only γ and the step size matter.
    epsilon: { start: 1, end: 1, decaySteps: 1 },
  },
  steps: 3000,
  space: {
    gamma: { type: 'choice', values: [0.3, 0.5, 0.9, 0.99] },
    learningRate: { type: 'float', low: 0.01, high: 1, log: true },
  },
  search: { trials: 9, eta: 3, seed: 4, ...search },
  objective: { seeds: 2, evaluationEpisodes: 5 },
  validation: { seeds: 3, evaluationEpisodes: 5 },
  curvePoints: 5,
});

/** What must not depend on workers or resumption: the ranking and every score. */
const outcome = (r: TuneResult) => ({
  leaderboard: r.leaderboard,
  rungs: r.rungs,
  scores: r.trials.map((t) => t.rungs.map((g) => g.runs.map((x) => x.meanReturn))),
  validation: r.validation?.best.map((x) => x.meanReturn),
  compute: { ...r.compute, reused: 0 },
});

describe('hyper-parameter search on a simulator', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nextbest-tune-'));

  test('successive halving finds a far-sighted config that beats the myopic base on fresh seeds', async () => {
    const result = await runTuning(parseTuneConfig(chainConfig()), { workers: 0 });
    assert.deepEqual(
      result.rungs.map((r) => [r.budget, r.trials]),
      [
        [333, 9],
        [1000, 3],
        [3000, 1],
      ],
    );
    const best = result.trials[result.best];
    assert.equal(best.rungs.length, 3, 'the winner reached the full budget');
    assert.ok((best.values.gamma as number) >= 0.9, `winner γ = ${best.values.gamma}`);
    const v = result.validation;
    assert.ok(v);
    assert.deepEqual(v.seeds, [1001, 1002, 1003]);
    assert.ok(
      v.separated && v.difference.lower > 0,
      `tuned ${v.bestReturn.mean} vs base ${v.baseReturn.mean}`,
    );
    // 9×333 + 3×1000 + 1×3000 steps per seed, against 9×3000 for random search.
    assert.equal(result.compute.trainSteps, 2 * (9 * 333 + 3 * 1000 + 3000));
    assert.equal(result.compute.runs, 2 * 13);
    assert.ok(result.compute.evaluationSteps > 0);
    const html = renderTuneReport(result);
    assert.match(html, /Leaderboard/);
    assert.match(html, /<circle class="point"/, 'parameter-effect plots have points');
    assert.match(html, /The tuned configuration is better/);
  });

  test('results do not depend on worker threads; a resumed search redoes only what it lost', async () => {
    const runs = join(dir, 'runs.jsonl');
    const checked = parseTuneConfig(chainConfig());
    const inThread = await runTuning(checked, { workers: 0 });
    const pooled = await runTuning(checked, { workers: 2, runs });
    assert.deepEqual(outcome(pooled), outcome(inThread));
    assert.equal(pooled.compute.reused, 0);
    const again = await runTuning(checked, { workers: 0, runs });
    assert.deepEqual(outcome(again), outcome(inThread));
    assert.equal(again.compute.reused, again.compute.runs, 'every search run came from the log');
    // A crash after 6 runs, in the middle of writing the 7th.
    const lines = readFileSync(runs, 'utf8').split('\n');
    writeFileSync(runs, `${lines.slice(0, 7).join('\n')}\n${lines[7].slice(0, 40)}`);
    const resumed = await runTuning(checked, { workers: 0, runs });
    assert.deepEqual(outcome(resumed), outcome(inThread));
    assert.equal(resumed.compute.reused, 6);
  });

  test('random search trains every trial fully; it draws the same configurations', async () => {
    const sh = await runTuning(parseTuneConfig({ ...chainConfig(), validation: { seeds: 0 } }), {
      workers: 0,
    });
    const random = await runTuning(
      parseTuneConfig({ ...chainConfig({ strategy: 'random' }), validation: { seeds: 0 } }),
      { workers: 0 },
    );
    assert.deepEqual(
      random.trials.map((t) => t.values),
      sh.trials.map((t) => t.values),
    );
    assert.equal(random.compute.trainSteps, 2 * 9 * 3000);
    assert.equal(random.validation, undefined);
    assert.ok(random.trials.every((t) => t.rungs.length === 1 && t.rungs[0].budget === 3000));
  });

  test('a drawn combination that is not a valid agent is reported and skipped, not fatal', async () => {
    const config = chainConfig();
    config.space.learningRate = { type: 'float', low: 0.5, high: 2, log: true };
    const result = await runTuning(parseTuneConfig({ ...config, validation: { seeds: 0 } }), { workers: 0 });
    const failed = result.trials.filter((t) => t.error);
    assert.ok(failed.length > 0 && failed.length < 9, `${failed.length} invalid`);
    for (const t of failed) {
      assert.equal(t.error?.code, 'E_CONFIG_INVALID');
      assert.equal(t.rungs.length, 0);
      assert.ok((t.values.learningRate as number) > 1);
    }
    assert.ok(!result.trials[result.best].error);
    assert.deepEqual(result.leaderboard.slice(-failed.length).sort(), failed.map((t) => t.index).sort());
    const none = chainConfig();
    none.space.learningRate = { type: 'float', low: 2, high: 3, log: true };
    await assert.rejects(runTuning(parseTuneConfig(none), { workers: 0 }), (e: unknown) => {
      assert.ok(e instanceof EngineError && e.code === 'E_CONFIG_INVALID' && e.path === 'space');
      return true;
    });
  });

  test('bad tuning configs get coded errors naming the field', () => {
    const bad = (patch: Record<string, unknown>, path: string) =>
      assert.throws(
        () => parseTuneConfig({ ...chainConfig(), ...patch }),
        (e: unknown) => e instanceof EngineError && e.code === 'E_CONFIG_INVALID' && e.path === path,
      );
    bad({ environment: { id: 'moon' } }, 'environment.id');
    bad({ objective: { seeds: 1, rankBy: 'lower' } }, 'objective.seeds');
    bad({ validation: { seeds: 1 } }, 'validation.seeds');
    bad({ search: { scaleWithBudget: ['learningRate'] } }, 'search.scaleWithBudget.0');
    bad({ search: { scaleWithBudget: ['epsilon.nothing'] } }, 'search.scaleWithBudget.0');
    bad({ search: { strategy: 'grid' } }, 'search.strategy');
    bad({ steps: 0 }, 'steps');
    bad({ space: { gamma: { type: 'float', low: 2, high: 1 } } }, 'space.gamma');
  });
});
