import { EngineError } from '../../core/engine-error.ts';
import { readEventLog } from '../../data/event-log-file.ts';
import { prepareLog, SPLIT_PARTS, type SplitPart, splitSummary } from '../../data/prepare.ts';
import { PopularityModel, SessionKnnModel } from '../../evaluation/next-item/baselines.ts';
import { evaluateNextItem, type Interval } from '../../evaluation/next-item/evaluate-next-item.ts';
import type { NextItemModel } from '../../evaluation/next-item/next-item-model.ts';
import { SequenceRecommender } from '../../evaluation/next-item/sequence-recommender.ts';
import { intFlag, parseFlags, readJson } from '../args.ts';
import { progressBar } from '../progress.ts';
import { formatTable } from '../table.ts';
import { readPrepareConfig } from './prepare-flag.ts';
import { SEQUENCE_MODELS, sequenceFlagSpecs, sequenceFlagsHelp, sequenceOptions } from './sequence-flags.ts';

export const evaluateDataHelp = `nextbest evaluate --data events.nbev [--prepare prepare.json] [--models popularity,session-knn]
                  [--part test|validation] [--purchase-types purchase] [--seed 0] [--json]

Rank the whole catalogue for every next interaction of the held-out sessions of an imported log
(the SQN protocol): HR@5/10/20 and NDCG@5/10/20 for click and purchase targets, with 95% intervals
that resample sessions. --purchase-types counts other event types as purchases (SQN treats
RetailRocket add-to-carts as purchases: --purchase-types purchase,cart).
Models: popularity and session-knn (the default), and the trainable ${Object.keys(SEQUENCE_MODELS).join(', ')},
trained here on the training sessions; --load model.json (repeatable) evaluates models saved by
'nextbest train --data'.
${sequenceFlagsHelp}`;

const BASELINES: Record<string, () => NextItemModel> = {
  popularity: () => new PopularityModel(),
  'session-knn': () => new SessionKnnModel(),
};
const MODEL_NAMES = [...Object.keys(BASELINES), ...Object.keys(SEQUENCE_MODELS)];

export function runEvaluateData(argv: string[]): number {
  const f = parseFlags('evaluate', argv, {
    data: { type: 'string' },
    prepare: { type: 'string' },
    models: { type: 'string' },
    part: { type: 'string' },
    'purchase-types': { type: 'string' },
    seed: { type: 'string' },
    load: { type: 'string', multiple: true },
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
  // Models from files first: a bad file fails before any training starts.
  const loaded = (f.load ?? []).map((path) => {
    const model = SequenceRecommender.fromJSON(
      readJson(path, 'model file'),
      prepared.log.itemIds,
      prepared.log.typeNames,
    );
    return { label: `${model.name} (${path})`, model };
  });
  const bar = progressBar('evaluating', names.length + loaded.length, f.json);
  const results = [];
  for (const { label, model } of loaded) {
    results.push({ ...evaluateNextItem(model, prepared, { part, groups, seed }), model: label });
    model.dispose();
    bar.update(results.length, { status: label });
  }
  for (const name of names) {
    const sequence = SEQUENCE_MODELS[name] ? new SequenceRecommender(sequenceOptions(name, f, seed)) : null;
    const model = sequence ?? BASELINES[name]();
    bar.update(results.length, { status: `fitting ${name}` });
    model.fit(prepared);
    results.push(evaluateNextItem(model, prepared, { part, groups, seed }));
    sequence?.dispose();
    bar.update(results.length, { status: name });
  }
  bar.stop();
  if (f.json) {
    console.log(JSON.stringify({ data: f.data, split: splitSummary(prepared), results }, null, 2));
    return 0;
  }
  const cell = (i: Interval) =>
    Number.isNaN(i.value) ? '–' : `${i.value.toFixed(3)} [${i.lower.toFixed(3)}, ${i.upper.toFixed(3)}]`;
  for (const group of Object.keys(groups)) {
    const targets = results[0].groups[group].targets;
    console.log(
      `\n${group} targets: ${targets.toLocaleString('en-US')} in ${results[0].sessions} ${part} sessions`,
    );
    if (targets === 0) continue;
    console.log(
      formatTable(
        ['model', 'HR@5', 'HR@10', 'HR@20', 'NDCG@10'],
        results.map((r) => [
          r.model,
          ...['hr@5', 'hr@10', 'hr@20', 'ndcg@10'].map((m) => cell(r.groups[group].metrics[m])),
        ]),
      ),
    );
  }
  return 0;
}
