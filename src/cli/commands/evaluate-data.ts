import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { EngineError } from '../../core/engine-error.ts';
import { readEventLog } from '../../data/event-log-file.ts';
import { prepareLog, SPLIT_PARTS, type SplitPart, splitSummary } from '../../data/prepare.ts';
import { PopularityModel, SessionKnnModel } from '../../evaluation/next-item/baselines.ts';
import {
  evaluateNextItem,
  type Interval,
  type NextItemEvaluation,
} from '../../evaluation/next-item/evaluate-next-item.ts';
import type { NextItemModel } from '../../evaluation/next-item/next-item-model.ts';
import { SequenceRecommender } from '../../evaluation/next-item/sequence-recommender.ts';
import { summarize } from '../../evaluation/statistics.ts';
import {
  runSequenceTasks,
  type SequenceModelOptions,
  type SequenceTask,
} from '../../experiments/tune-sequence.ts';
import { intFlag, parseFlags, readJson } from '../args.ts';
import { progressBar } from '../progress.ts';
import { formatTable } from '../table.ts';
import { readPrepareConfig } from './prepare-flag.ts';
import { SEQUENCE_MODELS, sequenceFlagSpecs, sequenceFlagsHelp, sequenceOptions } from './sequence-flags.ts';

export const evaluateDataHelp = `nextbest evaluate --data events.nbev [--prepare prepare.json] [--models popularity,session-knn]
                  [--part test|validation] [--purchase-types purchase] [--seed 0] [--seeds 1] [--workers 2] [--json]

Rank the whole catalogue for every next interaction of the held-out sessions of an imported log
(the SQN protocol): HR@5/10/20 and NDCG@5/10/20 for click and purchase targets, with 95% intervals
that resample sessions. --purchase-types counts other event types as purchases (SQN treats
RetailRocket add-to-carts as purchases: --purchase-types purchase,cart).
Models: popularity and session-knn (the default), and the trainable ${Object.keys(SEQUENCE_MODELS).join(', ')},
trained here on the training sessions; --load model.json (repeatable) evaluates models saved by
'nextbest train --data'. --seeds N trains each of those N times (seeds --seed, --seed + 1, ...) and
reports mean ± 95% CI over the seeds, with each one's difference from session-knn when it runs too.
Trained runs go to --workers threads (default one per core; 0 trains here); results do not depend on it.
${sequenceFlagsHelp}`;

const BASELINES: Record<string, () => NextItemModel> = {
  popularity: () => new PopularityModel(),
  'session-knn': () => new SessionKnnModel(),
};
const MODEL_NAMES = [...Object.keys(BASELINES), ...Object.keys(SEQUENCE_MODELS)];

export async function runEvaluateData(argv: string[]): Promise<number> {
  const f = parseFlags('evaluate', argv, {
    data: { type: 'string' },
    prepare: { type: 'string' },
    models: { type: 'string' },
    part: { type: 'string' },
    'purchase-types': { type: 'string' },
    seed: { type: 'string' },
    seeds: { type: 'string' },
    load: { type: 'string', multiple: true },
    workers: { type: 'string' },
    json: { type: 'boolean', default: false },
    ...sequenceFlagSpecs,
    help: { type: 'boolean', default: false },
  });
  if (f.help || !f.data) {
    console.log(evaluateDataHelp);
    return f.help ? 0 : 2;
  }
  const part = (f.part ?? 'test') as SplitPart;
  if (!SPLIT_PARTS.includes(part) || part === 'train') {
    throw new EngineError('E_USAGE', `--part must be test or validation, got '${f.part}'`, {
      path: '--part',
    });
  }
  const names =
    f.models !== undefined ? f.models.split(',').filter(Boolean) : f.load ? [] : Object.keys(BASELINES);
  for (const name of names) {
    if (!MODEL_NAMES.includes(name)) {
      throw new EngineError('E_USAGE', `unknown model '${name}'`, {
        path: '--models',
        hint: `models: ${MODEL_NAMES.join(', ')}`,
      });
    }
  }
  const prepareConfig = readPrepareConfig(f.prepare);
  const prepared = prepareLog(readEventLog(f.data), prepareConfig);
  const groups = {
    click: ['click'],
    purchase: (f['purchase-types'] ?? 'purchase').split(','),
  };
  const seed = intFlag('seed', f.seed, 0);
  const seeds = intFlag('seeds', f.seeds, 1, 1);
  // Models from files first: a bad file fails before any training starts.
  const loaded = (f.load ?? []).map((path) => {
    const model = SequenceRecommender.fromJSON(
      readJson(path, 'model file'),
      prepared.log.itemIds,
      prepared.log.typeNames,
    );
    return { label: `${model.name} (${path})`, model };
  });
  const runs = names.reduce((n, name) => n + (SEQUENCE_MODELS[name] ? seeds : 1), 0);
  const bar = progressBar('evaluating', runs + loaded.length, f.json);
  const results: NextItemEvaluation[] = [];
  /** Per trained model when --seeds > 1: one evaluation per seed, in seed order. */
  const bySeed = new Map<string, NextItemEvaluation[]>();
  let done = 0;
  for (const { label, model } of loaded) {
    results.push({ ...evaluateNextItem(model, prepared, { part, groups, seed }), model: label });
    model.dispose();
    bar.update(++done, { status: label });
  }
  // Every trained model on every seed is one task: on worker threads that read the log themselves
  // (--workers, default one per core), or here. Results come back in order, whatever the count.
  const trained = names.filter((name) => SEQUENCE_MODELS[name]);
  const tasks: SequenceTask[] = trained.flatMap((name) =>
    Array.from({ length: seeds }, (_, k) => {
      const { encoder: _e, mode: _m, seed: s, epochs, ...options } = sequenceOptions(name, f, seed + k);
      return {
        kind: 'evaluate' as const,
        job: {
          model: name,
          options: options as SequenceModelOptions,
          epochs: epochs ?? 10,
          seed: s ?? seed + k,
          part,
          groups,
        },
      };
    }),
  );
  const evaluations: NextItemEvaluation[] = new Array(tasks.length);
  await runSequenceTasks(
    tasks,
    prepared,
    {
      workers: intFlag('workers', f.workers, availableParallelism(), 0),
      source: { path: resolve(f.data), prepare: prepareConfig },
      onEpoch: (k, epoch, epochs) =>
        bar.update(done, {
          status: `${tasks[k].job.model}${seeds > 1 ? `, seed ${tasks[k].job.seed}` : ''}: epoch ${epoch}/${epochs}`,
        }),
    },
    (k, result) => {
      evaluations[k] = result as NextItemEvaluation;
      bar.update(++done, { status: tasks[k].job.model });
    },
  );
  for (const name of names) {
    if (!SEQUENCE_MODELS[name]) {
      const model = BASELINES[name]();
      bar.update(done, { status: `fitting ${name}` });
      model.fit(prepared);
      results.push(evaluateNextItem(model, prepared, { part, groups, seed }));
      bar.update(++done, { status: name });
      continue;
    }
    const at = trained.indexOf(name) * seeds;
    const runs = evaluations.slice(at, at + seeds);
    if (seeds > 1) bySeed.set(name, runs);
    results.push(seeds > 1 ? overSeeds(runs) : runs[0]);
  }
  bar.stop();
  const knn = results.find((r) => r.model === 'session-knn');
  /** The row of a model trained over seeds: its metrics are the means with their intervals. */
  const rowOf = (model: string) => results.find((r) => r.model === model) as NextItemEvaluation;
  if (f.json) {
    const seedRuns = [...bySeed].map(([model, runs]) => ({
      model,
      seeds: runs.map((_, i) => seed + i),
      runs,
      ...(knn ? { versusSessionKnn: versus(rowOf(model), knn, Object.keys(groups)) } : {}),
    }));
    console.log(
      JSON.stringify(
        { data: f.data, split: splitSummary(prepared), results, ...(seeds > 1 ? { seedRuns } : {}) },
        null,
        2,
      ),
    );
    return 0;
  }
  if (seeds > 1) {
    console.log(
      `\ntrained models: mean ± 95% CI over ${seeds} seeds (${seed}..${seed + seeds - 1}); others: 95% bootstrap over sessions`,
    );
  }
  const cell = (i: Interval, model: string) =>
    Number.isNaN(i.value)
      ? '–'
      : bySeed.has(model)
        ? `${i.value.toFixed(3)} ± ${((i.upper - i.lower) / 2).toFixed(3)}`
        : `${i.value.toFixed(3)} [${i.lower.toFixed(3)}, ${i.upper.toFixed(3)}]`;
  for (const group of Object.keys(groups)) {
    const targets = results[0].groups[group].targets;
    console.log(
      `\n${group} targets: ${targets.toLocaleString('en-US')} in ${results[0].sessions.toLocaleString('en-US')} ${part} sessions`,
    );
    if (targets === 0) continue;
    console.log(
      formatTable(
        ['model', 'HR@5', 'HR@10', 'HR@20', 'NDCG@10'],
        results.map((r) => [
          r.model,
          ...['hr@5', 'hr@10', 'hr@20', 'ndcg@10'].map((m) => cell(r.groups[group].metrics[m], r.model)),
        ]),
      ),
    );
    if (!knn) continue;
    for (const model of bySeed.keys()) {
      const d = versus(rowOf(model), knn, [group])[group];
      if (!d) continue;
      const verdict = d.lower > 0 ? 'above' : d.upper < 0 ? 'below' : 'not separated';
      console.log(
        `${model} − session-knn, HR@10: ${sign(d.difference)} [${sign(d.lower)}, ${sign(d.upper)}] (${verdict})`,
      );
    }
  }
  return 0;
}

/** One row from a model's per-seed evaluations: each metric's mean with its 95% CI over the seeds. */
function overSeeds(runs: NextItemEvaluation[]): NextItemEvaluation {
  const first = runs[0];
  const groups: NextItemEvaluation['groups'] = {};
  for (const [group, { targets, metrics }] of Object.entries(first.groups)) {
    const summary: Record<string, Interval> = {};
    for (const metric of Object.keys(metrics)) {
      const s = summarize(runs.map((r) => r.groups[group].metrics[metric].value));
      summary[metric] = { value: s.mean, lower: s.lower, upper: s.upper };
    }
    groups[group] = { targets, metrics: summary };
  }
  return { ...first, groups };
}

/**
 * HR@10 of a model's seeds (its `overSeeds` row) minus session kNN's, per target group: the seeds'
 * mean minus kNN's value, with the seeds' 95% t-interval widened by kNN's own bootstrap half-width
 * (the two are independent, so half-widths add in quadrature).
 */
function versus(
  row: NextItemEvaluation,
  knn: NextItemEvaluation,
  groups: string[],
): Record<string, { difference: number; lower: number; upper: number }> {
  const out: Record<string, { difference: number; lower: number; upper: number }> = {};
  for (const group of groups) {
    const base = knn.groups[group]?.metrics['hr@10'];
    const seeds = row.groups[group]?.metrics['hr@10'];
    if (!base || !seeds || Number.isNaN(base.value)) continue;
    const difference = seeds.value - base.value;
    const half = Math.hypot((seeds.upper - seeds.lower) / 2, (base.upper - base.lower) / 2);
    out[group] = { difference, lower: difference - half, upper: difference + half };
  }
  return out;
}

function sign(x: number): string {
  return `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(3)}`;
}
