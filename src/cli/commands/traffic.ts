import { formatMeanCi, summarize } from '../../evaluation/statistics.ts';
import { serviceFromEnvironment } from '../../serving/client.ts';
import { runShopSessions, shopEnvironment } from '../../serving/shop-traffic.ts';
import { intFlag, parseFlags } from '../args.ts';
import { progressBar } from '../progress.ts';

export const trafficHelp = `nextbest traffic [--url http://127.0.0.1:8080] [--sessions 200] [--seed 1] [--streams 2]
                 [--prefix sim] [--json] [--quiet]

Simulated shoppers for a running decision service (key from NEXTBEST_API_KEY): each session of the
ecommerce simulator asks /v1/decisions at every step, plays the chosen item, sends the reward back and
ends the session. Use it to watch the learner and the dashboard work before a shop is connected.
  --sessions N   shopping sessions in all (split over --streams concurrent shoppers)
  --seed S       the simulated shop (catalogue and shoppers); the same seed gives the same shoppers
  --prefix P     session ids are P-S-i; a rerun needs a new prefix or seed (ended sessions stay closed)`;

export async function runTraffic(argv: string[]): Promise<number> {
  const f = parseFlags('traffic', argv, {
    url: { type: 'string' },
    sessions: { type: 'string' },
    seed: { type: 'string' },
    streams: { type: 'string' },
    prefix: { type: 'string' },
    json: { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  });
  if (f.help) {
    console.log(trafficHelp);
    return 0;
  }
  const sessions = intFlag('sessions', f.sessions, 200, 1);
  const seed = intFlag('seed', f.seed, 1, 0);
  const streams = Math.min(intFlag('streams', f.streams, 2, 1), sessions);
  const prefix = `${f.prefix ?? 'sim'}-${seed}-${Date.now().toString(36)}`;
  const call = serviceFromEnvironment(f.url);
  const bar = progressBar('shopping sessions', sessions, f.quiet || f.json);
  const started = Date.now();
  let done = 0;
  const per = Math.ceil(sessions / streams);
  const results = await Promise.all(
    Array.from({ length: streams }, (_, s) => {
      const count = Math.min(per, sessions - s * per);
      return runShopSessions(call, shopEnvironment(seed), {
        sessions: count,
        prefix: `${prefix}-${s}`,
        seedBase: 1_000_000 * (seed + 1) + s * per,
        onSession: () => bar.update(++done),
      });
    }),
  );
  bar.stop();
  const returns = results.flat();
  const seconds = (Date.now() - started) / 1000;
  const summary = {
    sessions: returns.length,
    meanReturn: summarize(returns),
    seconds,
    sessionsPerSecond: returns.length / seconds,
  };
  if (f.json) console.log(JSON.stringify(summary));
  else {
    console.log(
      `${returns.length} sessions in ${seconds.toFixed(1)} s: return per session ${formatMeanCi(summary.meanReturn, 3)} (mean ± 95% CI)`,
    );
  }
  return 0;
}
