import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import { BASELINES } from '../../experiments/baselines.ts';
import { parseExperimentConfig } from '../../experiments/config.ts';
import { DEFAULT_EXPERIMENT } from '../../experiments/default-experiment.ts';
import { meanCi, renderReport, versus } from '../../experiments/report-html.ts';
import { type ExperimentResult, type RunnerEvents, runExperiment } from '../../experiments/runner.ts';
import { intFlag, parseFlags, readJson, shownPath } from '../args.ts';
import { formatTable } from '../table.ts';

export const experimentHelp = `nextbest experiment [--config file.json] [--out reports/latest] [--workers 2]
                    [--seeds 5] [--json] [--quiet] [--list-baselines]

Run agents and baselines on simulators over several seeds (worker threads), then write results.json
and a self-contained HTML report (learning curves with 95% CI bands, TD loss, metrics, a table of
mean ± 95% CI with the difference against the best baseline). Without --config it runs the default
experiment (ecommerce and crm, DQN against the baselines), as npm start does.`;

function progress(quiet: boolean, totalJobs: number): RunnerEvents & { stop(): void } {
  if (quiet) return { stop: () => {} };
  if (!process.stderr.isTTY) {
    // Logs and pipes: one line per finished job, no control characters.
    return {
      onJobDone: (job, _i, result, finished, total) =>
        console.error(
          `[${finished}/${total}] ${job.environment} ${job.entry.name} seed ${job.seed}: return ${result.evaluation.meanReturn.toFixed(2)} (${result.seconds.toFixed(1)} s)`,
        ),
      stop: () => {},
    };
  }
  const multi = new cliProgress.MultiBar(
    {
      stream: process.stderr,
      format: '{label} {bar} {percentage}% | {status}',
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  const overall = multi.create(totalJobs, 0, { label: 'all runs'.padEnd(34), status: `0/${totalJobs} done` });
  const bars = new Map<number, cliProgress.SingleBar>();
  return {
    onJobProgress: (job, index, done, total, status) => {
      let bar = bars.get(index);
      if (!bar) {
        bar = multi.create(total, 0, {
          label: `${job.environment} ${job.entry.name} seed ${job.seed}`.slice(0, 34).padEnd(34),
          status,
        });
        bars.set(index, bar);
      }
      bar.setTotal(total);
      bar.update(done, { status });
    },
    onJobDone: (_job, index, _result, finished, total) => {
      const bar = bars.get(index);
      if (bar) {
        multi.remove(bar);
        bars.delete(index);
      }
      overall.update(finished, { status: `${finished}/${total} done` });
    },
    stop: () => multi.stop(),
  };
}

export function summaryTable(result: ExperimentResult): string {
  const blocks: string[] = [];
  for (const environment of result.summary) {
    const keys = Object.keys(environment.metricLabels).slice(0, 4);
    const header = ['policy', 'return', ...keys, `Δ vs ${environment.bestBaseline ?? '–'} [95% CI]`];
    const rows = environment.entries.map((entry) => [
      entry.oracle ? `${entry.name} (oracle)` : entry.name,
      meanCi(entry.return),
      ...keys.map((k) => meanCi(entry.metrics[k], environment.metricLabels[k].format)),
      versus(entry),
    ]);
    blocks.push(
      `${environment.id} (mean ± 95% CI over ${result.config.seeds} seeds)\n${formatTable(header, rows)}`,
    );
  }
  return blocks.join('\n\n');
}

export async function runExperimentCommand(argv: string[]): Promise<number> {
  const f = parseFlags('experiment', argv, {
    config: { type: 'string' },
    out: { type: 'string' },
    workers: { type: 'string' },
    seeds: { type: 'string' },
    json: { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
    'list-baselines': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  });
  if (f.help) {
    console.log(experimentHelp);
    return 0;
  }
  if (f['list-baselines']) {
    const rows = Object.entries(BASELINES).flatMap(([env, specs]) =>
      Object.entries(specs).map(([name, spec]) => [env, name, spec.description]),
    );
    console.log(
      f.json ? JSON.stringify(rows) : formatTable(['environment', 'baseline', 'what it does'], rows),
    );
    return 0;
  }
  const raw = (f.config ? readJson(f.config, 'experiment config') : DEFAULT_EXPERIMENT) as Record<
    string,
    unknown
  >;
  const config = parseExperimentConfig(
    f.seeds === undefined ? raw : { ...raw, seeds: intFlag('seeds', f.seeds, 5, 2) },
  );
  const workers = intFlag('workers', f.workers, availableParallelism(), 0);
  const out = resolve(f.out ?? join('reports', 'latest'));
  const jobs = config.environments.reduce((n, e) => n + e.entries.length * config.seeds, 0);
  if (!f.quiet && !f.json) {
    console.error(
      `${config.name}: ${jobs} runs on ${Math.min(workers, jobs) || 'the main'} worker thread(s)`,
    );
  }
  const events = progress(f.quiet, jobs);
  let result: ExperimentResult;
  try {
    result = await runExperiment(config, { workers, events });
  } finally {
    events.stop();
  }
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'results.json'), `${JSON.stringify(result, null, 1)}\n`);
  writeFileSync(join(out, 'index.html'), renderReport(result));
  if (f.json) {
    console.log(
      JSON.stringify({ report: join(out, 'index.html'), seconds: result.seconds, summary: result.summary }),
    );
  } else {
    console.log(summaryTable(result));
    console.log(`\n${result.runs.length} runs in ${result.seconds.toFixed(0)} s.`);
    console.log(
      `Report: ${shownPath(join(out, 'index.html'))}  (data: ${shownPath(join(out, 'results.json'))})`,
    );
  }
  return 0;
}
