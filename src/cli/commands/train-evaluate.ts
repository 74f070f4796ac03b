import { writeFileSync } from 'node:fs';
import { createAgent, loadAgent } from '../../agents/create-agent.ts';
import { EngineError } from '../../core/engine-error.ts';
import { createEnvironment } from '../../environments/registry.ts';
import { formatMeanCi } from '../../evaluation/statistics.ts';
import { evaluate, train } from '../../training/train.ts';
import { intFlag, parseFlags, readJson } from '../args.ts';
import { progressBar } from '../progress.ts';
import { formatTable } from '../table.ts';
import { runEvaluateData } from './evaluate-data.ts';
import { runTrainData } from './train-data.ts';

export const trainHelp = `nextbest train --env <id> [--algorithm dqn | --config file.json] [--steps 50000] [--seed 0]
               [--env-options '{"length": 8}'] [--out agent.json] [--json] [--quiet]

Train an agent on a built-in environment and save its snapshot.
On an imported event log: nextbest train --data events.nbev --help`;

export const evaluateHelp = `nextbest evaluate --env <id> --agent agent.json [--episodes 100] [--seed 0] [--json]

Run the greedy policy of a saved agent for whole episodes; prints mean ± 95% CI.
On an imported event log: nextbest evaluate --data events.nbev --help`;

function parseJsonFlag(name: string, value: string | undefined): unknown {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value);
  } catch {
    throw new EngineError('E_USAGE', `--${name} must be JSON, got '${value}'`, { path: `--${name}` });
  }
}

export function runTrain(argv: string[]): number {
  if (argv.some((a) => a === '--data' || a.startsWith('--data='))) return runTrainData(argv);
  const f = parseFlags('train', argv, {
    env: { type: 'string' },
    algorithm: { type: 'string' },
    config: { type: 'string' },
    steps: { type: 'string' },
    seed: { type: 'string' },
    'env-options': { type: 'string' },
    out: { type: 'string' },
    json: { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  });
  if (f.help) {
    console.log(trainHelp);
    return 0;
  }
  if (!f.env) throw new EngineError('E_USAGE', 'train needs --env', { hint: 'e.g. --env cartpole' });
  const steps = intFlag('steps', f.steps, 50_000, 1);
  const seed = intFlag('seed', f.seed, 0);
  const environment = createEnvironment(f.env, parseJsonFlag('env-options', f['env-options']));
  const base = f.config ? (readJson(f.config, 'config') as Record<string, unknown>) : {};
  const agent = createAgent({
    algorithm: f.algorithm ?? base.algorithm ?? 'dqn',
    ...base,
    observationSpace: environment.observationSpace,
    actionSpace: environment.actionSpace,
    seed,
  });
  const bar = progressBar(`train ${agent.algorithm} on ${f.env}`, steps, f.quiet);
  const result = train({
    environment,
    agent,
    steps,
    seed,
    onProgress: (p) => bar.update(p.step, { status: `episodes ${p.episodes} · last return ${p.lastReturn}` }),
  });
  bar.stop();
  const out = f.out ?? 'agent.json';
  writeFileSync(out, JSON.stringify(agent.toJSON()));
  const last = result.episodeReturns.slice(-100);
  const mean = last.length ? last.reduce((a, b) => a + b, 0) / last.length : Number.NaN;
  const summary = {
    environment: f.env,
    algorithm: agent.algorithm,
    steps: result.steps,
    episodes: result.episodeReturns.length,
    meanReturnLast100: mean,
    wallClockMs: result.wallClockMs,
    snapshot: out,
  };
  if (f.json) console.log(JSON.stringify(summary, null, 2));
  else {
    console.log(
      formatTable(
        ['environment', 'algorithm', 'steps', 'episodes', 'mean return (last 100)', 'seconds'],
        [
          [
            f.env,
            agent.algorithm,
            String(result.steps),
            String(summary.episodes),
            mean.toFixed(1),
            (result.wallClockMs / 1000).toFixed(1),
          ],
        ],
      ),
    );
    console.log(`snapshot written to ${out}`);
  }
  agent.dispose?.();
  return 0;
}

export function runEvaluate(argv: string[]): number | Promise<number> {
  if (argv.some((a) => a === '--data' || a.startsWith('--data='))) return runEvaluateData(argv);
  const f = parseFlags('evaluate', argv, {
    env: { type: 'string' },
    agent: { type: 'string' },
    episodes: { type: 'string' },
    seed: { type: 'string' },
    'env-options': { type: 'string' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  });
  if (f.help) {
    console.log(evaluateHelp);
    return 0;
  }
  if (!f.env || !f.agent) {
    throw new EngineError('E_USAGE', 'evaluate needs --env and --agent', {
      hint: 'e.g. --env cartpole --agent agent.json',
    });
  }
  const environment = createEnvironment(f.env, parseJsonFlag('env-options', f['env-options']));
  const agent = loadAgent(readJson(f.agent, 'agent snapshot') as never);
  const result = evaluate({
    environment,
    policy: agent,
    episodes: intFlag('episodes', f.episodes, 100, 1),
    seed: intFlag('seed', f.seed, 0),
  });
  if (f.json) console.log(JSON.stringify({ environment: f.env, ...result }, null, 2));
  else {
    const s = result.summary;
    console.log(
      formatTable(
        ['environment', 'episodes', 'return (mean ± 95% CI)', 'min', 'max'],
        [[f.env, String(s.n), formatMeanCi(s, 1), s.min.toFixed(1), s.max.toFixed(1)]],
      ),
    );
  }
  return 0;
}
