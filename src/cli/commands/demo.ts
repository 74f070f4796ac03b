import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAgent } from '../../agents/create-agent.ts';
import { UniformRandomPolicy } from '../../agents/random-policy.ts';
import type { Decision, Policy } from '../../core/types.ts';
import { CartPoleEnvironment } from '../../environments/cartpole.ts';
import { CHAIN_BACK, CHAIN_FORWARD, ChainEnvironment } from '../../environments/chain.ts';
import { formatMeanCi, summarize } from '../../evaluation/statistics.ts';
import { getHeap } from '../../numeric/heap.ts';
import { evaluate, train } from '../../training/train.ts';
import { trainUntilSolved } from '../../training/train-until-solved.ts';
import { intFlag, parseFlags } from '../args.ts';
import { progressBar } from '../progress.ts';
import { formatTable } from '../table.ts';

const here = dirname(fileURLToPath(import.meta.url));

/** The DQN the demo trains on the chain (γ = 0.9) for CHAIN_STEPS steps; the convergence tests check it. */
export const CHAIN_DQN = {
  algorithm: 'dqn',
  gamma: 0.9,
  network: { hidden: [32, 32] },
  learningRate: 1e-3,
  batchSize: 32,
  learningStarts: 500,
  bufferSize: 10_000,
  targetUpdateInterval: 200,
  epsilon: { start: 1, end: 0.1, decaySteps: 3_000 },
} as const;
export const CHAIN_STEPS = 6_000;

export const demoHelp = `nextbest demo [--seeds 5] [--skip-cartpole] [--json] [--quiet]

The first-run demonstration (npm start):
  1. the chain MDP, where the one-step-greedy choice is wrong: DQN against a random policy, a learned
     myopic policy (Q-learning with γ = 0, i.e. a bandit) and the value-iteration oracle, over several seeds;
  2. CartPole: DQN trained until its greedy policy averages ≥ 475 over 100 episodes.`;

/** The value-iteration oracle's greedy policy on the chain. */
class ChainOraclePolicy implements Policy {
  constructor(private readonly q: Float64Array[]) {}
  act(observation: Float32Array): Decision {
    const state = observation.indexOf(1);
    return {
      action: this.q[state][CHAIN_FORWARD] > this.q[state][CHAIN_BACK] ? CHAIN_FORWARD : CHAIN_BACK,
      propensity: 1,
    };
  }
}

export function runDemo(argv: string[]): number {
  const flags = parseFlags('demo', argv, {
    seeds: { type: 'string' },
    'skip-cartpole': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  });
  if (flags.help) {
    console.log(demoHelp);
    return 0;
  }
  const seeds = intFlag('seeds', flags.seeds, 5, 2);
  const log = (text: string) => {
    if (!flags.quiet) console.error(text);
  };
  const kernels = getHeap().kernels;
  log(
    `NextBest demo · kernels: ${kernels.name}${'fusedMultiplyAdd' in kernels && kernels.fusedMultiplyAdd ? ' (FMA)' : ''}`,
  );

  // 1. Chain: long-term value against the myopic choice.
  const gamma = CHAIN_DQN.gamma;
  const chainSteps = CHAIN_STEPS;
  const results: Record<string, number[]> = {
    random: [],
    'myopic (γ = 0 Q-learning)': [],
    DQN: [],
    oracle: [],
  };
  const oracle = new ChainOraclePolicy(new ChainEnvironment().optimalQ(gamma));
  const bar = progressBar('chain: DQN and baselines', seeds, flags.quiet);
  for (let seed = 1; seed <= seeds; seed++) {
    const env = new ChainEnvironment();
    const spaces = { observationSpace: env.observationSpace, actionSpace: env.actionSpace };
    const myopic = createAgent({
      algorithm: 'tabular-q',
      ...spaces,
      gamma: 0,
      seed,
      epsilon: { start: 1, end: 0.1, decaySteps: 3_000 },
    });
    train({ environment: env, agent: myopic, steps: chainSteps, seed });
    const dqn = createAgent({ ...CHAIN_DQN, ...spaces, seed });
    train({ environment: env, agent: dqn, steps: chainSteps, seed });
    const score = (policy: Policy) =>
      evaluate({ environment: env, policy, episodes: 10, seed: 1000 + seed }).summary.mean;
    results.random.push(score(new UniformRandomPolicy(2, seed)));
    results['myopic (γ = 0 Q-learning)'].push(score(myopic));
    results.DQN.push(score(dqn));
    results.oracle.push(score(oracle));
    dqn.dispose?.();
    bar.update(seed, { status: `seed ${seed}` });
  }
  bar.stop();
  const chainTable = Object.entries(results).map(([name, returns]) => ({
    policy: name,
    ...summarize(returns),
  }));

  // 2. CartPole: DQN until solved.
  let cartpole: ReturnType<typeof trainUntilSolved> | null = null;
  if (!flags['skip-cartpole']) {
    const config = JSON.parse(
      readFileSync(join(here, '..', '..', '..', 'configs', 'cartpole-dqn.json'), 'utf8'),
    );
    const env = new CartPoleEnvironment();
    const agent = createAgent({
      ...config,
      observationSpace: env.observationSpace,
      actionSpace: env.actionSpace,
      seed: 1,
    });
    const maxSteps = 100_000;
    const cpBar = progressBar('cartpole: DQN until solved', maxSteps, flags.quiet);
    cartpole = trainUntilSolved({
      environment: env,
      evaluationEnvironment: new CartPoleEnvironment(),
      agent,
      maxSteps,
      seed: 1,
      threshold: 475,
      onProgress: (p) =>
        cpBar.update(p.step, { status: `ε ${p.agent.epsilon?.toFixed(2)} · last return ${p.lastReturn}` }),
      onCheckpoint: (point) =>
        cpBar.update(point.step, { status: `greedy return ${point.greedyReturn.toFixed(0)}` }),
    });
    cpBar.stop();
    agent.dispose?.();
  }

  if (flags.json) {
    console.log(
      JSON.stringify({ chain: { seeds, gamma, steps: chainSteps, policies: chainTable }, cartpole }, null, 2),
    );
    return 0;
  }
  console.log(
    `\nChain MDP (5 states, 100-step episodes, γ = ${gamma}): greedy return per episode, mean ± 95% CI over ${seeds} seeds`,
  );
  console.log(
    formatTable(
      ['policy', 'return', 'min', 'max'],
      chainTable.map((r) => [r.policy, formatMeanCi(r, 1), r.min.toFixed(0), r.max.toFixed(0)]),
    ),
  );
  if (cartpole) {
    console.log(
      cartpole.solved
        ? `\nCartPole: DQN solved it after ${cartpole.stepsToSolve.toLocaleString('en-US')} environment steps ` +
            `(greedy mean ${cartpole.finalMean.toFixed(1)} over 100 episodes) in ${(cartpole.wallClockMs / 1000).toFixed(1)} s.`
        : `\nCartPole: not solved within 100,000 steps (best screen ${Math.max(...cartpole.curve.map((c) => c.greedyReturn)).toFixed(0)}).`,
    );
  }
  console.log(
    '\nNext: `npm test`, `npx nextbest --help`, and benchmarks/RESULTS.md for the measured numbers.',
  );
  return 0;
}
