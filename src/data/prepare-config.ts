import { z } from 'zod';

/** Cleaning, sessionisation and split settings; every field has the default a new user would want. */
export const prepareConfigSchema = z
  .object({
    /** Drop exact repeats: same user, item, event type, timestamp, session and value. */
    deduplicate: z.boolean().default(true),
    bots: z
      .object({
        /** A user who ever exceeds this many events in a 60 s window is treated as a bot. */
        maxEventsPerMinute: z.number().positive().default(120),
        /** ...or who has more events than this in the whole log. */
        maxEventsPerUser: z.number().int().positive().default(50_000),
      })
      .strict()
      .default({ maxEventsPerMinute: 120, maxEventsPerUser: 50_000 }),
    /**
     * `given`: the log's own session ids; `gap`: split each user's events at inactivity gaps;
     * `auto`: given when every event has a session, gap otherwise.
     */
    sessions: z.enum(['auto', 'given', 'gap']).default('auto'),
    sessionGapMinutes: z.number().positive().default(30),
    /** Items with fewer events are removed, then sessions shorter than minSessionLength, until stable. */
    minItemSupport: z.number().int().min(1).default(5),
    minSessionLength: z.number().int().min(1).default(2),
    /** Missing event values: the item's median value, the global median, zero, or left missing. */
    imputeValues: z.enum(['item-median', 'global-median', 'zero', 'none']).default('item-median'),
    /** Time-based split: the sessions that end last form the test set, those before it validation. */
    split: z
      .object({
        validation: z.number().min(0).max(0.45).default(0.1),
        test: z.number().min(0).max(0.45).default(0.1),
      })
      .strict()
      .default({ validation: 0.1, test: 0.1 }),
    /** Remove validation/test events on items the training part never saw (a model cannot rank them). */
    dropUnseenItems: z.boolean().default(true),
  })
  .strict();

export type PrepareConfig = z.output<typeof prepareConfigSchema>;
export type PrepareConfigInput = z.input<typeof prepareConfigSchema>;
