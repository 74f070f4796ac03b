import { parseConfig } from '../core/config.ts';
import { EngineError } from '../core/engine-error.ts';
import type { Environment, Policy, StepInfo } from '../core/types.ts';
import { type EventLog, EventLogBuilder } from '../data/event-log.ts';
import { type PreparedLog, prepareLog } from '../data/prepare.ts';
import { prepareConfigSchema } from '../data/prepare-config.ts';
import { type CollectedEpisodes, collectEpisodes } from './collect-episodes.ts';

/** `impression`: shown and not clicked; the others as a shop logs them (a purchase implies the click). */
export const SIMULATED_EVENT_TYPES = ['impression', 'click', 'cart', 'purchase'] as const;

export interface SimulatorLog {
  /** One event per step: the shown item, its outcome, the behaviour policy's propensity. */
  log: EventLog;
  /** The same steps as OPE data (observations, actions, rewards, propensities by episode). */
  episodes: CollectedEpisodes;
  /** Each episode's true return in the simulator: the behaviour policy's value, measured. */
  returns: Float64Array;
}

const MINUTE = 60_000;

/**
 * A shop's event log written by a simulator under a known behaviour policy: the one kind of log where
 * a policy trained offline can afterwards be run against the truth. Each step becomes an event with
 * the item shown (`info.item`), its outcome (`impression`, `click`, `cart` or `purchase`, from
 * `info.clicked` / `addedToCart` / `purchased`), the shopper (`info.user`) with their visible profile
 * (`info.profile`) as user attributes, the revenue as the value and the behaviour policy's propensity. Episodes are sessions, an hour apart; steps 10 s apart.
 * Episode e is reset with a seed derived from (seed, e), as in `collectEpisodes`.
 */
export function simulatorEventLog(options: {
  environment: Environment;
  behaviour: Policy;
  episodes: number;
  seed?: number;
  /** Time of the first event (default 2026-01-01T00:00Z). */
  startMs?: number;
}): SimulatorLog {
  const start = options.startMs ?? Date.UTC(2026, 0, 1);
  const builder = new EventLogBuilder();
  for (const type of SIMULATED_EVENT_TYPES) builder.types.id(type);
  const episodes = collectEpisodes({
    environment: options.environment,
    behaviour: options.behaviour,
    episodes: options.episodes,
    seed: options.seed,
    onStep: ({ episode, t, decision, result }) => {
      const info = result.info;
      const item = info.item;
      if (typeof item !== 'number') {
        throw new EngineError(
          'E_LOG_ENVIRONMENT',
          `${options.environment.id} does not report the item it showed (info.item), so it cannot write an event log`,
          { hint: 'export event logs from the ecommerce simulator' },
        );
      }
      const value = typeof info.revenue === 'number' && info.revenue > 0 ? info.revenue : undefined;
      const profile = profileOf(info);
      builder.add({
        user: typeof info.user === 'number' ? `u${info.user}` : `e${episode}`,
        item: String(item),
        type: outcome(info),
        timestampMs: start + episode * 60 * MINUTE + t * 10_000,
        session: `s${episode}`,
        propensity: decision.propensity,
        ...(value === undefined ? {} : { value }),
        ...(profile ? { userAttributes: profile } : {}),
      });
    },
  });
  const { episodeStarts, rewards } = episodes;
  const returns = Float64Array.from({ length: options.episodes }, (_, e) => {
    let total = 0;
    for (let i = episodeStarts[e]; i < episodeStarts[e + 1]; i++) total += rewards[i];
    return total;
  });
  return { log: builder.build(), episodes, returns };
}

/** The shopper's visible profile (`info.profile`: fixed per user) as user attributes, if the simulator gives one. */
function profileOf(info: StepInfo): Record<string, string | number> | undefined {
  const profile = info.profile;
  if (typeof profile !== 'object' || profile === null) return undefined;
  const out: Record<string, string | number> = {};
  for (const [name, value] of Object.entries(profile)) {
    if (typeof value === 'number' || typeof value === 'string') out[name] = value;
  }
  return out;
}

function outcome(info: StepInfo): (typeof SIMULATED_EVENT_TYPES)[number] {
  if (info.purchased === true) return 'purchase';
  if (info.addedToCart === true) return 'cart';
  if (info.clicked === true) return 'click';
  return 'impression';
}

/**
 * Bring a fresh simulator to the state a log left it in: run the behaviour policy for the log's
 * episodes with the log's seeds (stock sold, shoppers' loyalty and interests moved, as they were when
 * the log ended), without writing anything. Every policy compared on a log then starts from that same
 * world, the behaviour policy included, as a shop switching policies would.
 */
export function replayLoggedPeriod(options: {
  environment: Environment;
  behaviour: Policy;
  episodes: number;
  seed?: number;
}): Environment {
  collectEpisodes(options);
  return options.environment;
}

/**
 * A simulator log prepared for offline training: its own sessions, every item and session kept (the
 * simulator's ids are clean), the last `validation` share of sessions held out for model selection and
 * no test part: the test is the simulator itself.
 */
export function prepareSimulatorLog(log: EventLog, validation = 0.1): PreparedLog {
  return prepareLog(
    log,
    parseConfig(
      prepareConfigSchema,
      { sessions: 'given', minItemSupport: 1, minSessionLength: 1, split: { validation, test: 0 } },
      'simulator log preparation',
    ),
  );
}
