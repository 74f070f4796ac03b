import { z } from 'zod';
import { parseConfig } from '../core/config.ts';
import { EngineError } from '../core/engine-error.ts';
import { Rng } from '../core/rng.ts';
import { box, discrete } from '../core/spaces.ts';
import type { Environment, StepInfo, StepResult } from '../core/types.ts';

export const ecommerceOptionsSchema = z
  .object({
    items: z.number().int().min(2).max(100_000).default(200),
    categories: z.number().int().min(1).max(100).default(10),
    embeddingSize: z.number().int().min(2).max(64).default(8),
    /** Share of items that attract clicks but disappoint (high appeal, low quality). */
    clickbaitFraction: z.number().min(0).max(1).default(0.1),
    /** Showing the same category again makes it less appealing; switch off to remove the effect. */
    boredom: z.boolean().default(true),
    users: z.number().int().min(1).default(1_000),
    maxSteps: z.number().int().positive().default(30),
    /** Mean initial stock per item (geometric); sold-out items are masked. */
    meanStock: z.number().positive().default(200),
    /** How far a consumed item pulls the user's interests towards it (0 = no drift). */
    interestDrift: z.number().min(0).max(1).default(0.1),
    reward: z
      .object({
        kind: z.enum(['shaped', 'revenue', 'margin']).default('shaped'),
        /** Shaped reward (the brief's): purchase 1, browse/click 0.5, otherwise 0. */
        purchase: z.number().default(1),
        click: z.number().default(0.5),
      })
      .default({ kind: 'shaped', purchase: 1, click: 0.5 }),
    seed: z.number().int().min(0).default(0),
  })
  .strict();
export type EcommerceOptions = z.output<typeof ecommerceOptionsSchema>;

interface Item {
  category: number;
  price: number;
  quality: number;
  margin: number;
  clickbait: boolean;
  embedding: Float64Array;
  /** What the shop sees of quality: an average rating, noisy. */
  rating: number;
}

interface User {
  interest: Float64Array;
  priceSensitivity: number;
  /** Persistent across sessions: drawn more often when satisfied (returning users). */
  loyalty: number;
  sessions: number;
  purchasesByCategory: Float64Array;
}

const EVENTS = ['none', 'skip', 'click', 'cart', 'purchase'] as const;
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * Shoppers in a session (RecSim-style choice model). Each step the shop recommends one item. The user
 * skips it, clicks it (browse), adds it to the cart, or buys it. Appeal follows latent interests, price
 * sensitivity and boredom with the category. Clickbait items appeal but disappoint: they lower
 * satisfaction, and dissatisfied users leave sooner and come back less often. Consumed items pull
 * interests towards them. The observation holds only what a shop can see: the session's browsing and
 * the user's purchase history by category, the last event, a visible profile. info carries the outcome.
 */
export class EcommerceEnvironment implements Environment {
  readonly id = 'ecommerce';
  readonly observationSpace;
  readonly actionSpace;
  readonly options: EcommerceOptions;
  readonly catalogue: Item[] = [];
  private readonly population: User[] = [];
  private readonly stock: Int32Array;
  private readonly sold: Float64Array;
  private rng: Rng;
  // Session state.
  private user!: User;
  private t = 0;
  private satisfaction = 0.5;
  private readonly boredom: Float64Array;
  private readonly browsed: Float64Array;
  private lastCategory = -1;
  private lastEvent: (typeof EVENTS)[number] = 'none';
  private medianPrice = 1;
  private features: Float32Array[] | null = null;

  constructor(options: unknown = {}) {
    this.options = parseConfig(ecommerceOptionsSchema, options, 'ecommerce options');
    const o = this.options;
    this.actionSpace = discrete(o.items);
    this.observationSpace = box([3 * o.categories + EVENTS.length + 4], 0);
    // The world (catalogue and population) comes from the construction seed; sessions from reset seeds.
    const world = new Rng(o.seed);
    const centroids = Array.from({ length: o.categories }, () =>
      unit(Float64Array.from({ length: o.embeddingSize }, () => world.normal())),
    );
    for (let i = 0; i < o.items; i++) {
      const category = world.int(o.categories);
      const embedding = unit(centroids[category].map((c) => c + 0.5 * world.normal()));
      const clickbait = world.float() < o.clickbaitFraction;
      const quality = clickbait ? world.uniform(0, 0.25) : world.beta(4, 2);
      this.catalogue.push({
        category,
        price: Math.exp(world.normal(3.5, 0.6)),
        quality,
        margin: world.uniform(0.1, 0.45),
        clickbait,
        embedding,
        rating: Math.min(1, Math.max(0, quality + world.normal(0, 0.15))),
      });
    }
    const prices = this.catalogue.map((item) => item.price).sort((a, b) => a - b);
    this.medianPrice = prices[Math.floor(prices.length / 2)];
    for (let u = 0; u < o.users; u++) {
      this.population.push({
        interest: unit(Float64Array.from({ length: o.embeddingSize }, () => world.normal())),
        priceSensitivity: world.uniform(0.2, 1.5),
        loyalty: 1,
        sessions: 0,
        purchasesByCategory: new Float64Array(o.categories),
      });
    }
    this.stock = Int32Array.from(
      this.catalogue,
      () => 1 + Math.floor(-Math.log(1 - world.float()) * o.meanStock),
    );
    this.sold = new Float64Array(o.items);
    this.boredom = new Float64Array(o.categories);
    this.browsed = new Float64Array(o.categories);
    this.rng = new Rng(o.seed + 1);
  }

  private mask(): Uint8Array {
    return Uint8Array.from(this.stock, (s) => (s > 0 ? 1 : 0));
  }

  /** Per-item features a shop knows: category one-hot, relative log price, rating, popularity, margin. */
  private itemFeatures(i: number): Float32Array {
    const c = this.options.categories;
    const item = this.catalogue[i];
    const f = new Float32Array(c + 4);
    f[item.category] = 1;
    f[c] = Math.log(item.price / this.medianPrice);
    f[c + 1] = item.rating;
    f[c + 2] = Math.log1p(this.sold[i]) / 5;
    f[c + 3] = item.margin;
    return f;
  }

  /**
   * Copy-on-write: vectors are built once and replaced (never mutated) when an item's popularity
   * changes, so arrays handed out earlier — kept in a replay buffer, say — stay as they were.
   */
  private actionFeatures(): Float32Array[] {
    if (!this.features) this.features = this.catalogue.map((_, i) => this.itemFeatures(i));
    return this.features.slice();
  }

  private observe(): Float32Array {
    const c = this.options.categories;
    const o = new Float32Array(3 * c + EVENTS.length + 4);
    for (let k = 0; k < c; k++) {
      o[k] = this.browsed[k] / this.options.maxSteps;
      o[c + k] = Math.log1p(this.user.purchasesByCategory[k]) / 3;
    }
    if (this.lastCategory >= 0) o[2 * c + this.lastCategory] = 1;
    o[3 * c + EVENTS.indexOf(this.lastEvent)] = 1;
    const base = 3 * c + EVENTS.length;
    o[base] = this.t / this.options.maxSteps;
    o[base + 1] = this.user.sessions > 0 ? 1 : 0;
    // A visible price tier (from past basket prices in a real shop): the sensitivity, coarsened.
    o[base + 2] = this.user.priceSensitivity < 0.6 ? 0 : this.user.priceSensitivity < 1.1 ? 0.5 : 1;
    o[base + 3] = Math.log1p(this.user.sessions) / 3;
    return o;
  }

  private info(extra: Record<string, unknown> = {}): StepInfo {
    return {
      actionMask: this.mask(),
      actionFeatures: this.actionFeatures(),
      satisfaction: this.satisfaction,
      ...extra,
    };
  }

  reset(options: { seed?: number } = {}): { observation: Float32Array; info: StepInfo } {
    if (options.seed !== undefined) this.rng = new Rng(options.seed);
    // Returning users: a user is drawn in proportion to loyalty, which rises with satisfied sessions.
    this.user = this.population[this.rng.categorical(this.population.map((u) => u.loyalty))];
    this.t = 0;
    this.satisfaction = 0.5;
    this.boredom.fill(0);
    this.browsed.fill(0);
    this.lastCategory = -1;
    this.lastEvent = 'none';
    return { observation: this.observe(), info: this.info() };
  }

  /**
   * The oracle: for the current user and session, the probabilities that showing `item` leads to a click,
   * to an add-to-cart given a click, and to a purchase given a cart, and the change in satisfaction a
   * click would cause. It uses the latent truth no shop has: for oracle baselines and tests only.
   */
  outcomeProbabilities(item: number): {
    click: number;
    cartGivenClick: number;
    purchaseGivenCart: number;
    satisfactionChange: number;
  } {
    const it = this.catalogue[item];
    const user = this.user;
    const affinity = dot(user.interest, it.embedding);
    const relativePrice = Math.log(it.price / this.medianPrice);
    let appeal = 2.5 * affinity - user.priceSensitivity * relativePrice - 1.5;
    if (it.clickbait) appeal += 1.5;
    if (this.options.boredom) appeal -= 0.6 * this.boredom[it.category];
    const satisfactionChange = 0.4 * (it.quality - 0.45);
    return {
      click: sigmoid(appeal),
      cartGivenClick: sigmoid(
        4 * it.quality + 2 * affinity - 0.8 * user.priceSensitivity * relativePrice - 3.5,
      ),
      // Purchase depends on satisfaction after the click.
      purchaseGivenCart: 0.25 + 0.5 * clamp(this.satisfaction + satisfactionChange, 0, 1),
      satisfactionChange,
    };
  }

  step(action: number): StepResult {
    const o = this.options;
    if (!Number.isInteger(action) || action < 0 || action >= o.items) {
      throw new EngineError('E_ACTION_OUT_OF_RANGE', `ecommerce has items 0..${o.items - 1}, got ${action}`);
    }
    if (this.stock[action] <= 0) {
      throw new EngineError('E_ACTION_MASKED', `item ${action} is out of stock`, {
        hint: 'respect info.actionMask',
      });
    }
    const item = this.catalogue[action];
    const user = this.user;
    const p = this.outcomeProbabilities(action);
    const clicked = this.rng.float() < p.click;
    let addedToCart = false;
    let purchased = false;
    if (clicked) {
      this.browsed[item.category]++;
      // Quality is what the user finds after clicking: disappointment lowers satisfaction.
      this.satisfaction = clamp(this.satisfaction + p.satisfactionChange, 0, 1);
      addedToCart = this.rng.float() < p.cartGivenClick;
      if (addedToCart) purchased = this.rng.float() < 0.25 + 0.5 * this.satisfaction;
      if (o.interestDrift > 0) {
        for (let j = 0; j < user.interest.length; j++)
          user.interest[j] += o.interestDrift * item.embedding[j];
        unit(user.interest);
      }
    } else {
      this.satisfaction = clamp(this.satisfaction - 0.02, 0, 1);
    }
    if (o.boredom) {
      for (let k = 0; k < this.boredom.length; k++) this.boredom[k] *= 0.7;
      this.boredom[item.category] += 1;
    }
    let revenue = 0;
    let margin = 0;
    if (purchased) {
      this.stock[action]--;
      this.sold[action]++;
      if (this.features) this.features[action] = this.itemFeatures(action);
      user.purchasesByCategory[item.category]++;
      revenue = item.price;
      margin = item.price * item.margin;
      this.satisfaction = clamp(this.satisfaction + 0.1, 0, 1);
    }
    this.lastCategory = item.category;
    this.lastEvent = purchased ? 'purchase' : addedToCart ? 'cart' : clicked ? 'click' : 'skip';
    this.t++;
    // Dissatisfied users leave; so does everyone sometimes.
    const leaves = this.rng.float() < 0.02 + 0.3 * (1 - this.satisfaction) ** 3;
    const truncated = !leaves && this.t >= o.maxSteps;
    if (leaves || truncated) {
      user.sessions++;
      user.loyalty = clamp(0.8 * user.loyalty + 0.4 * this.satisfaction, 0.05, 5);
    }
    const reward =
      o.reward.kind === 'revenue'
        ? revenue
        : o.reward.kind === 'margin'
          ? margin
          : purchased
            ? o.reward.purchase
            : clicked
              ? o.reward.click
              : 0;
    return {
      observation: this.observe(),
      reward,
      terminated: leaves,
      truncated,
      info: this.info({
        clicked,
        addedToCart,
        purchased,
        revenue,
        margin,
        clickbait: item.clickbait,
        category: item.category,
      }),
    };
  }
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function unit(v: Float64Array): Float64Array {
  const norm = Math.sqrt(dot(v, v)) || 1;
  for (let i = 0; i < v.length; i++) v[i] /= norm;
  return v;
}

function clamp(x: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, x));
}
