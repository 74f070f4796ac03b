import { z } from 'zod';
import { parseConfig } from '../core/config.ts';
import { EngineError } from '../core/engine-error.ts';
import { Rng } from '../core/rng.ts';
import { box, discrete } from '../core/spaces.ts';
import type { Decision, Environment, Policy, StepInfo, StepResult } from '../core/types.ts';

export const inventoryOptionsSchema = z
  .object({
    /** Days per episode. */
    horizon: z.number().int().positive().default(120),
    /** Days between placing an order and receiving it. */
    leadTime: z.number().int().min(0).max(30).default(3),
    /** Order sizes the agent chooses from (units); 0 = do not order. */
    orderSizes: z.array(z.number().int().min(0)).min(2).default([0, 10, 20, 40, 80]),
    /** Mean daily demand, and the seasonal swing around it (fraction) with its period in days. */
    meanDemand: z.number().positive().default(10),
    seasonalAmplitude: z.number().min(0).max(0.95).default(0.5),
    seasonPeriodDays: z.number().positive().default(60),
    capacity: z.number().int().positive().default(300),
    unitPrice: z.number().positive().default(10),
    unitCost: z.number().min(0).default(6),
    /** Fixed cost of placing any order (transport, handling). */
    orderCost: z.number().min(0).default(40),
    /** Cost per unit held overnight. */
    holdingCost: z.number().min(0).default(0.1),
    /** Goodwill cost per unit of demand that could not be served (on top of the lost margin). */
    stockoutPenalty: z.number().min(0).default(2),
    seed: z.number().int().min(0).default(0),
  })
  .strict();
export type InventoryOptions = z.output<typeof inventoryOptionsSchema>;

/**
 * Reordering one product under seasonal demand: each day Poisson demand arrives and is served from
 * stock (unmet demand is lost), the agent may order one of a few sizes, which arrive after the lead
 * time. Reward = daily profit: sales − unit costs of received orders − fixed order cost − holding −
 * stock-out penalty. The observation is what a planner sees: stock on hand, the order pipeline, the
 * season's phase, and recent demand. Known good heuristic: (s, S) reordering (sSPolicy).
 */
export class InventoryEnvironment implements Environment {
  readonly id = 'inventory';
  readonly observationSpace;
  readonly actionSpace;
  readonly options: InventoryOptions;
  private rng: Rng;
  private t = 0;
  private onHand = 0;
  private pipeline: number[] = [];
  private recentDemand: number[] = [];

  constructor(options: unknown = {}) {
    this.options = parseConfig(inventoryOptionsSchema, options, 'inventory options');
    this.actionSpace = discrete(this.options.orderSizes.length);
    this.observationSpace = box([4 + this.options.leadTime], -1, 10);
    this.rng = new Rng(this.options.seed);
  }

  /** Expected demand on day t (the seasonal mean). */
  meanDemandOn(day: number): number {
    const o = this.options;
    return o.meanDemand * (1 + o.seasonalAmplitude * Math.sin((2 * Math.PI * day) / o.seasonPeriodDays));
  }

  /** Days elapsed in the episode. */
  get day(): number {
    return this.t;
  }

  /** Stock on hand plus everything on order. */
  get inventoryPosition(): number {
    return this.onHand + this.pipeline.reduce((a, b) => a + b, 0);
  }

  private observe(): Float32Array {
    const o = this.options;
    const scale = o.meanDemand * (o.leadTime + 1) * 2;
    const obs = new Float32Array(4 + o.leadTime);
    obs[0] = this.onHand / scale;
    for (let k = 0; k < o.leadTime; k++) obs[1 + k] = (this.pipeline[k] ?? 0) / scale;
    const phase = (2 * Math.PI * this.t) / o.seasonPeriodDays;
    obs[1 + o.leadTime] = Math.sin(phase);
    obs[2 + o.leadTime] = Math.cos(phase);
    const recent = this.recentDemand.length
      ? this.recentDemand.reduce((a, b) => a + b, 0) / this.recentDemand.length
      : o.meanDemand;
    obs[3 + o.leadTime] = recent / o.meanDemand;
    return obs;
  }

  reset(options: { seed?: number } = {}): { observation: Float32Array; info: StepInfo } {
    if (options.seed !== undefined) this.rng = new Rng(options.seed);
    this.t = 0;
    this.onHand = Math.round(this.options.meanDemand * (this.options.leadTime + 2));
    this.pipeline = new Array(this.options.leadTime).fill(0);
    this.recentDemand = [];
    return { observation: this.observe(), info: { onHand: this.onHand } };
  }

  step(action: number): StepResult {
    const o = this.options;
    if (!Number.isInteger(action) || action < 0 || action >= o.orderSizes.length) {
      throw new EngineError(
        'E_ACTION_OUT_OF_RANGE',
        `inventory has actions 0..${o.orderSizes.length - 1}, got ${action}`,
      );
    }
    // Order placed today arrives after the lead time (immediately with lead time 0); capped by capacity.
    const ordered = Math.min(o.orderSizes[action], Math.max(0, o.capacity - this.inventoryPosition));
    let received: number;
    if (o.leadTime === 0) {
      received = ordered;
    } else {
      received = this.pipeline.shift() ?? 0;
      this.pipeline.push(ordered);
    }
    this.onHand += received;
    const demand = poisson(this.rng, this.meanDemandOn(this.t));
    const sold = Math.min(demand, this.onHand);
    const lost = demand - sold;
    this.onHand -= sold;
    const costs =
      received * o.unitCost +
      (ordered > 0 ? o.orderCost : 0) +
      this.onHand * o.holdingCost +
      lost * o.stockoutPenalty;
    const reward = sold * o.unitPrice - costs;
    this.recentDemand.push(demand);
    if (this.recentDemand.length > 7) this.recentDemand.shift();
    this.t++;
    return {
      observation: this.observe(),
      reward,
      terminated: false,
      truncated: this.t >= o.horizon,
      info: {
        demand,
        sold,
        lost,
        ordered,
        received,
        onHand: this.onHand,
        inventoryPosition: this.inventoryPosition,
      },
    };
  }
}

/** Poisson sample: Knuth's product method for small means, a rounded normal approximation above 60. */
function poisson(rng: Rng, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 60) return Math.max(0, Math.round(rng.normal(mean, Math.sqrt(mean))));
  const limit = Math.exp(-mean);
  let k = 0;
  let p = rng.float();
  while (p > limit) {
    k++;
    p *= rng.float();
  }
  return k;
}

/**
 * The (s, S) reorder heuristic (Scarf 1960): when the inventory position falls to s or below, order up
 * to S (the largest allowed size not overshooting S; at least the smallest positive size). With
 * `fromForecast`, s covers the seasonal mean demand over the lead time plus z·√ of it as safety stock,
 * and S adds the economic order quantity √(2·K·D / h).
 */
export function sSPolicy(environment: InventoryEnvironment, s?: number, S?: number, z = 1.65): Policy {
  const o = environment.options;
  return {
    act(): Decision {
      const position = environment.inventoryPosition;
      let low = s;
      let high = S;
      if (low === undefined || high === undefined) {
        let leadDemand = 0;
        for (let k = 0; k <= o.leadTime; k++) leadDemand += environment.meanDemandOn(environment.day + k);
        const eoq = Math.sqrt((2 * o.orderCost * o.meanDemand) / Math.max(o.holdingCost, 1e-6));
        low = leadDemand + z * Math.sqrt(leadDemand);
        high = low + eoq;
      }
      const none = o.orderSizes.indexOf(0);
      if (position > low && none >= 0) return { action: none, propensity: 1 };
      // The positive size closest to what brings the position up to S (the larger one on ties).
      const wanted = high - position;
      let best = -1;
      for (let a = 0; a < o.orderSizes.length; a++) {
        const size = o.orderSizes[a];
        if (size <= 0) continue;
        const gap = Math.abs(size - wanted);
        const bestGap = best < 0 ? Number.POSITIVE_INFINITY : Math.abs(o.orderSizes[best] - wanted);
        if (gap < bestGap || (gap === bestGap && size > o.orderSizes[best])) best = a;
      }
      return { action: best, propensity: 1 };
    },
  };
}
