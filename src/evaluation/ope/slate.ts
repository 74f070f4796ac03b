import { EngineError } from '../../core/engine-error.ts';
import { bootstrapInterval } from './bootstrap.ts';
import type { EstimateWithInterval } from './off-policy-evaluate.ts';

/**
 * Logged slates: n impressions of L positions each, arrays row-major n × L. Rewards are per position.
 * Propensities come in three forms, each optional, as in Open Bandit Pipeline:
 *  - position-wise marginals π(a_l | x, l)            → independent IPS (Li et al. 2018)
 *  - cascade products π(a_1..a_l | x), cumulative in l → reward-interaction IPS (McInerney et al. 2020)
 *  - the whole slate π(a_1..a_L | x), one per slate    → standard slate IPS
 * The value is the expected sum of rewards over the positions of a slate.
 */
export interface LoggedSlates {
  slateSize: number;
  rewards: Float64Array;
  loggingMarginal?: Float64Array;
  targetMarginal?: Float64Array;
  loggingCascade?: Float64Array;
  targetCascade?: Float64Array;
  loggingSlate?: Float64Array;
  targetSlate?: Float64Array;
}

export type SlateEstimatorName = 'slate-ips' | 'iips' | 'rips' | 'slate-snips' | 'sniips' | 'snrips';

/** Which weight form each estimator uses, and whether it self-normalises (per position). */
const FORMS: Record<SlateEstimatorName, { form: 'slate' | 'marginal' | 'cascade'; normalise: boolean }> = {
  'slate-ips': { form: 'slate', normalise: false },
  iips: { form: 'marginal', normalise: false },
  rips: { form: 'cascade', normalise: false },
  'slate-snips': { form: 'slate', normalise: true },
  sniips: { form: 'marginal', normalise: true },
  snrips: { form: 'cascade', normalise: true },
};

function weightAt(data: LoggedSlates, form: 'slate' | 'marginal' | 'cascade', i: number, l: number): number {
  if (form === 'slate') return data.targetSlate![i] / data.loggingSlate![i];
  if (form === 'marginal')
    return data.targetMarginal![i * data.slateSize + l] / data.loggingMarginal![i * data.slateSize + l];
  return data.targetCascade![i * data.slateSize + l] / data.loggingCascade![i * data.slateSize + l];
}

/** V̂ = Σ_l mean_i w_{i,l} r_{i,l} (or Σ_l Σ_i w r / Σ_i w when self-normalised). */
export function slateEstimate(name: SlateEstimatorName, data: LoggedSlates, slates?: Int32Array): number {
  const { form, normalise } = FORMS[name];
  const L = data.slateSize;
  const n = data.rewards.length / L;
  const count = slates ? slates.length : n;
  let value = 0;
  for (let l = 0; l < L; l++) {
    let num = 0;
    let den = 0;
    for (let j = 0; j < count; j++) {
      const i = slates ? slates[j] : j;
      const w = weightAt(data, form, i, l);
      num += w * data.rewards[i * L + l];
      den += w;
    }
    value += normalise ? (den > 0 ? num / den : 0) : num / count;
  }
  return value;
}

export function slateOffPolicyEvaluate(
  data: LoggedSlates & {
    estimators?: SlateEstimatorName[];
    confidence?: number;
    seed?: number;
    resamples?: number;
  },
): Record<string, EstimateWithInterval> {
  const L = data.slateSize;
  if (!Number.isInteger(L) || L < 1 || data.rewards.length % L !== 0 || data.rewards.length === 0) {
    throw new EngineError(
      'E_OPE_INPUT',
      `rewards must hold n × slateSize values (slateSize ${L}, got ${data.rewards.length})`,
      {
        path: 'rewards',
        hint: 'row-major, one row per slate',
      },
    );
  }
  const n = data.rewards.length / L;
  const available = (form: 'slate' | 'marginal' | 'cascade') => {
    const pair =
      form === 'slate'
        ? [data.loggingSlate, data.targetSlate, n]
        : form === 'marginal'
          ? [data.loggingMarginal, data.targetMarginal, n * L]
          : [data.loggingCascade, data.targetCascade, n * L];
    const [logging, target, length] = pair as [Float64Array | undefined, Float64Array | undefined, number];
    if (!logging || !target) return false;
    if (logging.length !== length || target.length !== length) {
      throw new EngineError('E_OPE_INPUT', `${form} propensities must have ${length} entries`, {
        path: `logging${form[0].toUpperCase()}${form.slice(1)}`,
      });
    }
    for (let k = 0; k < length; k++) {
      if (!(logging[k] > 0 && logging[k] <= 1)) {
        throw new EngineError(
          'E_OPE_INPUT',
          `${form} logging propensity ${logging[k]} at ${k} is not in (0, 1]`,
          { path: `logging${form[0].toUpperCase()}${form.slice(1)}[${k}]` },
        );
      }
    }
    return true;
  };
  const forms = { slate: available('slate'), marginal: available('marginal'), cascade: available('cascade') };
  const names =
    data.estimators ?? (Object.keys(FORMS) as SlateEstimatorName[]).filter((name) => forms[FORMS[name].form]);
  if (names.length === 0) {
    throw new EngineError('E_OPE_INPUT', 'no propensities given', {
      hint: 'pass marginal, cascade or whole-slate propensities for both policies',
    });
  }
  const out: Record<string, EstimateWithInterval> = {};
  names.forEach((name, k) => {
    if (!forms[FORMS[name].form]) {
      throw new EngineError(
        'E_OPE_INPUT',
        `${name} needs ${FORMS[name].form} propensities for both policies`,
        { path: 'estimators' },
      );
    }
    const value = slateEstimate(name, data);
    const interval = bootstrapInterval(n, (idx) => slateEstimate(name, data, idx), {
      resamples: data.resamples ?? 500,
      confidence: data.confidence ?? 0.95,
      seed: (data.seed ?? 0) + k,
    });
    out[name] = { value, ...interval };
  });
  return out;
}
