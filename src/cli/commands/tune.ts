import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { EngineError } from '../../core/engine-error.ts';
import { meanCi } from '../../experiments/report-html.ts';
import { runTuning, type TuneResult } from '../../experiments/tune.ts';
import { parseTuneConfig } from '../../experiments/tune-config.ts';
import {
  bestAndEffects,
  leaderboardRows,
  objectiveLabel,
  rankedTrials,
  renderTuneReport,
  topRung,
  verdictWords,
} from '../../experiments/tune-report.ts';
import { intFlag, parseFlags, shownPath } from '../args.ts';
import { type ProgressBar, progressBar } from '../progress.ts';
import { formatTable } from '../table.ts';
import { runTuneData, tuneDataHelp } from './tune-data.ts';
import { finishTune, readTuneConfig } from './tune-output.ts';

export const tuneHelp = `nextbest tune --config tune.json [--out reports/tune] [--runs FILE] [--workers 2]
              [--strategy successive-halving|random] [--trials N] [--restart] [--json] [--quiet]

Hyper-parameter search on a simulator: draw configurations of an agent from the config's search space,
train each over several seeds (worker threads) and rank them by greedy return; successive halving
stops the worse ones early. Then the winner and the base config are retrained on fresh seeds and
compared with 95% intervals. Writes a leaderboard, results.json and an HTML report (parameter
effects, learning curves of the best). Every finished run is appended to the run log (default
<out>/runs.jsonl): run the same command again after an interruption and it continues where it stopped.
Example config: configs/tune-cartpole.json.`;

export async function runTune(argv: string[]): Promise<number> {
  const f = parseFlags('tune', argv, {
    config: { type: 'string' },
    data: { type: 'string' },
    prepare: { type: 'string' },
    out: { type: 'string' },
    runs: { type: 'string' },
    workers: { type: 'string' },
    strategy: { type: 'string' },
    trials: { type: 'string' },
    restart: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  });
  if (f.help) {
    console.log(`${tuneHelp}\n\n${tuneDataHelp}`);
    return 0;
  }
  if (!f.config) {
    throw new EngineError('E_USAGE', 'tune needs --config', {
      hint: `start from ${f.data ? 'configs/tune-sasrec.json' : 'configs/tune-cartpole.json'}; see nextbest tune --help`,
    });
  }
  if (f.data) return await runTuneData({ ...f, data: f.data });
  if (f.prepare) {
    throw new EngineError('E_USAGE', '--prepare is read with --data only', {
      path: '--prepare',
      hint: 'tune a sequence model on a log with --data events.nbev, or drop --prepare',
    });
  }
  const raw = readTuneConfig(f.config, f, 27);
  const checked = parseTuneConfig(raw);
  const workers = intFlag('workers', f.workers, availableParallelism(), 0);
  const out = resolve(f.out ?? join('reports', 'tune'));
  mkdirSync(out, { recursive: true });
  const runs = resolve(f.runs ?? join(out, 'runs.jsonl'));
  if (f.restart && existsSync(runs)) rmSync(runs);
  const quiet = f.quiet || f.json;
  let bar: ProgressBar | undefined; // sized once the plan is known
  const lines = !quiet && !process.stderr.isTTY;
  const result = await runTuning(checked, {
    workers,
    runs,
    events: {
      onPlan: (total, rungs) => {
        bar = progressBar('tuning', total, quiet);
        if (!quiet) {
          console.error(
            `${checked.config.name}: ${checked.config.search.strategy}, ${checked.config.search.trials} configurations, rungs ${rungs.map((r) => `${r.trials}×${r.budget} steps`).join(' → ')}, ${checked.config.objective.seeds} seeds each; run log ${shownPath(runs)}`,
          );
        }
      },
      onRunDone: (_id, label, run, finished, reused) => {
        bar?.update(finished, {
          status: `${label}: ${run.meanReturn.toFixed(run.offline ? 3 : 1)}${reused ? ' (from run log)' : ''}`,
        });
        if (lines)
          console.error(
            `[${finished}] ${label}: ${run.offline ? `estimate ${run.meanReturn.toFixed(3)} [${run.offline.lower.toFixed(3)}, ${run.offline.upper.toFixed(3)}], true ${run.offline.trueReturn.toFixed(3)}` : `return ${run.meanReturn.toFixed(2)}`}${reused ? ' (from run log)' : ` (${run.seconds.toFixed(1)} s)`}`,
          );
      },
    },
  });
  bar?.stop();
  finishTune({
    out,
    runs,
    result,
    html: renderTuneReport(result),
    json: f.json,
    summary: () => jsonSummary(result, out),
    text: () => textSummary(result),
  });
  return 0;
}

function jsonSummary(result: TuneResult, out: string) {
  const best = result.trials[result.best];
  return {
    report: join(out, 'index.html'),
    seconds: result.seconds,
    best: { trial: best.index, values: best.values, agent: best.agent, score: topRung(best).score },
    leaderboard: rankedTrials(result).map((t) => ({
      trial: t.index,
      steps: topRung(t).budget,
      score: topRung(t).score,
      values: t.values,
    })),
    rungs: result.rungs,
    compute: result.compute,
    validation: result.validation && {
      tuned: result.validation.bestReturn,
      base: result.validation.baseReturn,
      estimates: result.validation.estimates,
      difference: result.validation.difference,
      separated: result.validation.separated,
    },
  };
}

export function textSummary(result: TuneResult): string {
  const { header, rows } = leaderboardRows(result, 10);
  const parts = [`Leaderboard (ranked by ${objectiveLabel(result)})\n${formatTable(header, rows)}`];
  parts.push(...bestAndEffects(result.trials[result.best], result.effects, (steps) => `${steps} steps`));
  const v = result.validation;
  if (v) {
    const d = v.difference;
    parts.push(
      `On ${v.seeds.length} fresh seeds: tuned ${meanCi(v.bestReturn)} vs base ${meanCi(v.baseReturn)}; Δ ${d.difference >= 0 ? '+' : '−'}${Math.abs(d.difference).toFixed(2)} [${d.lower.toFixed(2)}, ${d.upper.toFixed(2)}]: ${verdictWords(v)}`,
    );
  }
  const c = result.compute;
  const failed = result.trials.filter((t) => t.error).length;
  parts.push(
    `Search cost: ${c.runs} runs, ${c.trainSteps.toLocaleString('en')} training + ${c.evaluationSteps.toLocaleString('en')} evaluation steps${c.reused ? `, ${c.reused} runs reused from the run log` : ''}${failed ? `; ${failed} configurations were not valid agents` : ''}; ${result.seconds.toFixed(0)} s.`,
  );
  return parts.join('\n\n');
}
