import { z } from 'zod';
import { badRequest } from './errors.ts';
import { parseDuration } from './service-config.ts';

/**
 * How the background learner trains, judges and promotes (NextBest's own settings, at
 * GET/PUT /v1/configurations/learner).
 */
export const learnerConfigSchema = z
  .object({
    /**
     * lower-bound: promote when the candidate's lower 95% bound beats the live model's estimate;
     * estimate: when its estimate does; always; manual: never by itself (promote through the API or CLI).
     */
    promotion: z.enum(['lower-bound', 'estimate', 'always', 'manual']).default('lower-bound'),
    /** Off-policy estimator over held-out episodes (one-step events are episodes of length one). */
    estimator: z.enum(['wpdis', 'pdis', 'wdr', 'dr']).default('wpdis'),
    /** The newest share of the ready decisions that is held out to judge the candidate. */
    holdoutFraction: z.number().min(0.05).max(0.5).default(0.2),
    /** A round waits until this many decisions are ready. */
    minEvents: z.number().int().min(10).max(10_000_000).default(200),
    maxEventsPerRound: z.number().int().min(100).max(10_000_000).default(200_000),
    epochs: z.number().int().min(1).max(50).default(1),
    /** Discount of later rewards in a session (native API); Personalizer events are one-step. */
    discount: z.number().min(0).max(0.999).default(0.9),
    /** A session with no decision for this long is over. */
    sessionTimeout: z
      .string()
      .refine((v) => parseDuration(v) !== null, 'sessionTimeout must be a duration such as PT30M')
      .default('PT30M'),
    /** In Apprentice mode, switch to Online once the learned policy's lower bound reaches the baseline's. */
    autoSwitchFromApprentice: z.boolean().default(false),
    /** Bootstrap resamples for the confidence intervals. */
    resamples: z.number().int().min(50).max(5000).default(500),
  })
  .strict();

export type LearnerConfig = z.output<typeof learnerConfigSchema>;
export const DEFAULT_LEARNER_CONFIG: LearnerConfig = learnerConfigSchema.parse({});

/** Personalizer's learning settings: GET/PUT /configurations/policy. */
export const policySchema = z
  .object({ name: z.string().min(1).max(256), arguments: z.string().max(4096) })
  .strict();
export type PolicyConfig = z.output<typeof policySchema>;

export const DEFAULT_POLICY: PolicyConfig = {
  name: 'default',
  arguments: '--cb_explore_adf --epsilon 0.2 --power_t 0 -l 0.1 -b 18 --cb_type mtr -q ::',
};

export interface LearningArguments {
  bits: number;
  learningRate: number;
  /** mtr: importance-weighted regression on the shown action (clipped at 10); dm: unweighted. */
  cbType: 'mtr' | 'dm';
}

const VALUE_FLAGS = new Set([
  '-l',
  '--learning_rate',
  '-b',
  '--bit_precision',
  '--cb_type',
  '--epsilon',
  '--power_t',
]);
const REPEATABLE_VALUE_FLAGS = new Set(['-q', '--quadratic', '--interactions']);
const SWITCHES = new Set(['--cb_explore_adf', '--dsjson', '--noconstant']);

/**
 * The Vowpal Wabbit command line Personalizer's learning settings hold, read for what our model uses:
 * -l (learning rate), -b (hash bits, 1..24), --cb_type (mtr or dm). --epsilon is ignored (exploration is
 * the service's explorationPercentage, as in Personalizer); -q/--interactions are accepted (every
 * context × action pair is always crossed); --power_t is accepted (AdaGrad sets the step decay).
 * Anything else is a coded 400, so a setting is never silently dropped.
 */
export function parseLearningArguments(text: string): LearningArguments {
  const tokens = text.trim().split(/\s+/).filter(Boolean);
  const out: LearningArguments = { bits: 18, learningRate: 0.1, cbType: 'mtr' };
  for (let i = 0; i < tokens.length; i++) {
    const flag = tokens[i];
    if (SWITCHES.has(flag)) continue;
    if (!VALUE_FLAGS.has(flag) && !REPEATABLE_VALUE_FLAGS.has(flag)) {
      throw badRequest(
        `arguments: '${flag}' is not supported; use ${[...VALUE_FLAGS, ...REPEATABLE_VALUE_FLAGS, ...SWITCHES].join(' ')}`,
        'E_POLICY_ARGUMENT',
      );
    }
    const value = tokens[++i];
    if (value === undefined) throw badRequest(`arguments: ${flag} needs a value`, 'E_POLICY_ARGUMENT');
    const number = Number(value);
    if (flag === '-l' || flag === '--learning_rate') {
      if (!(number > 0 && number <= 10))
        throw badRequest(`arguments: ${flag} must be in (0, 10]`, 'E_POLICY_ARGUMENT');
      out.learningRate = number;
    } else if (flag === '-b' || flag === '--bit_precision') {
      if (!Number.isInteger(number) || number < 1 || number > 24)
        throw badRequest(`arguments: ${flag} must be an integer 1..24`, 'E_POLICY_ARGUMENT');
      out.bits = number;
    } else if (flag === '--cb_type') {
      if (value !== 'mtr' && value !== 'dm')
        throw badRequest(`arguments: --cb_type must be mtr or dm, got '${value}'`, 'E_POLICY_ARGUMENT');
      out.cbType = value;
    } else if (flag === '--epsilon' || flag === '--power_t') {
      if (!Number.isFinite(number))
        throw badRequest(`arguments: ${flag} needs a number`, 'E_POLICY_ARGUMENT');
    }
  }
  return out;
}
