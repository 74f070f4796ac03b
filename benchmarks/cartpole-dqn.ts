/**
 * CartPole with DQN (issue: foundation): solved = mean greedy return ≥ 475 over 100 episodes, within
 * 100,000 environment steps, on each of 5 seeds. Seeds run as child processes, two at a time (2 cores).
 * Writes benchmarks/out/cartpole-dqn.json and docs/cartpole-learning-curve.svg.
 * Usage: npx tsx benchmarks/cartpole-dqn.ts [--seeds 5] [--config configs/cartpole-dqn.json]
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createAgent } from '../src/agents/create-agent.ts';
import { CartPoleEnvironment } from '../src/environments/cartpole.ts';
import { summarize } from '../src/evaluation/statistics.ts';
import { lineChart } from '../src/report/charts.ts';
import { type SolveResult, trainUntilSolved } from '../src/training/train-until-solved.ts';
import { flag } from './flags.ts';
import { writeResult } from './write-result.ts';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const configPath = flag('config', join(here, '..', 'configs', 'cartpole-dqn.json'));
const MAX_STEPS = 100_000;

function runSeed(seed: number): SolveResult {
  const config = JSON.parse(readFileSync(configPath, 'utf8'));
  const env = new CartPoleEnvironment();
  const agent = createAgent({
    ...config,
    observationSpace: env.observationSpace,
    actionSpace: env.actionSpace,
    seed,
  });
  return trainUntilSolved({
    environment: env,
    evaluationEnvironment: new CartPoleEnvironment(),
    agent,
    maxSteps: MAX_STEPS,
    seed,
    threshold: 475,
    episodes: 100,
    checkpointInterval: 2_500,
  });
}

if (args.includes('--child')) {
  const result = runSeed(Number(flag('seed', '1')));
  console.log(JSON.stringify({ ...result, episodeReturns: undefined, episodeEndSteps: undefined }));
  process.exit(0);
}

const seeds = Number(flag('seeds', '5'));
const run = promisify(execFile);
const results: Array<{ seed: number } & SolveResult> = [];
const queue = Array.from({ length: seeds }, (_, i) => i + 1);
async function worker() {
  for (let seed = queue.shift(); seed !== undefined; seed = queue.shift()) {
    console.error(`seed ${seed}: training…`);
    const { stdout } = await run(
      process.execPath,
      [
        ...process.execArgv,
        fileURLToPath(import.meta.url),
        '--child',
        '--seed',
        String(seed),
        '--config',
        configPath,
      ],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    const r = JSON.parse(stdout.trim().split('\n').at(-1)!) as SolveResult;
    console.error(
      `seed ${seed}: ${r.solved ? `solved at ${r.stepsToSolve} steps` : 'not solved'} (${(r.wallClockMs / 1000).toFixed(1)} s)`,
    );
    results.push({ seed, ...r });
  }
}
await Promise.all([worker(), worker()]);
results.sort((a, b) => a.seed - b.seed);

const solved = results.filter((r) => r.solved);
const steps = summarize(solved.map((r) => r.stepsToSolve));
const seconds = summarize(results.map((r) => r.wallClockMs / 1000));
console.log('| seed | solved | steps to solve | greedy mean (100 episodes) | wall-clock (s) |');
console.log('|---:|:---:|---:|---:|---:|');
for (const r of results) {
  console.log(
    `| ${r.seed} | ${r.solved ? 'yes' : 'no'} | ${r.solved ? r.stepsToSolve.toLocaleString('en-US') : '–'} | ${Number.isNaN(r.finalMean) ? '–' : r.finalMean.toFixed(1)} | ${(r.wallClockMs / 1000).toFixed(1)} |`,
  );
}
console.log(
  `\nSolved on ${solved.length}/${results.length} seeds; steps to solve ${Math.round(steps.mean).toLocaleString('en-US')} ± ${Math.round(steps.halfWidth).toLocaleString('en-US')} (mean ± 95% CI); wall-clock ${seconds.mean.toFixed(1)} ± ${seconds.halfWidth.toFixed(1)} s per seed (two seeds at a time on 2 cores).`,
);
const svg = lineChart(
  results.map((r) => ({
    name: `seed ${r.seed}`,
    points: r.curve.map((c) => ({ x: c.step, y: c.greedyReturn })),
  })),
  {
    title: 'DQN on CartPole: greedy return (10-episode screen) by environment step',
    xLabel: 'environment steps',
    yLabel: 'greedy return',
    yMin: 0,
    yMax: 500,
    threshold: { y: 475, label: 'solved (475)' },
  },
);
writeFileSync(join(here, '..', 'docs', 'cartpole-learning-curve.svg'), svg);
writeResult('cartpole-dqn', { config: JSON.parse(readFileSync(configPath, 'utf8')), results });
