import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { parseEventLog, readEventLogBytes } from '../../data/event-log-file.ts';
import { prepareLog } from '../../data/prepare.ts';
import { meanCi } from '../../experiments/report-html.ts';
import { bestAndEffects, verdictWords } from '../../experiments/tune-report.ts';
import {
  epochsLabel,
  parseSequenceTuneConfig,
  runSequenceTuning,
  type SequenceOptionsFile,
  type SequenceTuneResult,
} from '../../experiments/tune-sequence.ts';
import { renderSequenceTuneReport, sequenceLeaderboard } from '../../experiments/tune-sequence-report.ts';
import { intFlag, shownPath } from '../args.ts';
import { type ProgressBar, progressBar } from '../progress.ts';
import { formatTable } from '../table.ts';
import { readPrepareConfig } from './prepare-flag.ts';
import { finishTune, readTuneConfig } from './tune-output.ts';

export const tuneDataHelp = `nextbest tune --data events.nbev --config tune.json [--prepare prepare.json] [--out reports/tune]
              [--runs FILE] [--workers 2] [--strategy successive-halving|random] [--trials N]
              [--restart] [--json] [--quiet]

With --data: tune a sequence model (gru4rec, sqn-gru4rec, sasrec, sqn-sasrec) on an imported log.
Configurations drawn from the config's space (dotted paths into the model's options, such as
agent.network.dropout or agent.learningRate), and the base options themselves, are trained on the
training sessions and ranked by a metric on the validation sessions (default click NDCG@10);
successive halving gives only the best 1/eta of each rung eta times the epochs. Runs train on
--workers threads (default one per core; 0 trains in this thread); results do not depend on how
many. The test sessions are read once, at the end: the winner and the base options retrained on
fresh seeds, mean ± 95% CI, beside popularity and session kNN. Writes results.json and an HTML
report; every finished run goes to the run log, so the same command continues an interrupted
search. The winner's settings go to best-options.json, for
'nextbest train --data events.nbev --options <out>/best-options.json'.
Example config: configs/tune-sasrec.json.`;

/** `nextbest tune --data`: a search over a sequence model's settings on an imported log. */
export async function runTuneData(f: {
  data: string;
  config?: string;
  prepare?: string;
  out?: string;
  runs?: string;
  strategy?: string;
  trials?: string;
  workers?: string;
  restart: boolean;
  json: boolean;
  quiet: boolean;
}): Promise<number> {
  const raw = readTuneConfig(f.config ?? '', f, 9);
  const checked = parseSequenceTuneConfig(raw);
  const prepareConfig = readPrepareConfig(f.prepare);
  // The file is read once: parsed for the search, and hashed so that a run is reused only on the
  // same bytes prepared the same way, wherever the file now lives.
  const bytes = readEventLogBytes(f.data);
  const prepared = prepareLog(parseEventLog(bytes, f.data), prepareConfig);
  const dataKey = {
    sha256: createHash('sha256').update(bytes).digest('hex'),
    prepare: prepareConfig,
  };
  const out = resolve(f.out ?? join('reports', 'tune'));
  mkdirSync(out, { recursive: true });
  const runs = resolve(f.runs ?? join(out, 'runs.jsonl'));
  if (f.restart && existsSync(runs)) rmSync(runs);
  const quiet = f.quiet || f.json;
  const lines = !quiet && !process.stderr.isTTY;
  let bar: ProgressBar | undefined;
  let finished = 0;
  const { config } = checked;
  const result = await runSequenceTuning(checked, prepared, {
    dataKey,
    runs,
    workers: intFlag('workers', f.workers, availableParallelism(), 0),
    source: { path: resolve(f.data), prepare: prepareConfig },
    events: {
      onPlan: (total, rungs) => {
        bar = progressBar('tuning', total, quiet);
        if (!quiet) {
          console.error(
            `${config.name}: ${config.model}, ${config.search.strategy} over ${config.search.trials} configurations${config.search.includeBase ? ' and the base options' : ''}, rungs ${rungs.map((r) => `${r.trials}×${r.budget} epochs`).join(' → ')}, ${config.objective.seeds} seed(s) each, ranked by validation ${config.objective.group} ${config.objective.metric.toUpperCase()}; run log ${shownPath(runs)}`,
          );
        }
      },
      onTotal: (total) => bar?.setTotal(total),
      onEpoch: (label, epoch, epochs) =>
        bar?.update(finished, { status: `${label}: epoch ${epoch}/${epochs}` }),
      onRunDone: (label, run, done, reused) => {
        finished = done;
        const text = `${label}: ${config.objective.metric} ${run.score.toFixed(4)}${reused ? ' (from run log)' : ` (${run.seconds.toFixed(1)} s)`}`;
        bar?.update(done, { status: text });
        if (lines) console.error(`[${done}] ${text}`);
      },
    },
  });
  bar?.stop();
  // The winner's settings, for 'train --data --options': the options exactly as the search trained them.
  const bestFile = join(out, 'best-options.json');
  const winner: SequenceOptionsFile = {
    model: config.model,
    epochs: config.epochs,
    options: result.trials[result.best].options,
  };
  writeFileSync(bestFile, `${JSON.stringify(winner, null, 2)}\n`);
  finishTune({
    out,
    runs,
    result,
    html: renderSequenceTuneReport(result),
    json: f.json,
    summary: () => jsonSummary(result, out),
    text: () =>
      `${sequenceTuneSummary(result)}\n\nTrain the winner: nextbest train --data ${f.data} --options ${shownPath(bestFile)}`,
  });
  return 0;
}

function jsonSummary(result: SequenceTuneResult, out: string) {
  const best = result.trials[result.best];
  return {
    report: join(out, 'index.html'),
    bestOptions: join(out, 'best-options.json'),
    seconds: result.seconds,
    best: { trial: best.index, values: best.values, options: best.options, score: best.rungs.at(-1)?.score },
    leaderboard: result.leaderboard
      .map((i) => result.trials[i])
      .filter((t) => t.rungs.length > 0)
      .map((t) => ({
        trial: t.index,
        epochs: t.rungs.at(-1)?.epochs,
        score: t.rungs.at(-1)?.score,
        values: t.values,
      })),
    rungs: result.rungs,
    compute: result.compute,
    final: result.final && {
      tuned: result.final.bestScore,
      base: result.final.baseScore,
      difference: result.final.difference,
      separated: result.final.separated,
      references: result.final.references,
    },
  };
}

/** The leaderboard, the winner, the strongest effects, the check on the test sessions and the cost. */
export function sequenceTuneSummary(result: SequenceTuneResult): string {
  const { config } = result;
  const metric = `${config.objective.group} ${config.objective.metric.toUpperCase()}`;
  const { header, rows } = sequenceLeaderboard(result, 10);
  const parts = [
    `Leaderboard (validation ${metric}, ${config.objective.seeds} seed(s); kept: the epoch whose weights a run kept; –: the model's default)\n${formatTable(header, rows)}`,
  ];
  const best = result.trials[result.best];
  parts.push(
    ...bestAndEffects(
      best,
      result.effects,
      epochsLabel,
      best.base ? 'the base options: no configuration drawn did better on validation' : undefined,
    ),
  );
  const v = result.final;
  if (v) {
    const d = v.difference;
    const sign = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(4)}`;
    const check = best.base
      ? `base options ${meanCi(v.baseScore)} (they won the search)`
      : `tuned ${meanCi(v.bestScore)} vs base ${meanCi(v.baseScore)}; Δ ${sign(d.difference)} [${sign(d.lower)}, ${sign(d.upper)}]: ${verdictWords(v)}`;
    parts.push(
      `Test sessions, ${v.seeds.length} fresh seeds (${v.seeds[0]}..${v.seeds.at(-1)}), ${metric}: ${check}\n` +
        v.references
          .map((r) => `  ${r.model}: ${r.value.toFixed(4)} [${r.lower.toFixed(4)}, ${r.upper.toFixed(4)}]`)
          .join('\n'),
    );
  }
  const c = result.compute;
  const failed = result.trials.filter((t) => t.error).length;
  parts.push(
    `Search cost: ${c.runs} runs (${c.epochs} epochs, ${c.seconds.toFixed(0)} s of training)${c.reused ? `, ${c.reused} reused from the run log` : ''}${failed ? `; ${failed} configurations were not valid models` : ''}; ${result.seconds.toFixed(0)} s in all.`,
  );
  return parts.join('\n\n');
}
