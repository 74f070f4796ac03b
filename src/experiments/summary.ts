import { intervalsApart, type Summary, summarize, welchDifference } from '../evaluation/statistics.ts';
import { metricsFor } from './baselines.ts';
import type { ExperimentConfig } from './config.ts';
import type { JobResult } from './run-job.ts';

export interface EntrySummary {
  name: string;
  kind: 'agent' | 'baseline';
  oracle: boolean;
  seeds: number;
  /** Greedy return per episode after training: mean ± 95% CI over seeds. */
  return: Summary;
  metrics: Record<string, Summary>;
  /** Against the best non-oracle baseline: difference of mean returns with a Welch 95% interval. */
  versusBestBaseline?: {
    baseline: string;
    difference: number;
    lower: number;
    upper: number;
    /** The two entries' 95% intervals do not overlap. */
    separated: boolean;
  };
  trainSeconds: number;
  /** Learning curve over seeds: per point, mean ± CI of the windowed training return and loss. */
  curve: Array<{
    step: number;
    return: Summary;
    cumulative: Summary;
    loss: Summary;
    metrics: Record<string, Summary>;
  }>;
}

export interface EnvironmentSummary {
  id: string;
  options: Record<string, unknown>;
  metricLabels: Record<string, { label: string; format: 'percent' | 'number' }>;
  bestBaseline: string | undefined;
  entries: EntrySummary[];
}

export type ExperimentSummary = EnvironmentSummary[];

const finite = (values: number[]) => values.filter((v) => Number.isFinite(v));

export function summarizeExperiment(config: ExperimentConfig, runs: JobResult[]): ExperimentSummary {
  return config.environments.map((environment) => {
    const specs = metricsFor(environment.id);
    const runsOf = new Map(
      environment.entries.map((entry) => [
        entry.name,
        runs.filter((r) => r.environment === environment.id && r.name === entry.name),
      ]),
    );
    const returnsOf = (name: string) => (runsOf.get(name) ?? []).map((r) => r.evaluation.meanReturn);
    const entries: EntrySummary[] = environment.entries.map((entry) => {
      const mine = runsOf.get(entry.name) ?? [];
      const metrics: Record<string, Summary> = {};
      for (const key of Object.keys(specs)) {
        metrics[key] = summarize(finite(mine.map((r) => r.evaluation.metrics[key])));
      }
      const points = Math.max(0, ...mine.map((r) => r.curve.length));
      const curve = Array.from({ length: points }, (_, p) => {
        const at = mine.map((r) => r.curve[p]).filter((c) => c !== undefined);
        const curveMetrics: Record<string, Summary> = {};
        for (const key of Object.keys(specs)) {
          curveMetrics[key] = summarize(finite(at.map((c) => c.metrics[key])));
        }
        return {
          step: at[0].step,
          return: summarize(finite(at.map((c) => c.meanReturn))),
          cumulative: summarize(at.map((c) => c.cumulativeReward)),
          loss: summarize(finite(at.map((c) => c.loss))),
          metrics: curveMetrics,
        };
      });
      return {
        name: entry.name,
        kind: mine[0]?.kind ?? 'agent',
        oracle: mine[0]?.oracle ?? false,
        seeds: mine.length,
        return: summarize(returnsOf(entry.name)),
        metrics,
        trainSeconds: mine.reduce((a, r) => a + r.seconds, 0) / Math.max(1, mine.length),
        curve,
      };
    });
    const baselines = entries.filter((e) => e.kind === 'baseline' && !e.oracle);
    const best = baselines.reduce<EntrySummary | undefined>(
      (a, b) => (a === undefined || b.return.mean > a.return.mean ? b : a),
      undefined,
    );
    if (best) {
      const bestReturns = returnsOf(best.name);
      for (const entry of entries) {
        if (entry === best || entry.oracle) continue;
        const d = welchDifference(returnsOf(entry.name), bestReturns);
        entry.versusBestBaseline = {
          baseline: best.name,
          difference: d.difference,
          lower: d.lower,
          upper: d.upper,
          separated: intervalsApart(entry.return, best.return),
        };
      }
    }
    const metricLabels: EnvironmentSummary['metricLabels'] = {};
    for (const [key, spec] of Object.entries(specs)) {
      metricLabels[key] = { label: spec.label, format: spec.format ?? 'number' };
    }
    return {
      id: environment.id,
      options: environment.options,
      metricLabels,
      bestBaseline: best?.name,
      entries,
    };
  });
}
