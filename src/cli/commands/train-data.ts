import { writeFileSync } from 'node:fs';
import { EngineError } from '../../core/engine-error.ts';
import { readEventLog } from '../../data/event-log-file.ts';
import { prepareLog, splitSummary } from '../../data/prepare.ts';
import { evaluateNextItem, type Interval } from '../../evaluation/next-item/evaluate-next-item.ts';
import { SequenceRecommender } from '../../evaluation/next-item/sequence-recommender.ts';
import { intFlag, parseFlags } from '../args.ts';
import { progressBar } from '../progress.ts';
import { formatTable } from '../table.ts';
import { readPrepareConfig } from './prepare-flag.ts';
import {
  readOptionsFile,
  SEQUENCE_MODELS,
  sequenceFlagSpecs,
  sequenceFlagsHelp,
  sequenceOptions,
} from './sequence-flags.ts';

export const trainDataHelp = `nextbest train --data events.nbev [--model sqn-gru4rec] [--options best-options.json] [--prepare prepare.json] [--seed 0]
               [--out model.json] [--purchase-types purchase] [--json] [--quiet] [model flags]

Train a next-item model offline on an imported event log's training sessions, keep the epoch with
the best validation NDCG@10, report HR/NDCG on the validation sessions and save the model (evaluate
it on the test sessions with 'nextbest evaluate --data events.nbev --load model.json').
Models: ${Object.keys(SEQUENCE_MODELS).join(', ')} (sqn-* add SQN's Q-learning head, Xin et al. 2020).
${sequenceFlagsHelp}`;

export function runTrainData(argv: string[]): number {
  const f = parseFlags('train', argv, {
    data: { type: 'string' },
    model: { type: 'string' },
    prepare: { type: 'string' },
    seed: { type: 'string' },
    out: { type: 'string' },
    'purchase-types': { type: 'string' },
    json: { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
    ...sequenceFlagSpecs,
  });
  if (f.help || !f.data) {
    console.log(trainDataHelp);
    return f.help ? 0 : 2;
  }
  const name = f.model ?? (f.options ? readOptionsFile(f.options).model : undefined) ?? 'sqn-gru4rec';
  const seed = intFlag('seed', f.seed, 0);
  const options = sequenceOptions(name, f, seed);
  const prepared = prepareLog(readEventLog(f.data), readPrepareConfig(f.prepare));
  const split = splitSummary(prepared);
  if (split.train.events === 0) {
    throw new EngineError('E_SPLIT_EMPTY', 'the training part has no events', { hint: 'import more events' });
  }
  const epochs = options.epochs ?? 10;
  const bar = progressBar(`train ${name}`, epochs, f.quiet || f.json);
  const model = new SequenceRecommender({
    ...options,
    onEpoch: (r) =>
      bar.update(r.epoch, {
        status: `loss ${r.loss.toFixed(3)} · validation NDCG@10 ${r.validationNdcg.toFixed(3)}`,
      }),
  });
  const started = performance.now();
  model.fit(prepared);
  bar.stop();
  const seconds = (performance.now() - started) / 1000;
  const out = f.out ?? 'model.json';
  writeFileSync(out, JSON.stringify(model.toJSON(prepared.log.itemIds)));
  const groups = { click: ['click'], purchase: (f['purchase-types'] ?? 'purchase').split(',') };
  const validation =
    split.validation.sessions > 0
      ? evaluateNextItem(model, prepared, { part: 'validation', groups, seed })
      : null;
  const summary = {
    model: name,
    data: f.data,
    split,
    seconds,
    history: model.history,
    validation,
    saved: out,
  };
  model.dispose();
  if (f.json) {
    console.log(JSON.stringify(summary, null, 2));
    return 0;
  }
  console.log(
    formatTable(
      ['epoch', 'loss', 'validation NDCG@10', 'seconds'],
      summary.history.map((r) => [
        String(r.epoch),
        r.loss.toFixed(4),
        r.validationNdcg.toFixed(4),
        r.seconds.toFixed(1),
      ]),
    ),
  );
  if (validation) {
    const cell = (i: Interval) =>
      Number.isNaN(i.value) ? '–' : `${i.value.toFixed(3)} [${i.lower.toFixed(3)}, ${i.upper.toFixed(3)}]`;
    console.log(`\nvalidation sessions: ${validation.sessions} (the kept epoch)`);
    console.log(
      formatTable(
        ['target', 'n', 'HR@10', 'NDCG@10'],
        Object.entries(validation.groups).map(([g, r]) => [
          g,
          String(r.targets),
          cell(r.metrics['hr@10']),
          cell(r.metrics['ndcg@10']),
        ]),
      ),
    );
  }
  console.log(`\n${name} trained in ${seconds.toFixed(1)} s; model written to ${out}`);
  return 0;
}
