import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { badRequest, notFound, parseBody } from '../errors.ts';
import { explainDecision, featureImportance } from '../explain.ts';
import { HashedLinearModel } from '../hashed-linear-model.ts';
import type { ServiceState } from '../service-state.ts';

/** Bucket widths the activity series snaps to (seconds), so that chart ticks fall on round times. */
const BUCKET_STEPS = [1, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21_600, 43_200, 86_400];

/** The smallest round bucket width that splits `seconds` into at most `buckets` buckets. */
export function bucketWidth(seconds: number, buckets: number): number {
  const wanted = seconds / buckets;
  return BUCKET_STEPS.find((s) => s >= wanted) ?? Math.ceil(wanted / 86_400) * 86_400;
}

const isoDate = (what: string) =>
  z
    .string()
    .refine(
      (s) => !Number.isNaN(Date.parse(s)),
      `${what} must be an ISO 8601 date, e.g. 2026-11-23T18:00:00Z`,
    )
    .transform((s) => new Date(s));

export const activityQuery = z
  .object({
    from: isoDate('from').optional(),
    to: isoDate('to').optional(),
    buckets: z.coerce.number().int().min(1).max(1000).default(60),
  })
  .strict();

export const listQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(50),
    before: z.coerce.number().int().min(1).optional(),
    sessionId: z.string().min(1).max(256).optional(),
  })
  .strict();

export const explainQuery = z.object({ top: z.coerce.number().int().min(1).max(100).default(12) }).strict();

export const importanceQuery = z
  .object({
    decisions: z.coerce.number().int().min(1).max(2000).default(500),
    version: z.coerce.number().int().min(1).optional(),
  })
  .strict();

export const reportQuery = z.object({ path: z.string().min(1).max(500) }).strict();

export interface ReportEntry {
  /** Path relative to the reports folder, with forward slashes. */
  path: string;
  title: string;
  modifiedAt: Date;
  bytes: number;
}

/** The first `bytes` of a file (a report's title is in its head; reports can be megabytes). */
async function readHead(path: string, bytes: number): Promise<string> {
  const file = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await file.read(Buffer.alloc(bytes), 0, bytes, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await file.close();
  }
}

/** Every HTML report under `dir` (four levels deep at most), newest first. */
export async function listReports(dir: string): Promise<ReportEntry[]> {
  const out: ReportEntry[] = [];
  const walk = async (folder: string, depth: number) => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = join(folder, entry.name);
      if (entry.isDirectory() && depth < 4) await walk(full, depth + 1);
      else if (entry.isFile() && entry.name.endsWith('.html') && out.length < 500) {
        const [info, head] = await Promise.all([stat(full), readHead(full, 4096)]);
        const title = /<title>([^<]*)<\/title>/i.exec(head)?.[1]?.trim();
        out.push({
          path: relative(dir, full).split(sep).join('/'),
          title: title || entry.name,
          modifiedAt: info.mtime,
          bytes: info.size,
        });
      }
    }
  };
  await walk(dir, 0);
  return out.sort((a, b) => b.modifiedAt.getTime() - a.modifiedAt.getTime() || a.path.localeCompare(b.path));
}

/**
 * What the dashboard reads: the decision log's activity over time, recent decisions, why a decision went
 * the way it did, global feature importance, and the HTML reports that runs wrote. All under /v1, behind
 * the API key like the rest.
 */
export async function insightRoutes(
  api: FastifyInstance,
  state: ServiceState,
  options: { reportsDir: string },
): Promise<void> {
  const { store, models } = state;

  api.get('/activity', async (request) => {
    const query = parseBody(activityQuery, request.query);
    const totals = await store.count();
    const to = query.to ?? new Date();
    const from = query.from ?? totals.from ?? new Date(to.getTime() - 3_600_000);
    if (from >= to) throw badRequest('from must be before to', 'E_QUERY_INVALID');
    const seconds = (to.getTime() - from.getTime()) / 1000;
    const bucketSeconds = bucketWidth(seconds, query.buckets);
    const buckets = await store.activity({
      from,
      to,
      bucketSeconds,
      aggregation: state.service.rewardAggregation,
      defaultReward: state.service.defaultReward,
    });
    // Every bucket of the range, empty ones included, so that the charts show gaps as gaps.
    const first = Math.floor(from.getTime() / 1000 / bucketSeconds);
    const last = Math.floor((to.getTime() / 1000 - 1e-9) / bucketSeconds);
    const byStart = new Map(buckets.map((b) => [b.start.getTime() / 1000 / bucketSeconds, b]));
    const series = {
      t: [] as number[],
      decisions: [] as number[],
      perMinute: [] as number[],
      rewardRate: [] as Array<number | null>,
      ctr: [] as Array<number | null>,
      exploration: [] as Array<number | null>,
      modelVersion: [] as Array<number | null>,
    };
    for (let k = first; k <= last; k++) {
      const b = byStart.get(k);
      const n = b?.decisions ?? 0;
      series.t.push(k * bucketSeconds);
      series.decisions.push(n);
      series.perMinute.push((n * 60) / bucketSeconds);
      series.rewardRate.push(b && n > 0 ? b.reward / n : null);
      series.ctr.push(b && n > 0 ? b.positive / n : null);
      series.exploration.push(b && n > 0 ? b.explored / n : null);
      series.modelVersion.push(b ? b.modelVersion : null);
    }
    const sum = (key: 'decisions' | 'rewarded' | 'reward' | 'positive' | 'explored') =>
      buckets.reduce((s, b) => s + b[key], 0);
    const decisions = sum('decisions');
    return {
      from,
      to,
      bucketSeconds,
      live: { version: state.live.version, since: state.live.modifiedAt },
      learningMode: state.service.learningMode,
      explorationPercentage: state.service.explorationPercentage,
      range: {
        decisions,
        rewarded: sum('rewarded'),
        rewardRate: decisions ? sum('reward') / decisions : null,
        ctr: decisions ? sum('positive') / decisions : null,
        exploration: decisions ? sum('explored') / decisions : null,
      },
      allTime: totals,
      series,
    };
  });

  api.get('/decisions', async (request) => {
    const query = parseBody(listQuery, request.query);
    const decisions = await store.recent(query);
    return { decisions, next: decisions.length === query.limit ? decisions.at(-1)?.seq : null };
  });

  api.get<{ Params: { eventId: string } }>('/decisions/:eventId/explanation', async (request) => {
    const { top } = parseBody(explainQuery, request.query);
    const decision = await store.get(request.params.eventId);
    if (!decision) throw notFound(`no decision '${request.params.eventId}'`, 'E_EVENT_NOT_FOUND');
    // Explain with the model that served it; if that version was pruned, with the live one (and say so).
    const served = await models.get(decision.modelVersion);
    const model = served ? HashedLinearModel.fromBytes(served.payload) : state.live.model;
    return explainDecision(model, decision, {
      top,
      explainedWith: served ? served.version : state.live.version,
      service: state.service,
      ...(served
        ? {}
        : {
            note: `model version ${decision.modelVersion} is no longer kept: explained with the live version ${state.live.version}`,
          }),
    });
  });

  api.get('/importance', async (request) => {
    const query = parseBody(importanceQuery, request.query);
    let model = state.live.model;
    let version = state.live.version;
    if (query.version !== undefined && query.version !== version) {
      const stored = await models.get(query.version);
      if (!stored) throw notFound(`no model version ${query.version}`, 'E_MODEL_NOT_FOUND');
      model = HashedLinearModel.fromBytes(stored.payload);
      version = stored.version;
    }
    const decisions = await store.latest(query.decisions);
    return {
      modelVersion: version,
      decisions: decisions.length,
      features: featureImportance(model, decisions),
    };
  });

  api.get('/reports', async () => ({
    folder: options.reportsDir,
    reports: await listReports(options.reportsDir),
  }));

  api.get('/reports/file', async (request, reply) => {
    const { path } = parseBody(reportQuery, request.query);
    const root = resolve(options.reportsDir);
    const full = resolve(root, path);
    if (!full.startsWith(root + sep) || !full.endsWith('.html')) {
      throw badRequest(`path must name an .html report inside the reports folder, got '${path}'`, 'E_PATH');
    }
    let html: string;
    try {
      html = await readFile(full, 'utf8');
    } catch {
      throw notFound(`no report '${path}'`, 'E_REPORT_NOT_FOUND');
    }
    return reply.type('text/html; charset=utf-8').send(html);
  });
}
