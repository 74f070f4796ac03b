import { z } from 'zod';
import { parseConfig } from '../core/config.ts';
import { EngineError } from '../core/engine-error.ts';
import { Rng } from '../core/rng.ts';
import { box, discrete } from '../core/spaces.ts';
import type { Environment, StepInfo, StepResult } from '../core/types.ts';

export const cartPoleOptionsSchema = z
  .object({
    maxSteps: z.number().int().positive().default(500),
    seed: z.number().int().min(0).default(0),
  })
  .strict();

// Constants of the classic cart-pole (Barto, Sutton & Anderson 1983) as in Gymnasium's CartPole-v1.
const GRAVITY = 9.8;
const CART_MASS = 1.0;
const POLE_MASS = 0.1;
const TOTAL_MASS = CART_MASS + POLE_MASS;
const HALF_POLE_LENGTH = 0.5;
const POLE_MASS_LENGTH = POLE_MASS * HALF_POLE_LENGTH;
const FORCE = 10.0;
const DT_SECONDS = 0.02;
const THETA_LIMIT_RADIANS = (12 * 2 * Math.PI) / 360;
const X_LIMIT = 2.4;

/** Balance a pole on a cart: +1 per step, ends when the pole falls or the cart leaves the track. */
export class CartPoleEnvironment implements Environment {
  readonly id = 'cartpole';
  readonly observationSpace = box([4]);
  readonly actionSpace = discrete(2);
  private readonly maxSteps: number;
  private rng: Rng;
  private x = 0;
  private xDot = 0;
  private theta = 0;
  private thetaDot = 0;
  private t = 0;
  private done = true;

  constructor(options: unknown = {}) {
    const parsed = parseConfig(cartPoleOptionsSchema, options, 'cartpole options');
    this.maxSteps = parsed.maxSteps;
    this.rng = new Rng(parsed.seed);
  }

  private observe(): Float32Array {
    return Float32Array.of(this.x, this.xDot, this.theta, this.thetaDot);
  }

  reset(options: { seed?: number } = {}): { observation: Float32Array; info: StepInfo } {
    if (options.seed !== undefined) this.rng = new Rng(options.seed);
    this.x = this.rng.uniform(-0.05, 0.05);
    this.xDot = this.rng.uniform(-0.05, 0.05);
    this.theta = this.rng.uniform(-0.05, 0.05);
    this.thetaDot = this.rng.uniform(-0.05, 0.05);
    this.t = 0;
    this.done = false;
    return { observation: this.observe(), info: {} };
  }

  step(action: number): StepResult {
    if (action !== 0 && action !== 1) {
      throw new EngineError('E_ACTION_OUT_OF_RANGE', `cartpole has actions 0 and 1, got ${action}`);
    }
    if (this.done) {
      throw new EngineError('E_EPISODE_OVER', 'step() after the episode ended', {
        hint: 'call reset() first',
      });
    }
    // Euler integration of the equations of motion (Florian 2007 correction of Barto et al. 1983).
    const force = action === 1 ? FORCE : -FORCE;
    const cos = Math.cos(this.theta);
    const sin = Math.sin(this.theta);
    const temp = (force + POLE_MASS_LENGTH * this.thetaDot * this.thetaDot * sin) / TOTAL_MASS;
    const thetaAcc =
      (GRAVITY * sin - cos * temp) / (HALF_POLE_LENGTH * (4 / 3 - (POLE_MASS * cos * cos) / TOTAL_MASS));
    const xAcc = temp - (POLE_MASS_LENGTH * thetaAcc * cos) / TOTAL_MASS;
    this.x += DT_SECONDS * this.xDot;
    this.xDot += DT_SECONDS * xAcc;
    this.theta += DT_SECONDS * this.thetaDot;
    this.thetaDot += DT_SECONDS * thetaAcc;
    this.t++;
    const terminated =
      this.x < -X_LIMIT ||
      this.x > X_LIMIT ||
      this.theta < -THETA_LIMIT_RADIANS ||
      this.theta > THETA_LIMIT_RADIANS;
    const truncated = !terminated && this.t >= this.maxSteps;
    this.done = terminated || truncated;
    return { observation: this.observe(), reward: 1, terminated, truncated, info: {} };
  }
}
