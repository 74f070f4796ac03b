import { EpsilonSoftPolicy } from '../../agents/random-policy.ts';
import { actionCount } from '../../core/spaces.ts';
import { countByType } from '../../data/event-log.ts';
import { writeEventLog } from '../../data/event-log-file.ts';
import { createEnvironment } from '../../environments/registry.ts';
import { formatMeanCi, summarize } from '../../evaluation/statistics.ts';
import { BASELINES, baselineFor } from '../../experiments/baselines.ts';
import { simulatorEventLog } from '../../training/simulator-log.ts';
import { intFlag, jsonFlag, numberFlag, parseFlags } from '../args.ts';
import { formatTable } from '../table.ts';

export const simulateHelp = `nextbest simulate [--env ecommerce] [--env-options JSON] [--behaviour most-popular]
                  [--epsilon 0.5] [--episodes 3000] [--seed 1] [--out simulated.nbev] [--json]

Write a shop's event log from a simulator under a known behaviour policy: the log a model can be
trained on offline ('nextbest train --data simulated.nbev') and then judged by its true return in the
same simulator. Each step is one event: the item shown, its outcome (impression, click, cart or
purchase), the shopper, and the behaviour policy's exact propensity.
  --behaviour NAME   a baseline of the environment (ecommerce: ${Object.keys(BASELINES.ecommerce).join(', ')})
  --epsilon 0.5      share of uniformly random actions mixed in (coverage for offline learning)
  --env-options JSON simulator options, e.g. '{"seed":3,"candidates":20,"clickbaitFraction":0.2}'`;

export function runSimulate(argv: string[]): number {
  const f = parseFlags('simulate', argv, {
    env: { type: 'string' },
    'env-options': { type: 'string' },
    behaviour: { type: 'string' },
    epsilon: { type: 'string' },
    episodes: { type: 'string' },
    seed: { type: 'string' },
    out: { type: 'string' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  });
  if (f.help) {
    console.log(simulateHelp);
    return 0;
  }
  const id = f.env ?? 'ecommerce';
  const options = jsonFlag('env-options', f['env-options'], '{"seed":3,"candidates":20}') ?? {};
  const seed = intFlag('seed', f.seed, 1);
  const episodes = intFlag('episodes', f.episodes, 3_000, 1);
  const epsilon = numberFlag('epsilon', f.epsilon, 0.5);
  const behaviourName = f.behaviour ?? 'most-popular';
  const environment = createEnvironment(id, options);
  const base = baselineFor(id, behaviourName).make(environment, seed);
  const behaviour = new EpsilonSoftPolicy(base, epsilon, seed, actionCount(environment.actionSpace));
  const out = f.out ?? 'simulated.nbev';
  const started = performance.now();
  const { log, returns } = simulatorEventLog({ environment, behaviour, episodes, seed });
  const events = writeEventLog(out, log);
  const value = summarize(returns);
  const summary = {
    environment: id,
    behaviour: `${behaviourName}, ε = ${epsilon}`,
    episodes,
    events,
    items: log.itemIds.length,
    users: log.userIds.length,
    types: countByType(log),
    behaviourReturn: { mean: value.mean, lower: value.lower, upper: value.upper },
    seconds: (performance.now() - started) / 1000,
    saved: out,
  };
  if (f.json) {
    console.log(JSON.stringify(summary, null, 2));
    return 0;
  }
  console.log(
    formatTable(
      ['log', 'value'],
      [
        ['behaviour policy', summary.behaviour],
        ['sessions', String(episodes)],
        ['events', String(events)],
        ['shoppers · items', `${summary.users} · ${summary.items}`],
        ...Object.entries(summary.types).map(([type, n]) => [`  ${type}`, String(n)]),
        ['behaviour return per session', formatMeanCi(value, 3)],
      ],
    ),
  );
  console.log(`written to ${out} in ${summary.seconds.toFixed(1)} s`);
  return 0;
}
