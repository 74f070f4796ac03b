/**
 * Next-item ranking baselines on the shared real datasets (the SQN protocol: HR@k and NDCG@k for
 * click and purchase targets on the time-split test sessions, 95% intervals over sessions). These
 * are the bars the sequence encoders and the SQN head must clear.
 *
 *   node --import tsx benchmarks/next-item-baselines.ts
 *
 * The datasets are NC-licensed research samples (see ../shared/data/*\/PROVENANCE.md): read here
 * for benchmarking only, never shipped.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../src/core/config.ts';
import { importEvents } from '../src/data/import-events.ts';
import { prepareLog, splitSummary } from '../src/data/prepare.ts';
import { prepareConfigSchema } from '../src/data/prepare-config.ts';
import { parseImportConfig } from '../src/data/presets.ts';
import { PopularityModel, SessionKnnModel } from '../src/evaluation/next-item/baselines.ts';
import { evaluateNextItem, type Interval } from '../src/evaluation/next-item/evaluate-next-item.ts';
import { writeResult } from './write-result.ts';

const shared = join(import.meta.dirname, '../../shared/data');
if (!existsSync(shared)) {
  console.error(`needs the shared datasets at ${shared}`);
  process.exit(2);
}
const datasets = [
  {
    name: 'YOOCHOOSE clicks 100k',
    sources: [
      { preset: 'yoochoose', file: join(shared, 'yoochoose/yoochoose-clicks-100k_train_full.txt') },
      { preset: 'yoochoose', file: join(shared, 'yoochoose/yoochoose-clicks-100k_test.txt') },
    ],
    prepare: {},
    purchase: ['purchase'],
  },
  {
    name: 'DIGINETICA views sample + purchases',
    sources: [
      { preset: 'diginetica-views', file: join(shared, 'diginetica/sample_train-item-views.csv') },
      { preset: 'diginetica-purchases', file: join(shared, 'diginetica/train-purchases.csv') },
    ],
    prepare: {},
    purchase: ['purchase'],
  },
  {
    // A visitor sample (2,771 events): with the default support of 5 nothing survives, so 1.
    name: 'RetailRocket visitor sample',
    sources: [{ preset: 'retailrocket', file: join(shared, 'retailrocket/events.csv') }],
    prepare: { minItemSupport: 1, split: { validation: 0.1, test: 0.3 } },
    purchase: ['cart', 'purchase'],
  },
];

const cell = (i: Interval) =>
  Number.isNaN(i.value) ? '–' : `${i.value.toFixed(3)} [${i.lower.toFixed(3)}, ${i.upper.toFixed(3)}]`;
const out: unknown[] = [];
for (const dataset of datasets) {
  const { log } = await importEvents({ config: parseImportConfig({ sources: dataset.sources }) });
  if (!log) throw new Error('no log');
  const prepared = prepareLog(log, parseConfig(prepareConfigSchema, dataset.prepare, 'prepare'));
  const split = splitSummary(prepared);
  console.log(
    `\n### ${dataset.name}: ${log.length.toLocaleString('en-US')} events imported; test ${split.test.sessions} sessions / ${split.test.events} events, train ${split.train.sessions} / ${split.train.events}\n`,
  );
  console.log('| model | target | n | HR@5 | HR@10 | HR@20 | NDCG@10 |');
  console.log('|---|---|---:|---:|---:|---:|---:|');
  const results = [];
  for (const model of [new PopularityModel(), new SessionKnnModel()]) {
    model.fit(prepared);
    const result = evaluateNextItem(model, prepared, {
      groups: { click: ['click'], purchase: dataset.purchase },
      resamples: 500,
    });
    results.push(result);
    for (const [group, { targets, metrics }] of Object.entries(result.groups)) {
      if (targets === 0) continue;
      console.log(
        `| ${model.name} | ${group} | ${targets} | ${['hr@5', 'hr@10', 'hr@20', 'ndcg@10'].map((m) => cell(metrics[m])).join(' | ')} |`,
      );
    }
  }
  out.push({ dataset: dataset.name, split, steps: prepared.steps, results });
}
writeResult('next-item-baselines', out);
