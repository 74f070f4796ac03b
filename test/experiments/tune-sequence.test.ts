import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { EngineError } from '../../src/core/engine-error.ts';
import { readEventLog, writeEventLog } from '../../src/data/event-log-file.ts';
import { prepareLog } from '../../src/data/prepare.ts';
import { evaluateNextItem, SequenceRecommender } from '../../src/evaluation/index.ts';
import {
  parseSequenceTuneConfig,
  runSequenceTuning,
  type SequenceTuneEvents,
} from '../../src/experiments/tune-sequence.ts';
import { renderSequenceTuneReport } from '../../src/experiments/tune-sequence-report.ts';
import { cycleEvents, cycleLog, PREPARE_SUPPORT_1 } from '../helpers/cycle-log.ts';

/** 80 sessions walking a cycle of 12 items: the next item is always learnable, given a usable step size. */
const prepared = cycleLog(80, 12, ['click']);

/** A base whose learning rate is far too small, and a space that holds good ones. */
const config = {
  name: 'cycle',
  model: 'gru4rec',
  options: { length: 4, agent: { learningRate: 0.00001, network: { embedding: 8, hidden: 8 } } },
  epochs: 4,
  space: {
    'agent.learningRate': { type: 'float', low: 0.00001, high: 0.05, log: true },
    'agent.network.dropout': { type: 'choice', values: [0, 0.25] },
  },
  search: { trials: 4, eta: 2, seed: 3 },
  validation: { seeds: 3 },
};

const codeOf = async (fn: () => unknown) => {
  try {
    await fn();
  } catch (error) {
    assert.ok(error instanceof EngineError, `an EngineError, got ${error}`);
    return `${error.code} at ${error.path}`;
  }
  return 'no error';
};

describe('tuning a sequence model on a log', () => {
  test('successive halving over epochs, ranked on validation; the test check finds the tuned options better', async () => {
    const labels: string[] = [];
    const events: SequenceTuneEvents = { onRunDone: (label) => labels.push(label) };
    const result = await runSequenceTuning(parseSequenceTuneConfig(config), prepared, {
      dataKey: 'cycle',
      events,
    });
    // 4 draws and the base for 1 epoch, the best 2 for 2, the best for 4: then 3 fresh seeds each for
    // best and base.
    assert.deepEqual(result.trials.at(-1), { ...result.trials.at(-1), index: 4, values: {}, base: true });
    assert.deepEqual(
      result.rungs.map((r) => [r.budget, r.trials, r.promoted.length]),
      [
        [1, 5, 2],
        [2, 2, 1],
        [4, 1, 0],
      ],
    );
    assert.equal(labels.length, 5 + 2 + 1 + 6);
    assert.equal(result.compute.epochs, 5 + 2 * 2 + 4 + 6 * 4);
    const best = result.trials[result.best];
    assert.equal(best.rungs.length, 3, 'the winner ran every rung');
    // Promotion follows the validation scores of the rung before.
    const first = result.trials.map((t) => t.rungs[0].score.mean);
    const promoted = result.rungs[0].promoted;
    const others = result.trials.filter((t) => !promoted.includes(t.index)).map((t) => first[t.index]);
    for (const p of promoted) assert.ok(first[p] >= Math.max(...others), `trial ${p} promoted on ${first}`);
    assert.ok((best.options.agent?.learningRate as number) > 0.0005, 'the winner learns at a usable rate');
    const final = result.final;
    assert.ok(final, 'the final check ran');
    assert.deepEqual(final.seeds, [1001, 1002, 1003]);
    assert.ok(
      final.separated && final.difference.lower > 0,
      `tuned above base: ${JSON.stringify(final.difference)}`,
    );
    assert.ok(final.bestScore.mean > 0.5, `the tuned GRU learns the cycle: ${final.bestScore.mean}`);
    assert.deepEqual(
      final.references.map((r) => r.model),
      ['popularity', 'session-knn'],
    );
    // The test metrics are kept per group and metric.
    assert.equal(final.best[0].metrics.click['ndcg@10'], final.best[0].score);
    // The check is on the test sessions: the base retrained by hand with the first fresh seed scores the same there.
    const again = new SequenceRecommender({
      ...config.options,
      encoder: 'gru',
      mode: 'supervised',
      epochs: 4,
      seed: 1001,
    });
    again.fit(prepared);
    const on = (part: 'validation' | 'test') =>
      evaluateNextItem(again, prepared, { part }).groups.click.metrics['ndcg@10'].value;
    assert.notEqual(on('test'), on('validation'), 'the two parts tell apart');
    assert.equal(final.base[0].score, on('test'));
    again.dispose();
    const html = renderSequenceTuneReport(result);
    assert.match(html, /The tuned options are better/);
    assert.match(html, /<svg/);
  });

  test('every rung trains whole epochs, at least one, also when epochs / eta² is below one', async () => {
    const result = await runSequenceTuning(
      parseSequenceTuneConfig({
        ...config,
        epochs: 3,
        search: { trials: 9, eta: 3 },
        validation: { seeds: 0 },
      }),
      prepared,
      { dataKey: 'cycle' },
    );
    assert.deepEqual(
      result.rungs.map((r) => [r.budget, r.trials]),
      [
        [1, 10],
        [3, 3],
      ],
    );
    // 8 / 9 rounds to one epoch: three rungs, as for any budget.
    const eight = await runSequenceTuning(
      parseSequenceTuneConfig({
        ...config,
        epochs: 8,
        search: { trials: 9, eta: 3 },
        validation: { seeds: 0 },
      }),
      prepared,
      { dataKey: 'cycle' },
    );
    assert.deepEqual(
      eight.rungs.map((r) => r.budget),
      [1, 3, 8],
    );
  });

  test('when nothing drawn beats the base options on validation, the search returns them and checks them once', async () => {
    const labels: string[] = [];
    const totals: number[] = [];
    const result = await runSequenceTuning(
      parseSequenceTuneConfig({
        ...config,
        options: { length: 4, agent: { learningRate: 0.02, network: { embedding: 8, hidden: 8 } } },
        space: { 'agent.learningRate': { type: 'float', low: 0.000001, high: 0.00001, log: true } },
      }),
      prepared,
      {
        dataKey: 'cycle',
        events: {
          onRunDone: (label) => labels.push(label),
          onPlan: (total) => totals.push(total),
          onTotal: (total) => totals.push(total),
        },
      },
    );
    assert.equal(result.trials[result.best].base, true);
    assert.deepEqual(totals, [5 + 2 + 1 + 6, labels.length], 'the plan shrinks to the runs made');
    assert.equal(labels.filter((l) => l.startsWith('base options')).length, 3);
    assert.equal(labels.filter((l) => l.startsWith('best')).length, 0, 'the winner is not trained twice');
    assert.deepEqual(result.final?.best, result.final?.base);
    assert.equal(result.final?.difference.difference, 0);
    assert.match(renderSequenceTuneReport(result), /The base options won the search/);
  });

  test('the run log makes a rerun reuse every run, with the same result', async () => {
    const runs = join(mkdtempSync(join(tmpdir(), 'nextbest-tune-seq-')), 'runs.jsonl');
    const checked = parseSequenceTuneConfig({ ...config, validation: { seeds: 2 } });
    const a = await runSequenceTuning(checked, prepared, { dataKey: 'cycle', runs });
    const b = await runSequenceTuning(checked, prepared, { dataKey: 'cycle', runs });
    assert.equal(a.compute.reused, 0);
    assert.equal(b.compute.reused, b.compute.runs);
    assert.equal(b.compute.epochs, 0, 'nothing retrained');
    assert.equal(b.best, a.best);
    assert.deepEqual(b.final?.bestScore, a.final?.bestScore);
    // Another log (or preparation) is another key: nothing reused.
    const c = await runSequenceTuning(checked, prepared, { dataKey: 'other', runs });
    assert.equal(c.compute.reused, 0);
  });

  test('on worker threads reading the log file, the search comes out the same as in this thread', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'nextbest-tune-seq-')), 'cycle.nbev');
    writeEventLog(path, cycleEvents(80, 12, ['click']).build());
    const fromFile = prepareLog(readEventLog(path), PREPARE_SUPPORT_1);
    const checked = parseSequenceTuneConfig({ ...config, validation: { seeds: 2 } });
    const epochs: string[] = [];
    const events: SequenceTuneEvents = { onEpoch: (label, epoch) => epochs.push(`${label}/${epoch}`) };
    const here = await runSequenceTuning(checked, fromFile, { dataKey: 'cycle' });
    const pooled = await runSequenceTuning(checked, fromFile, {
      dataKey: 'cycle',
      workers: 2,
      source: { path, prepare: PREPARE_SUPPORT_1 },
      events,
    });
    const scores = (r: typeof here) => r.trials.map((t) => t.rungs.map((g) => g.runs.map((x) => x.metrics)));
    assert.deepEqual(scores(pooled), scores(here));
    assert.equal(pooled.best, here.best);
    assert.deepEqual(pooled.final?.bestScore, here.final?.bestScore);
    assert.deepEqual(pooled.final?.baseScore, here.final?.baseScore);
    assert.ok(epochs.includes('base options · seed 1002/4'), 'workers report epochs');
  });

  test('a drawn combination that is no valid model is set aside with its error; the others run', async () => {
    const result = await runSequenceTuning(
      parseSequenceTuneConfig({
        ...config,
        options: { length: 4, agent: { learningRate: 0.01, network: { embedding: 8, hidden: 8 } } },
        space: { 'agent.network.attentionHeads': { type: 'choice', values: [2, 3] } },
        model: 'sasrec',
        epochs: 1,
        search: { strategy: 'random', trials: 4, seed: 1 },
        validation: { seeds: 0 },
      }),
      prepared,
      { dataKey: 'cycle' },
    );
    const failed = result.trials.filter((t) => t.error);
    assert.ok(failed.length > 0 && failed.length < 4, `some of 4 draws fail: ${failed.length}`);
    for (const t of failed) {
      assert.equal(t.values['agent.network.attentionHeads'], 3);
      assert.equal(t.error?.code, 'E_CONFIG_INVALID');
      assert.equal(t.rungs.length, 0);
    }
    assert.equal(result.final, undefined);
    assert.ok(
      result.leaderboard.slice(-failed.length).every((i) => result.trials[i].error),
      'failed last',
    );
  });

  test('bad configs are coded errors naming the field', async () => {
    assert.equal(
      await codeOf(() => parseSequenceTuneConfig({ ...config, model: 'bert4rec' })),
      'E_CONFIG_INVALID at model',
    );
    assert.equal(
      await codeOf(() =>
        parseSequenceTuneConfig({ ...config, space: { epochs: { type: 'int', low: 1, high: 9 } } }),
      ),
      'E_CONFIG_INVALID at space.epochs',
    );
    assert.equal(
      await codeOf(() => parseSequenceTuneConfig({ ...config, options: { lenght: 4 } })),
      'E_CONFIG_INVALID at options',
    );
    assert.equal(
      await codeOf(() => parseSequenceTuneConfig({ ...config, objective: { group: 'basket' } })),
      'E_CONFIG_INVALID at objective.group',
    );
    assert.equal(
      await codeOf(() => parseSequenceTuneConfig({ ...config, objective: { group: 'toString' } })),
      'E_CONFIG_INVALID at objective.group',
      'a name an object inherits is no group',
    );
    assert.equal(
      await codeOf(() => parseSequenceTuneConfig({ ...config, search: { minEpochs: 5 } })),
      'E_CONFIG_INVALID at search.minEpochs',
    );
    assert.equal(
      await codeOf(() => parseSequenceTuneConfig({ ...config, validation: { seeds: 1 } })),
      'E_CONFIG_INVALID at validation.seeds',
    );
    // Checked against the log before any training: a base that is no valid model, and a group with no targets.
    const checkedAgainst = (over: Record<string, unknown>) =>
      codeOf(() =>
        runSequenceTuning(parseSequenceTuneConfig({ ...config, ...over }), prepared, { dataKey: 'x' }),
      );
    assert.equal(
      await checkedAgainst({ options: { agent: { network: { embedding: 8, hidden: 8, dropout: 0.95 } } } }),
      'E_CONFIG_INVALID at options.agent.network.dropout',
    );
    assert.equal(
      await checkedAgainst({ objective: { group: 'purchase' } }),
      'E_CONFIG_INVALID at objective.group',
    );
  });
});
