import { EngineError } from '../../core/engine-error.ts';
import { type PreparedLog, SPLIT_PARTS, type SplitPart } from '../../data/prepare.ts';
import { bootstrapInterval } from '../ope/bootstrap.ts';
import type { NextItemModel } from './next-item-model.ts';
import { hitRatio, ndcg, rankOf } from './ranking-metrics.ts';

export interface Interval {
  value: number;
  lower: number;
  upper: number;
}

export interface NextItemEvaluation {
  model: string;
  part: SplitPart;
  sessions: number;
  /** Per target group (e.g. click, purchase): how many predictions and the metrics with 95% CIs. */
  groups: Record<string, { targets: number; metrics: Record<string, Interval> }>;
}

export interface NextItemEvaluationOptions {
  part?: SplitPart;
  ks?: number[];
  /** Target groups by event-type names; default click and purchase, as the SQN protocol reports. */
  groups?: Record<string, string[]>;
  /** Bootstrap resamples of held-out sessions for the intervals. */
  resamples?: number;
  seed?: number;
}

/**
 * The SQN evaluation protocol (Xin et al. 2020, §4.1.3): in every held-out session, predict each
 * interaction from the ones before it, ranking the whole catalogue; report HR@k and NDCG@k
 * separately for click and purchase targets. Intervals resample whole sessions (predictions within
 * a session are not independent).
 */
export function evaluateNextItem(
  model: NextItemModel,
  prepared: PreparedLog,
  options: NextItemEvaluationOptions = {},
): NextItemEvaluation {
  const part = options.part ?? 'test';
  const ks = options.ks ?? [5, 10, 20];
  const { log, sessionStarts, sessionPart } = prepared;
  const groupTypes = options.groups ?? { click: ['click'], purchase: ['purchase'] };
  const groupNames = Object.keys(groupTypes);
  const groupOfType = new Int32Array(log.typeNames.length).fill(-1);
  groupNames.forEach((name, g) => {
    for (const type of groupTypes[name]) {
      const t = log.typeNames.indexOf(type);
      if (t >= 0) groupOfType[t] = g;
    }
  });
  const partIndex = SPLIT_PARTS.indexOf(part);
  const sessions: number[] = [];
  for (let s = 0; s < sessionPart.length; s++) if (sessionPart[s] === partIndex) sessions.push(s);
  if (sessions.length === 0) {
    throw new EngineError('E_SPLIT_EMPTY', `the ${part} part has no sessions`, {
      hint: 'give the split a larger fraction, or import more events',
    });
  }
  const metricNames = ks.flatMap((k) => [`hr@${k}`, `ndcg@${k}`]);
  // sums[g][m][session], counts[g][session]
  const sums = groupNames.map(() => metricNames.map(() => new Float64Array(sessions.length)));
  const counts = groupNames.map(() => new Float64Array(sessions.length));
  const scores = new Float32Array(log.itemIds.length);
  sessions.forEach((s, j) => {
    const start = sessionStarts[s];
    for (let t = start + 1; t < sessionStarts[s + 1]; t++) {
      const g = groupOfType[log.types[t]];
      if (g < 0) continue;
      const user = log.users[t];
      model.score(
        {
          items: log.items.subarray(start, t),
          types: log.types.subarray(start, t),
          attribute: (name) => log.userAttributes[name]?.[user],
          timestampMs: log.timestamps[t],
        },
        scores,
      );
      const rank = rankOf(scores, log.items[t]);
      counts[g][j]++;
      ks.forEach((k, m) => {
        sums[g][2 * m][j] += hitRatio(rank, k);
        sums[g][2 * m + 1][j] += ndcg(rank, k);
      });
    }
  });
  const groups: NextItemEvaluation['groups'] = {};
  groupNames.forEach((name, g) => {
    const total = counts[g].reduce((a, b) => a + b, 0);
    // Resample the sessions that hold at least one target of this group.
    const holding = Int32Array.from(sessions.keys()).filter((j) => counts[g][j] > 0);
    const metrics: Record<string, Interval> = {};
    metricNames.forEach((metric, m) => {
      const ratio = (indices?: Int32Array) => {
        let num = 0;
        let den = 0;
        const n = indices ? indices.length : holding.length;
        for (let k = 0; k < n; k++) {
          const j = holding[indices ? indices[k] : k];
          num += sums[g][m][j];
          den += counts[g][j];
        }
        return den === 0 ? Number.NaN : num / den;
      };
      const value = ratio();
      const interval =
        total === 0
          ? { lower: Number.NaN, upper: Number.NaN }
          : bootstrapInterval(holding.length, ratio, {
              resamples: options.resamples ?? 200,
              seed: options.seed ?? 0,
            });
      metrics[metric] = { value, ...interval };
    });
    groups[name] = { targets: total, metrics };
  });
  return { model: model.name, part, sessions: sessions.length, groups };
}
