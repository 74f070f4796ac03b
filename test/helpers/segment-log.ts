import { parseConfig } from '../../src/core/config.ts';
import { Rng } from '../../src/core/rng.ts';
import type { ContextFeatureSpecInput } from '../../src/data/context-features.ts';
import { EventLogBuilder, prepareConfigSchema, prepareLog } from '../../src/data/index.ts';
import type { SequenceRecommenderOptions } from '../../src/evaluation/index.ts';

const t0 = Date.UTC(2024, 0, 1);
const HOUR = 3_600_000;

/**
 * Every session opens on the same item ('home'); what comes next ('pick{segment}', clicked then
 * bought) depends only on the user's segment (one of 12), so the sequence alone cannot tell and the
 * user feature can. Users carry `segment` (categorical) and `age` (numeric, tied to the segment).
 */
export function segmentLog(users = 1200) {
  const builder = new EventLogBuilder();
  const rng = new Rng(3);
  for (let u = 0; u < users; u++) {
    const segment = rng.int(12);
    const attributes = { segment: `s${segment}`, age: 20 + segment * 3 + rng.int(3) };
    const start = t0 + u * HOUR;
    builder.add({
      user: `u${u}`,
      item: 'home',
      type: 'click',
      timestampMs: start,
      userAttributes: attributes,
    });
    builder.add({ user: `u${u}`, item: `pick${segment}`, type: 'click', timestampMs: start + 60_000 });
    builder.add({ user: `u${u}`, item: `pick${segment}`, type: 'purchase', timestampMs: start + 120_000 });
  }
  return prepareLog(builder.build(), parseConfig(prepareConfigSchema, {}, 'prepare'));
}

/** A small seeded SQN (GRU) that learns the segment log in seconds, reading `context` when given. */
export function segmentModelOptions(context?: ContextFeatureSpecInput): SequenceRecommenderOptions {
  return {
    encoder: 'gru',
    mode: 'sqn',
    epochs: 6,
    seed: 1,
    length: 3,
    ...(context ? { context } : {}),
    agent: { batchSize: 64, learningRate: 0.01, network: { embedding: 16, hidden: 16 } },
  };
}
