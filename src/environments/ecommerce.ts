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
    /**
     * 0: every item is an action (action = item id, sold-out items masked). k > 0: each step the shop's
     * retrieval offers k in-stock items, drawn at random (RecSim's candidate documents); the action is
     * an index into info.candidates, and info.actionFeatures describes those k items.
     */
    candidates: z.number().int().min(0).default(0),
    /**
     * Longest slate `stepSlate` accepts. The shopper picks at most one item of a slate by a multinomial
     * logit over the items' appeal and a no-click option (RecSim's choice model); a slate of one is
     * exactly `step`.
     */
    slateSize: z.number().int().min(1).max(50).default(1),
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
  /** The shopper's index in the population (info.user: a log's user id). */
  private userIndex = 0;
  private t = 0;
  private satisfaction = 0.5;
  private readonly boredom: Float64Array;
  private readonly browsed: Float64Array;
  private lastCategory = -1;
  private lastEvent: (typeof EVENTS)[number] = 'none';
  private medianPrice = 1;
  /** What the shop showed this session: per category, decayed like boredom; per item, a count. */
  private readonly exposure: Float64Array;
  private readonly shownItems = new Map<number, number>();
  /** Candidate mode: the item ids offered at this step. */
  private offered: Int32Array = new Int32Array(0);
  /** Length of each info.actionFeatures vector. */
  readonly actionFeatureSize: number;

  constructor(options: unknown = {}) {
    this.options = parseConfig(ecommerceOptionsSchema, options, 'ecommerce options');
    const o = this.options;
    if (o.candidates > o.items) {
      throw new EngineError('E_CONFIG_INVALID', `candidates (${o.candidates}) exceeds items (${o.items})`, {
        hint: 'set candidates to at most the catalogue size, or 0 for the whole catalogue',
        path: 'candidates',
      });
    }
    this.actionSpace = discrete(o.candidates > 0 ? o.candidates : o.items);
    this.actionFeatureSize = o.categories + 9;
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
    this.exposure = new Float64Array(o.categories);
    this.rng = new Rng(o.seed + 1);
  }

  private mask(): Uint8Array {
    if (this.options.candidates > 0) return Uint8Array.from(this.offered, (item) => (item >= 0 ? 1 : 0));
    return Uint8Array.from(this.stock, (s) => (s > 0 ? 1 : 0));
  }

  /** Candidate mode: draw k distinct in-stock items (fewer when fewer are left; empty slots are masked). */
  private offer(): void {
    const k = this.options.candidates;
    if (k === 0) return;
    const inStock: number[] = [];
    for (let i = 0; i < this.stock.length; i++) if (this.stock[i] > 0) inStock.push(i);
    this.offered = new Int32Array(k).fill(-1);
    for (let j = 0; j < Math.min(k, inStock.length); j++) {
      const pick = j + this.rng.int(inStock.length - j);
      [inStock[j], inStock[pick]] = [inStock[pick], inStock[j]];
      this.offered[j] = inStock[j];
    }
  }

  /** The item ids behind the actions: the offered candidates, or every item. */
  actionItems(): Int32Array {
    return this.options.candidates > 0 ? this.offered.slice() : Int32Array.from(this.stock, (_, i) => i);
  }

  /**
   * What a shop knows about showing item i to this user now: category one-hot, relative log price,
   * rating, popularity, margin, and crosses with the visible history (clicks in the item's category this
   * session, the user's purchases in it, how much of the category the shop has just shown, how often
   * this item was shown this session, price × the user's price tier).
   */
  private itemFeatures(i: number): Float32Array {
    const c = this.options.categories;
    const item = this.catalogue[i];
    const f = new Float32Array(c + 9);
    if (i < 0) return f;
    const relativePrice = Math.log(item.price / this.medianPrice);
    f[item.category] = 1;
    f[c] = relativePrice;
    f[c + 1] = item.rating;
    f[c + 2] = Math.log1p(this.sold[i]) / 5;
    f[c + 3] = item.margin;
    f[c + 4] = Math.log1p(this.browsed[item.category]) / 2;
    f[c + 5] = Math.log1p(this.user.purchasesByCategory[item.category]) / 3;
    f[c + 6] = this.exposure[item.category] / 3;
    f[c + 7] = Math.log1p(this.shownItems.get(i) ?? 0);
    f[c + 8] = relativePrice * priceTier(this.user.priceSensitivity);
    return f;
  }

  /** Fresh vectors each step (never mutated later), so arrays kept in a replay buffer stay as they were. */
  private actionFeatures(): Float32Array[] {
    if (this.options.candidates > 0) return Array.from(this.offered, (i) => this.itemFeatures(i));
    return this.catalogue.map((_, i) => this.itemFeatures(i));
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
    o[base + 2] = priceTier(this.user.priceSensitivity);
    o[base + 3] = Math.log1p(this.user.sessions) / 3;
    return o;
  }

  private info(extra: Record<string, unknown> = {}): StepInfo {
    this.offer();
    return {
      actionMask: this.mask(),
      actionFeatures: this.actionFeatures(),
      ...(this.options.candidates > 0 ? { candidates: this.offered.slice() } : {}),
      satisfaction: this.satisfaction,
      user: this.userIndex,
      // What a shop's CRM would hold about the shopper: fixed per user, so a log can keep it as an attribute.
      profile: { priceTier: priceTier(this.user.priceSensitivity) },
      ...extra,
    };
  }

  reset(options: { seed?: number } = {}): { observation: Float32Array; info: StepInfo } {
    if (options.seed !== undefined) this.rng = new Rng(options.seed);
    // Returning users: a user is drawn in proportion to loyalty, which rises with satisfied sessions.
    this.userIndex = this.rng.categorical(this.population.map((u) => u.loyalty));
    this.user = this.population[this.userIndex];
    this.t = 0;
    this.satisfaction = 0.5;
    this.boredom.fill(0);
    this.browsed.fill(0);
    this.exposure.fill(0);
    this.shownItems.clear();
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

  step(chosen: number): StepResult {
    return this.present([chosen]);
  }

  /**
   * Recommend a slate: `actions` are distinct allowed actions, best first, at most `slateSize` of them.
   * info.slate holds their item ids and info.clickedPosition the one clicked (-1: none).
   */
  stepSlate(actions: number[]): StepResult {
    const o = this.options;
    if (!Array.isArray(actions) || actions.length === 0 || actions.length > o.slateSize) {
      throw new EngineError(
        'E_SLATE_SIZE',
        `a slate holds 1..${o.slateSize} actions, got ${Array.isArray(actions) ? actions.length : typeof actions}`,
        { hint: 'raise the slateSize option, or pass fewer actions', path: 'slateSize' },
      );
    }
    if (new Set(actions).size !== actions.length) {
      throw new EngineError(
        'E_SLATE_DUPLICATE',
        `a slate lists each action once, got [${actions.join(', ')}]`,
      );
    }
    return this.present(actions);
  }

  private itemOf(chosen: number): number {
    const o = this.options;
    const n = o.candidates > 0 ? o.candidates : o.items;
    if (!Number.isInteger(chosen) || chosen < 0 || chosen >= n) {
      throw new EngineError('E_ACTION_OUT_OF_RANGE', `ecommerce has actions 0..${n - 1}, got ${chosen}`);
    }
    const item = o.candidates > 0 ? this.offered[chosen] : chosen;
    if (item < 0 || this.stock[item] <= 0) {
      throw new EngineError(
        'E_ACTION_MASKED',
        `action ${chosen} is not available (empty slot or out of stock)`,
        {
          hint: 'respect info.actionMask',
        },
      );
    }
    return item;
  }

  private present(chosen: number[]): StepResult {
    const o = this.options;
    const shown = chosen.map((a) => this.itemOf(a));
    const user = this.user;
    // Multinomial logit with a no-click option of weight 1: item j is clicked with probability
    // e^appeal_j / (1 + Σ e^appeal), so a single item is clicked with sigmoid(appeal), as in outcomeProbabilities.
    const outcomes = shown.map((i) => this.outcomeProbabilities(i));
    const weights = outcomes.map((q) => q.click / Math.max(1e-12, 1 - q.click));
    const total = 1 + weights.reduce((a, w) => a + w, 0);
    const draw = this.rng.float();
    let position = shown.length === 1 ? (draw < outcomes[0].click ? 0 : -1) : -1;
    const u = draw * total;
    for (let j = 0, acc = 0; j < shown.length && shown.length > 1; j++) {
      acc += weights[j];
      if (u < acc) {
        position = j;
        break;
      }
    }
    const clicked = position >= 0;
    const action = shown[Math.max(0, position)];
    const p = outcomes[Math.max(0, position)];
    const item = this.catalogue[action];

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
    // Everything shown counts towards boredom and the shop's exposure record, 1/k per item of a k-slate.
    if (o.boredom) for (let k = 0; k < this.boredom.length; k++) this.boredom[k] *= 0.7;
    for (let k = 0; k < this.exposure.length; k++) this.exposure[k] *= 0.7;
    for (const i of shown) {
      const category = this.catalogue[i].category;
      if (o.boredom) this.boredom[category] += 1 / shown.length;
      this.exposure[category] += 1 / shown.length;
      this.shownItems.set(i, (this.shownItems.get(i) ?? 0) + 1);
    }
    let revenue = 0;
    let margin = 0;
    if (purchased) {
      this.stock[action]--;
      this.sold[action]++;
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
        item: action,
        ...(chosen.length > 1 || o.slateSize > 1
          ? { slate: Int32Array.from(shown), clickedPosition: position }
          : {}),
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

/** The visible price tier (from past basket prices in a real shop): the latent sensitivity, coarsened. */
function priceTier(sensitivity: number): number {
  return sensitivity < 0.6 ? 0 : sensitivity < 1.1 ? 0.5 : 1;
}

function clamp(x: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, x));
}
