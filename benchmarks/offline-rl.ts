/**
 * Offline RL on logged sessions (issue 5): SQN's Q-learning head against the same encoder trained
 * supervised only, beside popularity and session kNN, on the shared real datasets and a synthetic
 * shop log with purchases. HR@10 and NDCG@10 on the time-split test sessions (the SQN protocol),
 * mean ± 95% CI over seeds for the trained models; the baselines are deterministic.
 *
 *   node --import tsx benchmarks/offline-rl.ts [--seeds 3] [--encoders gru,attention] [--datasets shop,diginetica,retailrocket,yoochoose]
 *     [--modes supervised,sqn] [--epochs N] [--agent '{"weightDecay":0.2,"network":{"dropout":0.25}}']
 *
 * `--epochs` replaces each dataset's own epoch count; `--agent` is JSON merged into every trained
 * model's SQN config (over the benchmark's learning rate of 0.005), and printed with the results.
 *
 * The real datasets are NC-licensed research samples (../shared/data/*\/PROVENANCE.md): read here for
 * benchmarking only, never shipped.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeShopLog } from '../examples/make-shop-log.ts';
import { parseConfig } from '../src/core/config.ts';
import { importEvents } from '../src/data/import-events.ts';
import { prepareLog, splitSummary } from '../src/data/prepare.ts';
import { prepareConfigSchema } from '../src/data/prepare-config.ts';
import { parseImportConfig } from '../src/data/presets.ts';
import { PopularityModel, SessionKnnModel } from '../src/evaluation/next-item/baselines.ts';
import { evaluateNextItem } from '../src/evaluation/next-item/evaluate-next-item.ts';
import { SequenceRecommender, sequenceModelName } from '../src/evaluation/next-item/sequence-recommender.ts';
import { formatMeanCi, summarize, welchDifference } from '../src/evaluation/statistics.ts';
import { flag } from './flags.ts';
import { writeResult } from './write-result.ts';

const seeds = Number(flag('seeds', '3'));
const encoders = flag('encoders', 'gru').split(',') as Array<'gru' | 'attention'>;
const wanted = flag('datasets', 'shop,diginetica,retailrocket,yoochoose').split(',');
const modes = flag('modes', 'supervised,sqn').split(',') as Array<'supervised' | 'sqn'>;
const epochsOverride = flag('epochs', '');
const agentExtra = JSON.parse(flag('agent', '{}')) as Record<string, unknown>;
const agentConfig = { learningRate: 0.005, ...agentExtra };
const shared = join(import.meta.dirname, '../../shared/data');

const datasets: Array<{
  key: string;
  name: string;
  sources: () => Array<{ preset: string; file: string }>;
  attributes?: () => Array<{ preset: string; file: string }>;
  itemGroups?: string;
  prepare: Record<string, unknown>;
  purchase: string[];
  epochs: number;
}> = [
  {
    key: 'shop',
    name: 'synthetic shop log (examples/make-shop-log.ts, 20,000 events)',
    sources: () => [{ preset: 'retailrocket', file: writeShopLog(mkdtempSync(join(tmpdir(), 'nb-shop-'))) }],
    prepare: {},
    purchase: ['purchase'],
    epochs: 8,
  },
  {
    key: 'diginetica',
    name: 'DIGINETICA views sample + purchases',
    sources: () => [
      { preset: 'diginetica-views', file: join(shared, 'diginetica/sample_train-item-views.csv') },
      { preset: 'diginetica-purchases', file: join(shared, 'diginetica/train-purchases.csv') },
    ],
    // The item categories side file: the encoders also run with the category as an item group.
    attributes: () => [
      { preset: 'diginetica-categories', file: join(shared, 'diginetica/product-categories.csv') },
    ],
    itemGroups: 'categoryId',
    prepare: {},
    purchase: ['purchase'],
    epochs: 10,
  },
  {
    key: 'retailrocket',
    name: 'RetailRocket visitor sample (add-to-cart counts as purchase, as in SQN)',
    sources: () => [{ preset: 'retailrocket', file: join(shared, 'retailrocket/events.csv') }],
    prepare: { minItemSupport: 1, split: { validation: 0.1, test: 0.3 } },
    purchase: ['cart', 'purchase'],
    epochs: 10,
  },
  {
    key: 'yoochoose',
    name: 'YOOCHOOSE clicks 100k (no purchases in this sample)',
    sources: () => [
      { preset: 'yoochoose', file: join(shared, 'yoochoose/yoochoose-clicks-100k_train_full.txt') },
      { preset: 'yoochoose', file: join(shared, 'yoochoose/yoochoose-clicks-100k_test.txt') },
    ],
    prepare: {},
    purchase: ['purchase'],
    epochs: 5,
  },
]
  .filter((d) => wanted.includes(d.key))
  .map((d) => (epochsOverride ? { ...d, epochs: Number(epochsOverride) } : d));

const out: unknown[] = [];
for (const dataset of datasets) {
  if (dataset.key !== 'shop' && !existsSync(shared)) {
    console.log(`\n### ${dataset.name}: skipped, ${shared} is absent`);
    continue;
  }
  const { log } = await importEvents({
    config: parseImportConfig({ sources: dataset.sources(), attributes: dataset.attributes?.() ?? [] }),
  });
  if (!log) throw new Error('no log');
  const prepared = prepareLog(log, parseConfig(prepareConfigSchema, dataset.prepare, 'prepare'));
  const split = splitSummary(prepared);
  const groups = { click: ['click'], purchase: dataset.purchase };
  console.log(
    `\n### ${dataset.name}\n\n${log.length.toLocaleString('en-US')} events; train ${split.train.sessions} sessions / ${split.train.events} events, test ${split.test.sessions} / ${split.test.events}; ${dataset.epochs} epochs, ${seeds} seeds; agent ${JSON.stringify(agentConfig)}\n`,
  );
  const rows: Array<{
    model: string;
    click: number[];
    purchase: number[];
    clickN: number;
    purchaseN: number;
    seconds: number[];
  }> = [];
  for (const baseline of [new PopularityModel(), new SessionKnnModel()]) {
    baseline.fit(prepared);
    const r = evaluateNextItem(baseline, prepared, { groups, resamples: 200 });
    rows.push({
      model: baseline.name,
      click: [r.groups.click.metrics['hr@10'].value],
      purchase: [r.groups.purchase.metrics['hr@10'].value],
      clickN: r.groups.click.targets,
      purchaseN: r.groups.purchase.targets,
      seconds: [],
    });
  }
  const groupings = dataset.itemGroups ? [undefined, dataset.itemGroups] : [undefined];
  for (const encoder of encoders) {
    for (const [mode, itemGroups] of modes.flatMap((m) => groupings.map((g) => [m, g] as const))) {
      const row = {
        model: `${sequenceModelName(encoder, mode)}${itemGroups ? ` + ${itemGroups} groups` : ''}`,
        click: [] as number[],
        purchase: [] as number[],
        clickN: 0,
        purchaseN: 0,
        seconds: [] as number[],
      };
      for (let seed = 0; seed < seeds; seed++) {
        const started = performance.now();
        const model = new SequenceRecommender({
          encoder,
          mode,
          epochs: dataset.epochs,
          seed,
          ...(itemGroups ? { itemGroups } : {}),
          agent: agentConfig,
        });
        model.fit(prepared);
        const r = evaluateNextItem(model, prepared, { groups, resamples: 10 });
        model.dispose();
        row.click.push(r.groups.click.metrics['hr@10'].value);
        row.purchase.push(r.groups.purchase.metrics['hr@10'].value);
        row.clickN = r.groups.click.targets;
        row.purchaseN = r.groups.purchase.targets;
        row.seconds.push((performance.now() - started) / 1000);
        console.error(
          `${dataset.key} ${row.model} seed ${seed}: click ${row.click.at(-1)?.toFixed(3)} purchase ${row.purchase.at(-1)?.toFixed(3)}`,
        );
      }
      rows.push(row);
    }
  }
  const cell = (values: number[]) =>
    values.length === 1
      ? values[0].toFixed(3)
      : Number.isNaN(values[0])
        ? '–'
        : formatMeanCi(summarize(values), 3);
  console.log(
    `| model | HR@10 click (n = ${rows[0].clickN}) | HR@10 purchase (n = ${rows[0].purchaseN}) | seconds per seed |`,
  );
  console.log('|---|---:|---:|---:|');
  for (const r of rows) {
    const secs = r.seconds.length
      ? (r.seconds.reduce((a, b) => a + b, 0) / r.seconds.length).toFixed(0)
      : '–';
    console.log(`| ${r.model} | ${cell(r.click)} | ${cell(r.purchase)} | ${secs} |`);
  }
  for (const encoder of encoders) {
    const sup = rows.find((r) => r.model === sequenceModelName(encoder, 'supervised'));
    const sqn = rows.find((r) => r.model === sequenceModelName(encoder, 'sqn'));
    if (!sup || !sqn) continue;
    for (const target of ['click', 'purchase'] as const) {
      if (Number.isNaN(sqn[target][0])) continue;
      const d = welchDifference(sqn[target], sup[target]);
      console.log(
        `\n${sqn.model} − ${sup.model}, HR@10 ${target}: ${d.difference.toFixed(3)} [${d.lower.toFixed(3)}, ${d.upper.toFixed(3)}]`,
      );
    }
  }
  out.push({ dataset: dataset.name, split, seeds, epochs: dataset.epochs, agent: agentConfig, rows });
}
writeResult('offline-rl', out);
