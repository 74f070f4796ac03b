import type { StoredTransition } from './replay-batch.ts';

interface Step {
  observation: Float32Array;
  action: number;
  reward: number;
}

/**
 * Turns 1-step transitions into n-step ones (Sutton & Barto 2018, §7.1; Hessel et al. 2018):
 * (s_t, a_t, Σ_{i<k} γ^i r_{t+i}, s_{t+k}, γ^k). Windows never cross an episode boundary: at the end of
 * an episode every pending start is flushed with its shorter horizon. A terminated episode ends the
 * bootstrap; a truncated one still bootstraps from the last next state.
 */
export class NStepAccumulator {
  private readonly pending: Step[] = [];

  constructor(
    readonly n: number,
    readonly gamma: number,
  ) {}

  /** Push one environment step; returns the transitions that became complete. */
  push(
    observation: Float32Array,
    action: number,
    reward: number,
    nextObservation: Float32Array,
    terminated: boolean,
    truncated: boolean,
    nextActionMask?: Uint8Array,
  ): StoredTransition[] {
    this.pending.push({ observation, action, reward });
    const out: StoredTransition[] = [];
    const done = terminated || truncated;
    if (!done && this.pending.length < this.n) return out;
    const emit = () => {
      let ret = 0;
      let power = 1;
      for (const step of this.pending) {
        ret += power * step.reward;
        power *= this.gamma;
      }
      const first = this.pending[0];
      out.push({
        observation: first.observation,
        action: first.action,
        reward: ret,
        nextObservation,
        terminated,
        gammaPower: power,
        ...(nextActionMask ? { nextActionMask } : {}),
      });
      this.pending.shift();
    };
    if (done) while (this.pending.length > 0) emit();
    else emit();
    return out;
  }

  reset(): void {
    this.pending.length = 0;
  }
}
