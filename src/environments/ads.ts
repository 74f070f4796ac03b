import { z } from 'zod';
import { parseConfig } from '../core/config.ts';
import { EngineError } from '../core/engine-error.ts';
import { Rng } from '../core/rng.ts';
import { box, discrete } from '../core/spaces.ts';
import type { Decision, Environment, Policy, StepInfo, StepResult } from '../core/types.ts';

export const adsOptionsSchema = z
  .object({
    /** Auction opportunities in one day (the episode). */
    horizon: z.number().int().positive().default(200),
    budget: z.number().positive().default(6),
    /** Bid = multiplier × valuePerClick × predicted CTR; the actions choose the multiplier. */
    bidMultipliers: z.array(z.number().min(0)).min(2).default([0, 0.5, 0.8, 1, 1.3, 1.8]),
    valuePerClick: z.number().positive().default(1),
    segments: z.number().int().min(1).max(20).default(4),
    /** Spread of the market price around its mean (log-normal σ). */
    priceVolatility: z.number().min(0).default(0.5),
    /** How much the market price swings with the time of day (peak hours cost more). */
    peakSurcharge: z.number().min(0).default(0.8),
    reward: z.enum(['value', 'profit']).default('value'),
    seed: z.number().int().min(0).default(0),
  })
  .strict();
export type AdsOptions = z.output<typeof adsOptionsSchema>;

/**
 * Ad-slot bidding with a daily budget (second-price auctions). Each step one impression is offered:
 * a user segment, the shop's predicted click-through rate, and a hidden market price (log-normal, dearer
 * at peak hours). The agent picks a bid multiplier; it wins when its bid beats the market price and the
 * budget covers it, pays the market price, and gets the click value if the user clicks. A greedy bidder
 * spends the budget on the first, dear impressions; pacing saves it for cheap ones.
 * Known good heuristic: a budget-pacing controller (pacingPolicy).
 */
export class AdsEnvironment implements Environment {
  readonly id = 'ads';
  readonly observationSpace;
  readonly actionSpace;
  readonly options: AdsOptions;
  private rng: Rng;
  private t = 0;
  private spent = 0;
  private wins = 0;
  private segment = 0;
  private predictedCtr = 0;
  private trueCtr = 0;
  private marketPrice = 0;
  private readonly segmentCtr: number[];

  constructor(options: unknown = {}) {
    this.options = parseConfig(adsOptionsSchema, options, 'ads options');
    const o = this.options;
    this.actionSpace = discrete(o.bidMultipliers.length);
    this.observationSpace = box([5 + o.segments], -1, 10);
    const world = new Rng(o.seed);
    this.segmentCtr = Array.from({ length: o.segments }, () => world.uniform(0.02, 0.12));
    this.rng = new Rng(o.seed + 1);
  }

  /** Fraction of the day elapsed. */
  get timeFraction(): number {
    return this.t / this.options.horizon;
  }

  get budgetSpentFraction(): number {
    return this.spent / this.options.budget;
  }

  get currentPredictedCtr(): number {
    return this.predictedCtr;
  }

  private priceLevel(t: number): number {
    // Peak in the middle of the day.
    return 1 + this.options.peakSurcharge * Math.sin((Math.PI * t) / this.options.horizon) ** 2;
  }

  private draw(): void {
    const o = this.options;
    this.segment = this.rng.int(o.segments);
    this.trueCtr = Math.min(0.9, this.segmentCtr[this.segment] * Math.exp(this.rng.normal(0, 0.3)));
    this.predictedCtr = Math.min(0.9, this.trueCtr * Math.exp(this.rng.normal(0, 0.2)));
    // Market price centred on the value of an average impression, dearer at peak hours.
    const fair = o.valuePerClick * 0.07 * this.priceLevel(this.t);
    this.marketPrice = fair * Math.exp(this.rng.normal(-0.5 * o.priceVolatility ** 2, o.priceVolatility));
  }

  private observe(): Float32Array {
    const o = this.options;
    const obs = new Float32Array(5 + o.segments);
    obs[0] = 1 - this.spent / o.budget;
    obs[1] = this.t / o.horizon;
    obs[2] = Math.sin((Math.PI * this.t) / o.horizon);
    obs[3] = this.predictedCtr * 10;
    obs[4] = this.t > 0 ? this.wins / this.t : 0;
    obs[5 + this.segment] = 1;
    return obs;
  }

  private info(extra: Record<string, unknown> = {}): StepInfo {
    return { budgetLeft: this.options.budget - this.spent, ...extra };
  }

  reset(options: { seed?: number } = {}): { observation: Float32Array; info: StepInfo } {
    if (options.seed !== undefined) this.rng = new Rng(options.seed);
    this.t = 0;
    this.spent = 0;
    this.wins = 0;
    this.draw();
    return { observation: this.observe(), info: this.info() };
  }

  step(action: number): StepResult {
    const o = this.options;
    if (!Number.isInteger(action) || action < 0 || action >= o.bidMultipliers.length) {
      throw new EngineError(
        'E_ACTION_OUT_OF_RANGE',
        `ads has actions 0..${o.bidMultipliers.length - 1}, got ${action}`,
      );
    }
    const bid = o.bidMultipliers[action] * o.valuePerClick * this.predictedCtr;
    const price = this.marketPrice;
    const won = bid > 0 && bid >= price && this.spent + price <= o.budget;
    let clicked = false;
    let cost = 0;
    if (won) {
      cost = price; // second price: the winner pays the best competing bid
      this.spent += cost;
      this.wins++;
      clicked = this.rng.float() < this.trueCtr;
    }
    const value = clicked ? o.valuePerClick : 0;
    const reward = o.reward === 'profit' ? value - cost : value;
    this.t++;
    const budgetGone = o.budget - this.spent < 1e-9;
    const truncated = this.t >= o.horizon;
    this.draw();
    return {
      observation: this.observe(),
      reward,
      terminated: budgetGone && !truncated,
      truncated,
      info: this.info({ won, clicked, cost, bid, marketPrice: price }),
    };
  }
}

/**
 * Budget pacing (a proportional controller in the spirit of Agarwal et al. 2014): keep the spent share
 * of the budget close to the elapsed share of the day by lowering the bid multiplier when ahead of
 * schedule and raising it when behind.
 */
export function pacingPolicy(environment: AdsEnvironment, gain = 4): Policy {
  const multipliers = environment.options.bidMultipliers;
  return {
    act(): Decision {
      const behind = environment.timeFraction - environment.budgetSpentFraction; // > 0: spend more
      const target = Math.max(0, 1 + gain * behind);
      let best = 0;
      for (let a = 1; a < multipliers.length; a++) {
        if (Math.abs(multipliers[a] - target) < Math.abs(multipliers[best] - target)) best = a;
      }
      return { action: best, propensity: 1 };
    },
  };
}
