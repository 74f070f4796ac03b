import { parseConfig } from '../../src/core/config.ts';
import { EventLogBuilder, type PreparedLog, prepareConfigSchema, prepareLog } from '../../src/data/index.ts';

export const t0 = Date.UTC(2024, 0, 1);

/** Item support 1, and otherwise the defaults (a 10% / 10% time split). */
export const PREPARE_SUPPORT_1 = parseConfig(prepareConfigSchema, { minItemSupport: 1 }, 'prepare');

/** A built log prepared with `PREPARE_SUPPORT_1`. */
export const prepare = (builder: EventLogBuilder): PreparedLog =>
  prepareLog(builder.build(), PREPARE_SUPPORT_1);

/**
 * `sessions` users an hour apart, each clicking through 4 items of a cycle of `items` a minute
 * apart; the k-th event of a session has type `types[k mod types.length]`. Prepared with support 1.
 */
export function cycleLog(sessions: number, items: number, types: string[]): PreparedLog {
  return prepare(cycleEvents(sessions, items, types));
}

/** The events of `cycleLog`, not yet prepared. */
export function cycleEvents(sessions: number, items: number, types: string[]): EventLogBuilder {
  const builder = new EventLogBuilder();
  for (let s = 0; s < sessions; s++) {
    for (let k = 0; k < 4; k++) {
      builder.add({
        user: `u${s}`,
        item: `i${(s + k) % items}`,
        type: types[k % types.length],
        timestampMs: t0 + s * 3_600_000 + k * 60_000,
      });
    }
  }
  return builder;
}
