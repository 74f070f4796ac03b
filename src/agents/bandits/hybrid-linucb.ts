import { z } from 'zod';
import { EngineError } from '../../core/engine-error.ts';
import { Rng } from '../../core/rng.ts';
import { actionCount, flatSize, spaceSchema } from '../../core/spaces.ts';
import type { ActOptions, Agent, AgentSnapshot, AgentStats, Decision, Transition } from '../../core/types.ts';
import { epsilonGreedy, requireAllowedAction } from '../exploration.ts';
import { counterState, makeSnapshot, restoreCounters } from '../snapshot.ts';
import { maskedArgmax } from '../update-rules.ts';

export const hybridLinUcbConfigSchema = z
  .object({
    algorithm: z.literal('hybrid-linucb'),
    observationSpace: spaceSchema,
    actionSpace: spaceSchema,
    seed: z.number().int().min(0).default(0),
    gamma: z.number().min(0).max(1).default(0),
    alpha: z.number().min(0).default(1),
    epsilon: z.number().min(0).max(1).default(0),
    /** Length k of the shared features z_a = actionFeatures[a] (0: the hybrid reduces to disjoint LinUCB). */
    actionFeatureSize: z.number().int().min(0).default(0),
  })
  .strict();
type HybridConfig = z.output<typeof hybridLinUcbConfigSchema>;

/** Inverse of a small symmetric positive-definite matrix by Gauss–Jordan elimination with pivoting. */
function invert(m: Float64Array, n: number): Float64Array {
  const a = Float64Array.from(m);
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r * n + c]) > Math.abs(a[pivot * n + c])) pivot = r;
    if (pivot !== c) {
      for (let j = 0; j < n; j++) {
        [a[c * n + j], a[pivot * n + j]] = [a[pivot * n + j], a[c * n + j]];
        [inv[c * n + j], inv[pivot * n + j]] = [inv[pivot * n + j], inv[c * n + j]];
      }
    }
    const d = a[c * n + c];
    for (let j = 0; j < n; j++) {
      a[c * n + j] /= d;
      inv[c * n + j] /= d;
    }
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = a[r * n + c];
      if (f === 0) continue;
      for (let j = 0; j < n; j++) {
        a[r * n + j] -= f * a[c * n + j];
        inv[r * n + j] -= f * inv[c * n + j];
      }
    }
  }
  return inv;
}

/** y = M x for M rows × cols (row-major). */
function mul(m: Float64Array, x: Float64Array, rows: number, cols: number): Float64Array {
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = 0; j < cols; j++) s += m[i * cols + j] * x[j];
    y[i] = s;
  }
  return y;
}

/** y = Mᵀ x for M rows × cols. */
function mulT(m: Float64Array, x: Float64Array, rows: number, cols: number): Float64Array {
  const y = new Float64Array(cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) y[j] += m[i * cols + j] * x[i];
  return y;
}

const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * b[i], 0);

interface ArmState {
  A: Float64Array; // d × d
  B: Float64Array; // d × k
  b: Float64Array; // d
}

/**
 * LinUCB with hybrid linear models (Li et al. 2010, Algorithm 2): r = z_aᵀβ + x_aᵀθ_a, where β is shared
 * across arms (features of the action, z_a = actionFeatures[a]) and θ_a is per arm (x_a = [observation; 1]).
 * The score adds α times the exact standard deviation s_{t,a} of the paper, which accounts for the
 * correlation between β and θ_a. Deterministic unless epsilon > 0 (exact propensities either way).
 */
export class HybridLinUcbAgent implements Agent {
  readonly algorithm = 'hybrid-linucb';
  private readonly d: number;
  private readonly k: number;
  private readonly arms: ArmState[];
  private A0: Float64Array;
  private b0: Float64Array;
  private rng: Rng;
  private steps = 0;

  constructor(readonly config: HybridConfig) {
    this.d = flatSize(config.observationSpace) + 1;
    this.k = config.actionFeatureSize;
    const n = actionCount(config.actionSpace);
    const identity = (size: number) => {
      const m = new Float64Array(size * size);
      for (let i = 0; i < size; i++) m[i * size + i] = 1;
      return m;
    };
    this.arms = Array.from({ length: n }, () => ({
      A: identity(this.d),
      B: new Float64Array(this.d * this.k),
      b: new Float64Array(this.d),
    }));
    this.A0 = identity(this.k);
    this.b0 = new Float64Array(this.k);
    this.rng = new Rng(config.seed);
  }

  private features(
    observation: Float32Array,
    actionFeatures: Float32Array[] | undefined,
    a: number,
  ): { x: Float64Array; z: Float64Array } {
    const x = new Float64Array(this.d);
    x.set(observation);
    x[this.d - 1] = 1;
    const z = new Float64Array(this.k);
    if (this.k > 0) {
      const phi = actionFeatures?.[a];
      if (!phi || phi.length !== this.k) {
        throw new EngineError(
          'E_ACTION_FEATURES_SIZE',
          `action ${a} needs ${this.k} shared features in actionFeatures`,
          {
            hint: 'pass one Float32Array of actionFeatureSize values per action',
          },
        );
      }
      z.set(phi);
    }
    return { x, z };
  }

  /** Mean estimate and confidence width for every arm (Algorithm 2, lines 8–13). */
  private scores(
    observation: Float32Array,
    actionFeatures?: Float32Array[],
  ): { means: Float64Array; widths: Float64Array } {
    if (observation.length !== this.d - 1) {
      throw new EngineError(
        'E_OBSERVATION_SIZE',
        `observation has ${observation.length} values, the agent expects ${this.d - 1}`,
      );
    }
    const { d, k } = this;
    const A0inv = invert(this.A0, k);
    const beta = mul(A0inv, this.b0, k, k);
    const n = this.arms.length;
    const means = new Float64Array(n);
    const widths = new Float64Array(n);
    for (let a = 0; a < n; a++) {
      const arm = this.arms[a];
      const { x, z } = this.features(observation, actionFeatures, a);
      const Ainv = invert(arm.A, d);
      const theta = mul(
        Ainv,
        arm.b.map((v, i) => v - mul(arm.B, beta, d, k)[i]),
        d,
        d,
      );
      const Ainvx = mul(Ainv, x, d, d);
      const BtAinvx = mulT(arm.B, Ainvx, d, k); // Bᵀ A⁻¹ x  (k)
      const A0invz = mul(A0inv, z, k, k);
      const A0invBtAinvx = mul(A0inv, BtAinvx, k, k);
      const s = dot(z, A0invz) - 2 * dot(z, A0invBtAinvx) + dot(x, Ainvx) + dot(BtAinvx, A0invBtAinvx);
      means[a] = dot(z, beta) + dot(x, theta);
      widths[a] = Math.sqrt(Math.max(s, 0));
    }
    return { means, widths };
  }

  act(observation: Float32Array, options: ActOptions = {}): Decision {
    const { means, widths } = this.scores(observation, options.actionFeatures);
    const n = this.arms.length;
    requireAllowedAction(options.actionMask, n);
    if (options.explore === false) {
      return {
        action: maskedArgmax(means, 0, n, options.actionMask),
        propensity: 1,
        values: Float32Array.from(means),
      };
    }
    const ucb = means.map((m, a) => m + this.config.alpha * widths[a]);
    const { action, propensity } = epsilonGreedy(ucb, n, this.config.epsilon, this.rng, options.actionMask);
    return { action, propensity, values: Float32Array.from(ucb) };
  }

  /** Algorithm 2, lines 17–22. */
  observe(t: Transition): void {
    const { d, k } = this;
    const arm = this.arms[t.action];
    const { x, z } = this.features(t.observation, t.actionFeatures, t.action);
    const r = t.reward;
    // A0 += BᵀA⁻¹B, b0 += BᵀA⁻¹b (with the old arm statistics)...
    const adjust = (sign: number) => {
      const Ainv = invert(arm.A, d);
      for (let i = 0; i < k; i++) {
        for (let j = 0; j < k; j++) {
          let s = 0;
          for (let p = 0; p < d; p++)
            for (let q = 0; q < d; q++) s += arm.B[p * k + i] * Ainv[p * d + q] * arm.B[q * k + j];
          this.A0[i * k + j] += sign * s;
        }
        let s = 0;
        for (let p = 0; p < d; p++)
          for (let q = 0; q < d; q++) s += arm.B[p * k + i] * Ainv[p * d + q] * arm.b[q];
        this.b0[i] += sign * s;
      }
    };
    adjust(1);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) arm.A[i * d + j] += x[i] * x[j];
      for (let j = 0; j < k; j++) arm.B[i * k + j] += x[i] * z[j];
      arm.b[i] += r * x[i];
    }
    // ...then A0 += zzᵀ − BᵀA⁻¹B, b0 += rz − BᵀA⁻¹b (with the new ones).
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) this.A0[i * k + j] += z[i] * z[j];
      this.b0[i] += r * z[i];
    }
    adjust(-1);
    this.steps++;
  }

  stats(): AgentStats {
    return { steps: this.steps, updates: this.steps, loss: Number.NaN };
  }

  toJSON(): AgentSnapshot {
    return makeSnapshot(this.algorithm, this.config, {
      ...counterState(this.steps, this.steps, this.rng),
      A0: [...this.A0],
      b0: [...this.b0],
      arms: this.arms.map((arm) => ({ A: [...arm.A], B: [...arm.B], b: [...arm.b] })),
    });
  }

  restore(state: Record<string, unknown>): void {
    ({ steps: this.steps, rng: this.rng } = restoreCounters(state));
    this.A0 = Float64Array.from(state.A0 as number[]);
    this.b0 = Float64Array.from(state.b0 as number[]);
    (state.arms as Array<{ A: number[]; B: number[]; b: number[] }>).forEach((s, a) => {
      this.arms[a].A.set(s.A);
      this.arms[a].B.set(s.B);
      this.arms[a].b.set(s.b);
    });
  }
}
