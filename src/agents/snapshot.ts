import type { RngState } from '../core/rng.ts';
import { Rng } from '../core/rng.ts';
import type { AgentSnapshot } from '../core/types.ts';
import type { Tensor } from '../numeric/heap.ts';
import type { Optimizer } from '../numeric/optimizers.ts';
import { decodeFloat32, encodeFloat32 } from '../numeric/serialize.ts';

/** The envelope every agent's toJSON() returns. */
export function makeSnapshot(
  algorithm: string,
  config: unknown,
  state: Record<string, unknown>,
): AgentSnapshot {
  return {
    format: 'nextbest.agent',
    version: 1,
    algorithm,
    config: config as Record<string, unknown>,
    state,
  };
}

/** Counters and the RNG stream, common to every agent's state. */
export function counterState(steps: number, updates: number, rng: Rng): Record<string, unknown> {
  return { steps, updates, rng: rng.state() };
}

export function restoreCounters(state: Record<string, unknown>): {
  steps: number;
  updates: number;
  rng: Rng;
} {
  return {
    steps: state.steps as number,
    updates: (state.updates as number) ?? 0,
    rng: Rng.fromState(state.rng as RngState),
  };
}

/** Online and target weights plus the optimiser's moments (value-based deep agents). */
export function valueNetworkState(
  online: { params: Tensor },
  target: { params: Tensor },
  optimizer: Optimizer,
): Record<string, unknown> {
  const o = optimizer.exportState();
  return {
    online: encodeFloat32(online.params.data),
    target: encodeFloat32(target.params.data),
    optimizer: {
      step: o.step,
      first: encodeFloat32(o.first),
      second: o.second ? encodeFloat32(o.second) : null,
    },
  };
}

export function restoreValueNetworks(
  state: Record<string, unknown>,
  online: { params: Tensor },
  target: { params: Tensor },
  optimizer: Optimizer,
): void {
  online.params.set(decodeFloat32(state.online as string));
  target.params.set(decodeFloat32(state.target as string));
  const o = state.optimizer as { step: number; first: string; second: string | null };
  optimizer.importState({
    step: o.step,
    first: decodeFloat32(o.first),
    second: o.second ? decodeFloat32(o.second) : null,
  });
}
