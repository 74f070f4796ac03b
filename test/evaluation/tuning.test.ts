import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { EngineError } from '../../src/core/engine-error.ts';
import { etaSquared, parameterEffects, spearman } from '../../src/evaluation/tuning/importance.ts';
import { RunLog, runKey } from '../../src/evaluation/tuning/run-log.ts';
import { applyParameters, checkSearchSpace, sampleTrial } from '../../src/evaluation/tuning/space.ts';
import { plannedTrainSteps, planRungs, promote } from '../../src/evaluation/tuning/strategies.ts';

const rejects = (fn: () => unknown, code: string, path?: string) =>
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof EngineError, String(error));
    assert.equal(error.code, code);
    if (path !== undefined) assert.equal(error.path, path);
    return true;
  });

describe('search spaces', () => {
  const base = { algorithm: 'dqn', epsilon: { decaySteps: 10_000 } };
  const space = {
    learningRate: { type: 'float', low: 1e-4, high: 1e-2, log: true },
    'network.hidden': { type: 'choice', values: [[32], [64, 64]] },
    targetUpdateInterval: { type: 'int', low: 10, high: 1000, log: true },
    prioritizedReplay: { type: 'choice', values: [false, true] },
    priorityAlpha: { type: 'float', low: 0.3, high: 0.8, when: { prioritizedReplay: [true] } },
    nStep: { type: 'int', low: 1, high: 3, when: { algorithm: ['dqn'] } },
  };

  test('trials are seeded by (seed, index), stay in range and respect conditions', () => {
    const checked = checkSearchSpace(space, base);
    assert.deepEqual(sampleTrial(checked, base, 7, 3), sampleTrial(checked, base, 7, 3));
    assert.notDeepEqual(sampleTrial(checked, base, 7, 3), sampleTrial(checked, base, 7, 4));
    assert.notDeepEqual(sampleTrial(checked, base, 7, 3), sampleTrial(checked, base, 8, 3));
    let withAlpha = 0;
    const ints = new Set<number>();
    let belowGeometricMean = 0;
    const n = 2000;
    for (let i = 0; i < n; i++) {
      const v = sampleTrial(checked, base, 1, i);
      const lr = v.learningRate as number;
      assert.ok(lr >= 1e-4 && lr <= 1e-2);
      if (lr < 1e-3) belowGeometricMean++;
      const t = v.targetUpdateInterval as number;
      assert.ok(Number.isInteger(t) && t >= 10 && t <= 1000);
      ints.add(t);
      assert.equal('priorityAlpha' in v, v.prioritizedReplay === true, `trial ${i}`);
      if ('priorityAlpha' in v) withAlpha++;
      assert.ok([1, 2, 3].includes(v.nStep as number));
      const config = applyParameters(base, v);
      assert.deepEqual(config.network, { hidden: v['network.hidden'] });
      assert.deepEqual(
        config.epsilon,
        { decaySteps: 10_000 },
        'the base config is kept beside the drawn paths',
      );
    }
    // Log-uniform: half the mass below the geometric mean of the range; both ends reachable.
    assert.ok(Math.abs(belowGeometricMean / n - 0.5) < 0.05, `${belowGeometricMean / n}`);
    assert.ok(ints.has(10) && ints.has(1000) && ints.size > 300, `${ints.size} distinct integers`);
    assert.ok(Math.abs(withAlpha / n - 0.5) < 0.05);
    assert.deepEqual(
      base,
      { algorithm: 'dqn', epsilon: { decaySteps: 10_000 } },
      'the base config is not mutated',
    );
  });

  test('an inactive parameter does not shift the draws of the others', () => {
    const a = checkSearchSpace(space, base);
    const b = checkSearchSpace(space, { ...base, algorithm: 'reinforce' });
    for (let i = 0; i < 20; i++) {
      const va = sampleTrial(a, base, 3, i);
      const vb = sampleTrial(b, { ...base, algorithm: 'reinforce' }, 3, i);
      assert.equal('nStep' in vb, false);
      assert.equal(va.learningRate, vb.learningRate);
      assert.deepEqual(va['network.hidden'], vb['network.hidden']);
    }
  });

  test('bad spaces get coded errors that name the field', () => {
    rejects(() => checkSearchSpace({}, base), 'E_CONFIG_INVALID');
    rejects(
      () => checkSearchSpace({ gamma: { type: 'float', low: 1, high: 0.9 } }, base),
      'E_CONFIG_INVALID',
      'space.gamma',
    );
    rejects(
      () => checkSearchSpace({ gamma: { type: 'float', low: 0, high: 1, log: true } }, base),
      'E_CONFIG_INVALID',
      'space.gamma',
    );
    rejects(() => checkSearchSpace({ gamma: { type: 'beta' } }, base), 'E_CONFIG_INVALID');
    rejects(() => checkSearchSpace({ 'a..b': { type: 'choice', values: [1] } }, base), 'E_CONFIG_INVALID');
    rejects(
      () => checkSearchSpace({ nStep: { type: 'int', low: 1, high: 3, when: { dueling: [true] } } }, base),
      'E_CONFIG_INVALID',
      'space.nStep.when.dueling',
    );
    rejects(
      () =>
        checkSearchSpace(
          {
            a: { type: 'choice', values: [1, 2], when: { b: [1] } },
            b: { type: 'choice', values: [1, 2], when: { a: [1] } },
          },
          base,
        ),
      'E_CONFIG_INVALID',
    );
    rejects(
      () =>
        checkSearchSpace(
          { a: { type: 'int', low: 1, high: 3 }, b: { type: 'int', low: 1, high: 3, when: { a: ['x'] } } },
          base,
        ),
      'E_CONFIG_INVALID',
      'space.b.when.a',
    );
  });
});

describe('search strategies', () => {
  test('successive halving: geometric budgets up to the full one, 1/eta of the trials kept', () => {
    const rungs = planRungs({ strategy: 'successive-halving', trials: 27, maxBudget: 20_000, eta: 3 });
    assert.deepEqual(rungs, [
      { budget: 2222, trials: 27 },
      { budget: 6667, trials: 9 },
      { budget: 20_000, trials: 3 },
    ]);
    const random = planRungs({ strategy: 'random', trials: 27, maxBudget: 20_000 });
    assert.deepEqual(random, [{ budget: 20_000, trials: 27 }]);
    assert.ok(Math.abs(plannedTrainSteps(rungs) / plannedTrainSteps(random) - 1 / 3) < 0.001);
    // No more rungs than halvings of the trials, nor than the budget allows.
    assert.equal(
      planRungs({ strategy: 'successive-halving', trials: 4, maxBudget: 10_000, eta: 2, minBudget: 100 })
        .length,
      3,
    );
    assert.equal(
      planRungs({ strategy: 'successive-halving', trials: 100, maxBudget: 1000, eta: 2, minBudget: 400 })
        .length,
      2,
    );
    rejects(
      () => planRungs({ strategy: 'successive-halving', trials: 9, maxBudget: 100, minBudget: 200 }),
      'E_CONFIG_INVALID',
      'search.minSteps',
    );
    rejects(() => planRungs({ strategy: 'random', trials: 0, maxBudget: 100 }), 'E_CONFIG_INVALID');
  });

  test('promotion keeps the best scores; ties and failures go to the lower index and the back', () => {
    const scores = [
      { trial: 0, score: 1 },
      { trial: 1, score: Number.NaN },
      { trial: 2, score: 5 },
      { trial: 3, score: 1 },
      { trial: 4, score: Number.NEGATIVE_INFINITY },
    ];
    assert.deepEqual(promote(scores, 3), [2, 0, 3]);
    assert.deepEqual(promote(scores, 5), [2, 0, 3, 1, 4]);
  });
});

describe('the run log', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nextbest-runlog-'));

  test('keys are canonical: key order and undefined fields do not matter', () => {
    assert.equal(runKey({ a: 1, b: { c: [1, 2], d: undefined } }), runKey({ b: { c: [1, 2] }, a: 1 }));
    assert.notEqual(runKey({ a: 1 }), runKey({ a: 2 }));
  });

  test('runs survive reopening; a line cut short by a crash is dropped, nothing else', () => {
    const path = join(dir, 'runs.jsonl');
    const log = new RunLog<{ value: number }>(path);
    log.append('k1', { value: 1 });
    log.append('k2', { value: 2 });
    log.close();
    const intact = readFileSync(path, 'utf8');
    writeFileSync(path, `${intact}{"kind":"run","key":"k3","run":{"val`);
    const reopened = new RunLog<{ value: number }>(path);
    assert.equal(reopened.found, 2);
    assert.deepEqual(reopened.get('k2'), { value: 2 });
    assert.equal(reopened.get('k3'), undefined);
    assert.equal(readFileSync(path, 'utf8'), intact, 'the torn line is cut off, the rest kept byte for byte');
    reopened.append('k3', { value: 3 });
    reopened.close();
    assert.equal(new RunLog(path).found, 3);
  });

  test('a file that is not a run log, or was damaged inside, is refused and left alone', () => {
    const other = join(dir, 'other.jsonl');
    writeFileSync(other, '{"hello":1}\n');
    rejects(() => new RunLog(other), 'E_TUNING_LOG_CORRUPT');
    assert.equal(readFileSync(other, 'utf8'), '{"hello":1}\n');
    const damaged = join(dir, 'damaged.jsonl');
    const log = new RunLog<number>(damaged);
    log.append('a', 1);
    log.close();
    writeFileSync(damaged, `${readFileSync(damaged, 'utf8')}not json\n{"kind":"run","key":"b","run":2}\n`);
    rejects(() => new RunLog(damaged), 'E_TUNING_LOG_CORRUPT', `${damaged}:3`);
  });

  test('without a file the log lives in memory', () => {
    const log = new RunLog<number>(null);
    log.append('a', 1);
    assert.equal(log.get('a'), 1);
    assert.equal(log.found, 0);
  });
});

describe('parameter effects', () => {
  test("Spearman's ρ is rank-based, handles ties, and is NaN when undefined", () => {
    assert.equal(spearman([1, 2, 3, 4], [10, 20, 30, 1000]), 1);
    assert.equal(spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1);
    assert.ok(Math.abs(spearman([1, 2, 2, 3], [1, 2, 3, 4]) - 0.9487) < 1e-3);
    assert.ok(Number.isNaN(spearman([1, 1, 1], [1, 2, 3])));
    assert.ok(Number.isNaN(spearman([1, 2], [1, 2])));
  });

  test('η² is the share of variance between groups', () => {
    assert.equal(etaSquared(['a', 'a', 'b', 'b'], [1, 1, 3, 3]), 1);
    assert.equal(etaSquared(['a', 'b', 'a', 'b'], [1, 1, 3, 3]), 0);
    assert.ok(Math.abs(etaSquared(['a', 'a', 'b', 'b'], [0, 2, 2, 4]) - 0.5) < 1e-12);
  });

  test('effects rank the parameter that drives the score first, over active trials only', () => {
    const trials = Array.from({ length: 40 }, (_, i) => {
      const gamma = [0.5, 0.9, 0.99][i % 3];
      const lr = 0.001 * (1 + ((i * 7) % 11));
      const values: Record<string, unknown> = { gamma, learningRate: lr };
      if (i % 2 === 0) values.alpha = i;
      return { values, score: gamma * 100 + (i % 5) };
    });
    const effects = parameterEffects(
      { learningRate: { type: 'float' }, gamma: { type: 'choice' }, alpha: { type: 'float' } },
      trials,
    );
    assert.equal(effects[0].parameter, 'gamma');
    assert.equal(effects[0].kind, 'eta-squared');
    assert.ok(effects[0].value > 0.95);
    assert.deepEqual(
      effects[0].groups?.map((g) => g.value),
      ['0.99', '0.9', '0.5'],
    );
    assert.equal(effects.find((e) => e.parameter === 'alpha')?.n, 20);
  });
});
