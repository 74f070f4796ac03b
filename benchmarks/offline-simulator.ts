/**
 * Offline RL checked against the truth (issue 5, item 6): the ecommerce simulator writes a shop's
 * event log under a known behaviour policy (ε-soft most-popular, exact propensities); sequence models
 * are trained on that log alone; then each is run in the simulator, from the world as the log left it,
 * beside the behaviour policy continuing, and the baselines. The figure is the true return per session,
 * mean ± 95% CI over seeds (each seed: its own world, log, training and evaluation sessions), and the
 * Welch interval of the difference against the behaviour policy, and the interval of the per-seed
 * differences (paired: a seed's policies share its world, log and evaluation sessions).
 *
 *   node --experimental-wasm-relaxed-simd --import tsx benchmarks/offline-simulator.ts \
 *     [--seeds 5] [--episodes 3000] [--epochs 3] [--evaluation-episodes 500] [--encoders gru[,attention]]
 */
import { EpsilonSoftPolicy } from '../src/agents/random-policy.ts';
import type { Environment, Policy, StepInfo } from '../src/core/types.ts';
import { EcommerceEnvironment } from '../src/environments/ecommerce.ts';
import { ItemHistoryEnvironment } from '../src/environments/item-history.ts';
import {
  SequenceRecommender,
  type SequenceRecommenderOptions,
} from '../src/evaluation/next-item/sequence-recommender.ts';
import { formatMeanCi, summarize, welchDifference } from '../src/evaluation/statistics.ts';
import { baselineFor } from '../src/experiments/baselines.ts';
import { prepareSimulatorLog, replayLoggedPeriod, simulatorEventLog } from '../src/training/simulator-log.ts';
import { evaluate } from '../src/training/train.ts';
import { flag } from './flags.ts';
import { writeResult } from './write-result.ts';

const seeds = Number(flag('seeds', '5'));
const logEpisodes = Number(flag('episodes', '3000'));
const epochs = Number(flag('epochs', '3'));
const evaluationEpisodes = Number(flag('evaluation-episodes', '500'));
const encoders = flag('encoders', 'gru').split(',') as Array<'gru' | 'attention'>;
const EPSILON = 0.5;
const LENGTH = 10;

/** The default experiment's ecommerce world: 200 items, retrieval offers 20 a step, 1 in 5 clickbait. */
const worldOptions = (seed: number) => ({ seed, candidates: 20, clickbaitFraction: 0.2, boredom: true });

const interactions = ['click', 'cart', 'purchase'];
/** The simulator's shaped reward as event rewards: purchase 1, click (or cart without purchase) 0.5. */
const rewards = { impression: 0, click: 0.5, cart: 0.5, purchase: 1 };

const learners: Record<string, (encoder: 'gru' | 'attention') => SequenceRecommenderOptions> = {
  // The supervised encoder a shop would train: predict the next click from clicks and skips.
  supervised: (encoder) => ({
    encoder,
    mode: 'supervised',
    historyTypes: interactions,
    impressionTypes: ['impression'],
    actionTypes: interactions,
    agent: { learningRate: 0.003 },
  }),
  'sqn q-head, CQL 0.5': (encoder) => ({
    encoder,
    mode: 'sqn',
    historyTypes: interactions,
    impressionTypes: ['impression'],
    rewards,
    agent: { actWith: 'q', gamma: 0.5, cqlAlpha: 0.5, learningRate: 0.003 },
  }),
  // The same, also reading the shopper's price tier (the log's user attribute) beside the sequence.
  'sqn q-head, CQL 0.5, + price tier': (encoder) => ({
    encoder,
    mode: 'sqn',
    historyTypes: interactions,
    impressionTypes: ['impression'],
    rewards,
    context: { userAttributes: ['priceTier:categorical'] },
    agent: { actWith: 'q', gamma: 0.5, cqlAlpha: 0.5, learningRate: 0.003 },
  }),
  'sqn q-head, no CQL': (encoder) => ({
    encoder,
    mode: 'sqn',
    historyTypes: interactions,
    impressionTypes: ['impression'],
    rewards,
    agent: { actWith: 'q', gamma: 0.5, cqlAlpha: 0, learningRate: 0.003 },
  }),
};

const behaviourFor = (environment: Environment, seed: number): Policy =>
  new EpsilonSoftPolicy(baselineFor('ecommerce', 'most-popular').make(environment, seed), EPSILON, seed);

const returns = new Map<string, number[]>();
const record = (name: string, value: number) => {
  returns.set(name, [...(returns.get(name) ?? []), value]);
};
const started = performance.now();

for (let seed = 1; seed <= seeds; seed++) {
  const world = worldOptions(seed);
  const logEnvironment = new EcommerceEnvironment(world);
  const sim = simulatorEventLog({
    environment: logEnvironment,
    behaviour: behaviourFor(logEnvironment, seed),
    episodes: logEpisodes,
    seed,
  });
  record('behaviour, in the log', summarize(sim.returns).mean);
  // Every policy starts from the world as the log left it; evaluation sessions use fresh seeds.
  const afterLog = () => {
    const environment = new EcommerceEnvironment(world);
    const behaviour = behaviourFor(environment, seed);
    replayLoggedPeriod({ environment, behaviour, episodes: logEpisodes, seed });
    return { environment, behaviour };
  };
  const online = (environment: Environment, policy: Policy) =>
    evaluate({ environment, policy, episodes: evaluationEpisodes, seed: 1_000_000 + seed }).summary.mean;

  const continuing = afterLog();
  record('behaviour (ε-soft most-popular)', online(continuing.environment, continuing.behaviour));
  for (const name of ['random', 'most-popular', 'myopic-oracle', 'far-sighted-oracle']) {
    const { environment } = afterLog();
    record(name, online(environment, baselineFor('ecommerce', name).make(environment, seed)));
  }

  const prepared = prepareSimulatorLog(sim.log);
  for (const encoder of encoders) {
    for (const [learner, options] of Object.entries(learners)) {
      const name = `${encoder === 'gru' ? 'GRU' : 'attention'} ${learner}`;
      const t0 = performance.now();
      const model = new SequenceRecommender({ ...options(encoder), epochs, seed, length: LENGTH });
      model.fit(prepared);
      const seconds = (performance.now() - t0) / 1000;
      const { environment } = afterLog();
      const contextEncoder = model.contextEncoder;
      const wrapped = new ItemHistoryEnvironment(environment, {
        itemIds: prepared.log.itemIds,
        length: LENGTH,
        impressions: true,
        ...(contextEncoder
          ? {
              context: {
                features: contextEncoder.size,
                encode: (info: StepInfo, out: Float32Array, at: number) =>
                  contextEncoder.encode((name) => (info.profile as Record<string, number>)[name], 0, out, at),
              },
            }
          : {}),
      });
      const agent = model.agent;
      if (!agent) throw new Error('not trained');
      const value = online(wrapped, agent);
      record(name, value);
      console.error(`seed ${seed}: ${name} ${value.toFixed(3)} (trained in ${seconds.toFixed(0)} s)`);
      model.dispose();
    }
  }
  console.error(
    `seed ${seed} done: ${sim.log.length} logged events, behaviour ${returns.get('behaviour (ε-soft most-popular)')?.at(-1)?.toFixed(3)}`,
  );
}

const behaviour = returns.get('behaviour (ε-soft most-popular)') ?? [];
const rows = [...returns].map(([name, values]) => {
  const oracle = name.includes('oracle');
  const d = welchDifference(values, behaviour);
  const verdict = d.lower > 0 ? '▲' : d.upper < 0 ? '▼' : '';
  // Paired by seed: each seed's policies share one world, log and evaluation sessions.
  const paired = summarize(values.map((v, i) => v - behaviour[i]));
  return {
    name: oracle ? `${name} (reads latent truth)` : name,
    values,
    cell: formatMeanCi(summarize(values), 3),
    delta: name.startsWith('behaviour')
      ? ''
      : `${d.difference >= 0 ? '+' : '−'}${Math.abs(d.difference).toFixed(3)} [${d.lower.toFixed(3)}, ${d.upper.toFixed(3)}] ${verdict}`,
    paired: name.startsWith('behaviour')
      ? ''
      : `[${paired.lower.toFixed(3)}, ${paired.upper.toFixed(3)}] ${paired.lower > 0 ? '▲' : paired.upper < 0 ? '▼' : ''}`,
  };
});
console.log(
  `\necommerce (200 items, 20 candidates a step, clickbait 0.2), log of ${logEpisodes} sessions under ε-soft most-popular (ε = ${EPSILON}); ${seeds} seeds, ${evaluationEpisodes} evaluation sessions each, ${epochs} epochs\n`,
);
console.log(
  '| policy | true return per session | Δ vs behaviour [Welch 95% CI] | Δ paired by seed [95% CI] |',
);
console.log('|---|---:|---|---|');
for (const row of rows) console.log(`| ${row.name} | ${row.cell} | ${row.delta} | ${row.paired} |`);
console.log(`\n${((performance.now() - started) / 1000).toFixed(0)} s`);
writeResult('offline-simulator', { seeds, logEpisodes, epochs, evaluationEpisodes, rows });
