import { EcommerceEnvironment, type EcommerceOptions } from '../environments/ecommerce.ts';
import type { ServiceCall } from './client.ts';

const round = (x: number) => Math.round(x * 1000) / 1000;

/** What a shop would send as context: the visible session and the shopper's profile. */
export function shopContext(observation: Float32Array, categories: number): unknown[] {
  const c = categories;
  return [
    {
      browsed: Array.from(observation.subarray(0, c), round),
      bought: Array.from(observation.subarray(c, 2 * c), round),
      last: Array.from(observation.subarray(2 * c, 3 * c)).indexOf(1),
    },
    {
      event: Array.from(observation.subarray(3 * c, 3 * c + 5)).indexOf(1),
      t: round(observation[3 * c + 5]),
    },
    {
      returning: observation[3 * c + 6],
      tier: round(observation[3 * c + 7]),
      visits: round(observation[3 * c + 8]),
    },
  ];
}

const ITEM_FEATURES = [
  'price',
  'rating',
  'popularity',
  'margin',
  'browsedCategory',
  'boughtCategory',
  'exposure',
  'shown',
  'priceForTier',
] as const;

/** The offered items (those the mask allows) with their attributes, as Personalizer-style actions. */
export function shopCandidates(
  env: EcommerceEnvironment,
  features: Float32Array[],
  mask: Uint8Array,
): Array<{ id: string; features: unknown[] }> {
  const categories = env.options.categories;
  const items = env.actionItems();
  const out: Array<{ id: string; features: unknown[] }> = [];
  features.forEach((f, k) => {
    if (!mask[k]) return;
    const item: Record<string, number | string> = { category: `c${f.subarray(0, categories).indexOf(1)}` };
    ITEM_FEATURES.forEach((name, j) => {
      item[name] = round(f[categories + j]);
    });
    out.push({ id: `item-${items[k]}`, features: [item] });
  });
  return out;
}

export interface ShopTrafficOptions {
  /** Sessions to run. */
  sessions: number;
  /** Session ids are `${prefix}-${i}`. */
  prefix: string;
  /** Shopper i is the simulator reset with seed seedBase + i (and user id `shopper-${seedBase + i}`). */
  seedBase: number;
  /** Called after each session with its return. */
  onSession?: (index: number, sessionReturn: number) => void;
}

/**
 * Simulated shoppers served over HTTP: each step asks the service for a decision in the native session
 * API, plays the chosen item in the ecommerce simulator, and sends back the reward; each session is ended.
 * Returns every session's return (the simulator's true reward, which the service only sees as feedback).
 */
export async function runShopSessions(
  call: ServiceCall,
  env: EcommerceEnvironment,
  options: ShopTrafficOptions,
): Promise<number[]> {
  const categories = env.options.categories;
  const returns: number[] = [];
  for (let s = 0; s < options.sessions; s++) {
    let { observation, info } = env.reset({ seed: options.seedBase + s });
    const sessionId = `${options.prefix}-${s}`;
    let total = 0;
    for (;;) {
      const offered = shopCandidates(
        env,
        info.actionFeatures as Float32Array[],
        info.actionMask as Uint8Array,
      );
      const decision = await call<{ eventId: string; actionId: string }>('POST', '/v1/decisions', {
        sessionId,
        userId: `shopper-${options.seedBase + s}`,
        context: shopContext(observation, categories),
        candidates: offered,
      });
      const k = Array.from(env.actionItems()).findIndex((item) => `item-${item}` === decision.actionId);
      const step = env.step(k);
      total += step.reward;
      if (step.reward !== 0)
        await call('POST', `/v1/decisions/${decision.eventId}/reward`, { value: step.reward });
      if (step.terminated || step.truncated) break;
      observation = step.observation;
      info = step.info;
    }
    await call('POST', `/v1/sessions/${sessionId}/end`, {});
    returns.push(total);
    options.onSession?.(s, total);
  }
  return returns;
}

/** The shop the serving benchmarks and the dashboard tests use: 10 offered items, a fifth of them clickbait. */
export const SHOP_TRAFFIC_ENV: Partial<EcommerceOptions> = {
  candidates: 10,
  clickbaitFraction: 0.2,
  boredom: true,
};

export function shopEnvironment(seed: number, options: Partial<EcommerceOptions> = {}): EcommerceEnvironment {
  return new EcommerceEnvironment({ ...SHOP_TRAFFIC_ENV, ...options, seed });
}
