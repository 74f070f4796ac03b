import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { textSummary } from '../../src/cli/commands/tune.ts';
import { EngineError } from '../../src/core/engine-error.ts';
import { runTuning, scoreOf, trueReturnOf } from '../../src/experiments/tune.ts';
import { parseTuneConfig, rankByOf } from '../../src/experiments/tune-config.ts';
import { renderTuneReport } from '../../src/experiments/tune-report.ts';

/**
 * Chain (3 states, 4 steps per episode, slips): "forward" pays 10 per step at the end, "back" 2 now.
 * The base config is myopic (γ = 0.1: it learns to take "back"); the space holds far-sighted discounts.
 * Every configuration learns only from a uniformly random log and is ranked by an off-policy estimate.
 */
const offlineConfig = (patch: Record<string, unknown> = {}) => ({
  name: 'chain offline',
  environment: { id: 'chain', options: { length: 3, maxSteps: 4, slip: 0.1 } },
  agent: { algorithm: 'tabular-q', gamma: 0.1, learningRate: 0.1 },
  steps: 6000,
  space: {
    gamma: { type: 'choice', values: [0.1, 0.3, 0.9, 0.99] },
    learningRate: { type: 'float', low: 0.02, high: 0.5, log: true },
  },
  search: { strategy: 'random', trials: 6, seed: 2 },
  objective: {
    kind: 'offline',
    log: { behaviour: 'random', episodes: 2000, heldOut: 0.3, resamples: 100 },
    seeds: 2,
    evaluationEpisodes: 50,
  },
  validation: { seeds: 3, evaluationEpisodes: 50 },
  curvePoints: 4,
  ...patch,
});

describe('hyper-parameter search offline, on logs', () => {
  test('ranks by the lower bound of held-out estimates and picks a far-sighted config; the truth agrees', async () => {
    const checked = parseTuneConfig(offlineConfig());
    assert.equal(rankByOf(checked.config), 'lower');
    const result = await runTuning(checked, { workers: 0 });
    const runs = result.trials.flatMap((t) => t.rungs.flatMap((r) => r.runs));
    assert.equal(runs.length, 12);
    for (const run of runs) {
      const o = run.offline;
      assert.ok(o, 'every run carries its offline estimate');
      assert.ok(o.lower <= run.meanReturn && run.meanReturn <= o.upper);
      assert.ok(Number.isFinite(o.trueReturn) && o.effectiveEpisodes > 0);
      // Compute counts the transitions trained on and the held-out steps scored, not simulator play.
      assert.equal(run.trainSteps, 6000);
      assert.equal(run.evaluationSteps, 600 * 4);
      assert.equal(run.curve.length, 4);
    }
    // The leaderboard is ordered by the mean over seeds of each run's lower bound.
    const scores = result.leaderboard.map((t) => scoreOf(result.config, result.trials[t].rungs[0]));
    assert.deepEqual(
      scores,
      [...scores].sort((a, b) => b - a),
    );
    const meanLower = (t: number) =>
      result.trials[t].rungs[0].runs.reduce((s, r) => s + (r.offline?.lower ?? 0), 0) / 2;
    assert.equal(scores[0], meanLower(result.best));
    const best = result.trials[result.best];
    assert.ok((best.agent.gamma as number) >= 0.9, `picked γ ${best.agent.gamma}`);
    // The simulator agrees: on fresh seeds (and fresh logs) the pick's true return beats the myopic base.
    const v = result.validation;
    assert.ok(v?.estimates, 'validation reports the estimates beside the truth');
    assert.ok(v.separated && v.difference.difference > 5, JSON.stringify(v.difference));
    assert.deepEqual(v.bestReturn.mean, v.best.reduce((s, r) => s + trueReturnOf(r), 0) / v.best.length);
    const html = renderTuneReport(result);
    assert.match(html, /true return in the simulator/);
    assert.match(html, /off-policy estimates on those seeds/);
    assert.match(
      textSummary(result),
      /ranked by the mean over seeds of each run's 95% lower bound of the wpdis/,
    );
  });

  test('ranking by the mean estimate instead', async () => {
    const config = offlineConfig({
      search: { strategy: 'random', trials: 2, seed: 2 },
      validation: { seeds: 0 },
    });
    (config.objective as Record<string, unknown>).rankBy = 'mean';
    const result = await runTuning(parseTuneConfig(config), { workers: 0 });
    const rung = result.trials[result.best].rungs[0];
    assert.equal(scoreOf(result.config, rung), rung.score.mean);
  });

  test('bad offline configs get coded errors naming the field', () => {
    const bad = (objective: Record<string, unknown>, path: string) =>
      assert.throws(
        () => parseTuneConfig(offlineConfig({ objective })),
        (e: unknown) => e instanceof EngineError && e.code === 'E_CONFIG_INVALID' && e.path === path,
      );
    bad({ kind: 'offline' }, 'objective.log');
    bad({ kind: 'offline', log: { behaviour: 'psychic' } }, 'objective.log.behaviour');
    bad({ kind: 'offline', log: { heldOut: 1 } }, 'objective.log.heldOut');
    bad({ kind: 'offline', log: { estimator: 'magic' } }, 'objective.log.estimator');
    bad({ kind: 'simulator', log: {} }, 'objective.kind');
    assert.throws(
      () =>
        parseTuneConfig({
          ...offlineConfig(),
          environment: { id: 'ecommerce', options: {} },
          agent: { algorithm: 'dqn', parametric: true },
          objective: { kind: 'offline', log: { behaviour: 'far-sighted-oracle' } },
        }),
      (e: unknown) =>
        e instanceof EngineError && e.path === 'objective.log.behaviour' && /hidden truth/.test(e.message),
    );
  });
});
