import { EngineError } from '../../core/engine-error.ts';
import { readEventLog } from '../../data/event-log-file.ts';
import { prepareLog, SPLIT_PARTS, type SplitPart, splitSummary } from '../../data/prepare.ts';
import { PopularityModel, SessionKnnModel } from '../../evaluation/next-item/baselines.ts';
import { evaluateNextItem, type Interval } from '../../evaluation/next-item/evaluate-next-item.ts';
import type { NextItemModel } from '../../evaluation/next-item/next-item-model.ts';
import { intFlag, parseFlags } from '../args.ts';
import { progressBar } from '../progress.ts';
import { formatTable } from '../table.ts';
import { readPrepareConfig } from './prepare-flag.ts';

export const evaluateDataHelp = `nextbest evaluate --data events.nbev [--prepare prepare.json] [--models popularity,session-knn]
                  [--part test|validation] [--purchase-types purchase] [--seed 0] [--json]

Rank the whole catalogue for every next interaction of the held-out sessions of an imported log
(the SQN protocol): HR@5/10/20 and NDCG@5/10/20 for click and purchase targets, with 95% intervals
that resample sessions. --purchase-types counts other event types as purchases (SQN treats
RetailRocket add-to-carts as purchases: --purchase-types purchase,cart).`;

const MODELS: Record<string, () => NextItemModel> = {
  popularity: () => new PopularityModel(),
  'session-knn': () => new SessionKnnModel(),
};

export function runEvaluateData(argv: string[]): number {
  const f = parseFlags('evaluate', argv, {
    data: { type: 'string' },
    prepare: { type: 'string' },
    models: { type: 'string' },
    part: { type: 'string' },
    'purchase-types': { type: 'string' },
    seed: { type: 'string' },
    json: { type: 'boolean', default: false },
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
  const names = (f.models ?? Object.keys(MODELS).join(',')).split(',');
  for (const name of names) {
    if (!MODELS[name]) {
      throw new EngineError('E_USAGE', `unknown model '${name}'`, {
        path: '--models',
        hint: `models: ${Object.keys(MODELS).join(', ')}`,
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
  const bar = progressBar('evaluating', names.length, f.json);
  const results = names.map((name, k) => {
    const model = MODELS[name]();
    model.fit(prepared);
    const result = evaluateNextItem(model, prepared, { part, groups, seed });
    bar.update(k + 1, { status: name });
    return result;
  });
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
