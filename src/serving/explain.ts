import { aggregateReward, explored, type StoredDecision } from '../store/decision-store.ts';
import {
  flattenFeatures,
  type HashedLinearModel,
  hashContext,
  type ScoreTerm,
} from './hashed-linear-model.ts';
import type { ServiceConfig } from './service-config.ts';

/** A candidate of an explained decision, as the explaining model scores it. */
export interface ExplainedCandidate {
  id: string;
  score: number;
  /** The probability it was served with (0 when excluded). */
  probability: number;
  chosen: boolean;
  excluded: boolean;
}

/** One named feature's part in the choice: its contribution to the chosen and to the runner-up's score. */
export interface ChoiceTerm {
  kind: ScoreTerm['kind'];
  name: string;
  chosen: number;
  runnerUp: number;
  /** chosen − runnerUp: positive terms pushed the choice towards the chosen action. */
  difference: number;
}

export interface DecisionExplanation {
  eventId: string;
  createdAt: Date;
  sessionId?: string;
  step?: number | null;
  /** The model version that served the decision, and the one explaining it (the same unless pruned). */
  modelVersion: number;
  explainedWith: number;
  note?: string;
  context: unknown[];
  candidates: ExplainedCandidate[];
  chosenId: string;
  propensity: number;
  explored: boolean;
  runnerUpId: string | null;
  rewards: number[];
  /** The rewards aggregated as the service configuration says (null while none came). */
  reward: number | null;
  /** The chosen action's score as its largest terms (coefficient × value), by absolute contribution. */
  score: ScoreTerm[];
  /** The part of every candidate's score that is the same for all (bias and context-only terms). */
  sharedShift: number;
  /** What separated the chosen action from the runner-up, largest first. */
  versusRunnerUp: ChoiceTerm[];
}

const byMagnitude =
  <T>(value: (t: T) => number) =>
  (a: T, b: T) =>
    Math.abs(value(b)) - Math.abs(value(a));

/**
 * Why a logged decision went the way it did, under a linear model: each candidate's score, and the
 * chosen one's score split into coefficient × value terms. Bias and context-only terms add the same amount
 * to every candidate, so what decides between two actions is their action and context × action terms;
 * `versusRunnerUp` lists those, summed by feature name, for the chosen action and the best other one.
 */
export function explainDecision(
  model: HashedLinearModel,
  decision: StoredDecision,
  options: { top?: number; explainedWith: number; service: ServiceConfig; note?: string },
): DecisionExplanation {
  const top = options.top ?? 12;
  const excluded = new Set(decision.excluded);
  const context = flattenFeatures(decision.context);
  const probability = new Map(decision.ranking.map((r) => [r.id, r.probability]));
  const termsOf = new Map<string, ScoreTerm[]>();
  const candidates: ExplainedCandidate[] = decision.actions.map((a) => {
    const terms = model.terms(context, flattenFeatures(a.features ?? []));
    termsOf.set(a.id, terms);
    return {
      id: a.id,
      score: terms.reduce((s, t) => s + t.contribution, 0),
      probability: probability.get(a.id) ?? 0,
      chosen: a.id === decision.rewardActionId,
      excluded: excluded.has(a.id),
    };
  });
  const others = candidates.filter((c) => !c.chosen && !c.excluded).sort((a, b) => b.score - a.score);
  const runnerUp = others[0] ?? null;
  const chosenTerms = termsOf.get(decision.rewardActionId) ?? [];
  const sharedShift = chosenTerms
    .filter((t) => t.kind === 'bias' || t.kind === 'context')
    .reduce((s, t) => s + t.contribution, 0);
  const versus = new Map<string, ChoiceTerm>();
  const add = (terms: ScoreTerm[], side: 'chosen' | 'runnerUp') => {
    for (const t of terms) {
      if (t.kind === 'bias' || t.kind === 'context') continue;
      const entry = versus.get(t.name) ?? {
        kind: t.kind,
        name: t.name,
        chosen: 0,
        runnerUp: 0,
        difference: 0,
      };
      entry[side] += t.contribution;
      entry.difference = entry.chosen - entry.runnerUp;
      versus.set(t.name, entry);
    }
  };
  add(chosenTerms, 'chosen');
  if (runnerUp) add(termsOf.get(runnerUp.id) ?? [], 'runnerUp');
  return {
    eventId: decision.eventId,
    createdAt: decision.createdAt,
    ...(decision.sessionId !== undefined ? { sessionId: decision.sessionId, step: decision.step } : {}),
    modelVersion: decision.modelVersion,
    explainedWith: options.explainedWith,
    ...(options.note ? { note: options.note } : {}),
    context: decision.context,
    candidates: candidates.sort((a, b) => Number(a.excluded) - Number(b.excluded) || b.score - a.score),
    chosenId: decision.rewardActionId,
    propensity: decision.propensity,
    explored: explored(decision.propensity, decision.ranking),
    runnerUpId: runnerUp?.id ?? null,
    rewards: decision.rewards.map((r) => r.value),
    reward:
      decision.rewards.length === 0
        ? null
        : aggregateReward(
            decision.rewards.map((r) => r.value),
            options.service.rewardAggregation,
            options.service.defaultReward,
          ),
    score: [...chosenTerms].sort(byMagnitude((t) => t.contribution)).slice(0, top),
    sharedShift,
    versusRunnerUp: [...versus.values()]
      .filter((t) => t.difference !== 0)
      .sort(byMagnitude((t) => t.difference))
      .slice(0, top),
  };
}

/** A flattened feature name without list positions and string values: `browsed[3]` → `browsed`, `category=c2` → `category`. */
export function featureGroup(name: string): string {
  return name.replace(/\[\d+\]/g, '').replace(/=.*$/, '');
}

export interface FeatureImportance {
  /** `context: name` or `action: name` (a feature group: list positions and string values merged). */
  feature: string;
  side: 'context' | 'action';
  /** Mean over decisions of how far the group's contribution spreads the candidates' scores (max − min). */
  importance: number;
  /** importance as a share of all groups' importance. */
  share: number;
  /** Mean absolute contribution to the chosen action's score. */
  magnitude: number;
}

/**
 * Global feature importance of a linear model over logged decisions, by feature group. A group's
 * importance is how much it can reorder the candidates: per decision, the spread (max − min) of its summed
 * contributions over the eligible candidates, averaged over decisions. A context × action term counts half
 * to each side. Context-only terms shift every candidate equally, so they matter only through crosses.
 */
export function featureImportance(
  model: HashedLinearModel,
  decisions: ReadonlyArray<Pick<StoredDecision, 'context' | 'actions' | 'excluded' | 'rewardActionId'>>,
): FeatureImportance[] {
  const spread = new Map<string, number>();
  const magnitude = new Map<string, number>();
  for (const d of decisions) {
    const context = flattenFeatures(d.context);
    const hashed = hashContext(context);
    const contextGroups = [...context.keys()].map((k) => `context: ${featureGroup(k)}`);
    const excluded = new Set(d.excluded);
    const eligible = d.actions.filter((a) => !excluded.has(a.id));
    const perGroup = new Map<string, Float64Array>();
    const row = (key: string) => {
      let r = perGroup.get(key);
      if (!r) {
        r = new Float64Array(eligible.length);
        perGroup.set(key, r);
      }
      return r;
    };
    eligible.forEach((a, k) => {
      const action = flattenFeatures(a.features ?? []);
      const actionRows = [...action.keys()].map((name) => row(`action: ${featureGroup(name)}`));
      const contextRows = contextGroups.map(row);
      model.eachTerm(hashed, action, (kind, c, x, weight, value) => {
        const contribution = weight * value;
        if (kind === 'context') contextRows[c][k] += contribution;
        else if (kind === 'action') actionRows[x][k] += contribution;
        else if (kind === 'pair') {
          contextRows[c][k] += contribution / 2;
          actionRows[x][k] += contribution / 2;
        }
      });
      if (a.id === d.rewardActionId) {
        for (const [key, r] of perGroup) magnitude.set(key, (magnitude.get(key) ?? 0) + Math.abs(r[k]));
      }
    });
    for (const [key, r] of perGroup) {
      let lo = Number.POSITIVE_INFINITY;
      let hi = Number.NEGATIVE_INFINITY;
      for (const x of r) {
        if (x < lo) lo = x;
        if (x > hi) hi = x;
      }
      spread.set(key, (spread.get(key) ?? 0) + hi - lo);
    }
  }
  const n = Math.max(decisions.length, 1);
  const total = [...spread.values()].reduce((a, b) => a + b, 0);
  return [...spread.entries()]
    .map(([feature, s]) => ({
      feature,
      side: feature.startsWith('context:') ? ('context' as const) : ('action' as const),
      importance: s / n,
      share: total === 0 ? 0 : s / total,
      magnitude: (magnitude.get(feature) ?? 0) / n,
    }))
    .sort((a, b) => b.importance - a.importance || a.feature.localeCompare(b.feature));
}
