import { mkdirSync } from 'node:fs';
import { EngineError } from '../../core/engine-error.ts';
import { buildServer } from '../../serving/server.ts';
import { migrate } from '../../store/migrations.ts';
import { openPglite, openPostgres, type Sql } from '../../store/sql.ts';
import { intFlag, parseFlags } from '../args.ts';

export const serveHelp = `nextbest serve [--port 8080] [--host 127.0.0.1] [--data-dir ./.nextbest] [--database-url postgres://...]
              [--schema nextbest] [--rate-limit 60000] [--max-batch 256] [--no-learn] [--compute worker|main]
              [--reports-dir ./reports] [--no-dashboard] [--sequence-model model.json]

The decision service: Azure Personalizer v1.0 (rank, events, configurations, model, logs) under
/personalizer/v1.0/, the native session API, models and learner under /v1/, and /health.
  NEXTBEST_API_KEY        the API key (at least 8 characters), sent as Ocp-Apim-Subscription-Key or
                          Authorization: Bearer
  NEXTBEST_PSEUDONYM_KEY  key of the keyed hash user ids are stored under (default: one made once and
                          kept in the store)
Data goes to embedded PostgreSQL (PGlite) in --data-dir, or to PostgreSQL when --database-url or
DATABASE_URL is set (in --schema, default public); several replicas may share one PostgreSQL. The background learner runs every
modelExportFrequency (--no-learn: this replica only serves). --rate-limit: requests a minute per client
address (0: no limit). --max-batch: most decisions, rewards or activations written in one statement
(group commit: requests that arrive while a write is in flight share the next; 1 writes each alone).
--compute: where learner rounds and offline evaluations run: a worker thread (default), or main, the
thread that serves requests.
--sequence-model: a model from 'nextbest train --data' (SQN, GRU4Rec, SASRec) that POST
/v1/recommendations serves: a session's history in, the next items out, each answer logged with
its probability as a session decision whose reward joins like any other.
The API reference (OpenAPI 3.1) is at /docs, the document at /docs/json.
The dashboard is at / (sign in with the same key): traffic, reward and exploration over time, model
versions with promote and rollback, the decision explorer, the HTML reports in --reports-dir, settings.

nextbest migrate [--data-dir ./.nextbest] [--database-url ...]   bring the schema up to date and exit`;

async function openStore(f: { 'data-dir'?: string; 'database-url'?: string; schema?: string }): Promise<Sql> {
  const url = f['database-url'] ?? process.env.DATABASE_URL;
  if (url) return openPostgres(url, f.schema ? { schema: f.schema } : {});
  const dir = f['data-dir'] ?? '.nextbest';
  mkdirSync(dir, { recursive: true });
  return openPglite(dir);
}

const storeFlags = {
  'data-dir': { type: 'string' },
  'database-url': { type: 'string' },
  schema: { type: 'string' },
  help: { type: 'boolean', default: false },
} as const;

export async function runMigrate(argv: string[]): Promise<number> {
  const f = parseFlags('migrate', argv, storeFlags);
  if (f.help) {
    console.log(serveHelp);
    return 0;
  }
  const sql = await openStore(f);
  try {
    const applied = await migrate(sql);
    console.log(applied.length ? `applied migrations ${applied.join(', ')}` : 'schema is up to date');
  } finally {
    await sql.close();
  }
  return 0;
}

export async function runServe(argv: string[]): Promise<number> {
  const f = parseFlags('serve', argv, {
    ...storeFlags,
    port: { type: 'string' },
    host: { type: 'string' },
    'rate-limit': { type: 'string' },
    'max-batch': { type: 'string' },
    compute: { type: 'string' },
    'no-learn': { type: 'boolean', default: false },
    'reports-dir': { type: 'string' },
    'no-dashboard': { type: 'boolean', default: false },
    'sequence-model': { type: 'string' },
  });
  if (f.help) {
    console.log(serveHelp);
    return 0;
  }
  const apiKey = process.env.NEXTBEST_API_KEY;
  if (!apiKey || apiKey.length < 8) {
    throw new EngineError(
      'E_API_KEY_MISSING',
      'set NEXTBEST_API_KEY (at least 8 characters) before serving',
      {
        hint: 'e.g. NEXTBEST_API_KEY=$(openssl rand -hex 16) npx nextbest serve',
      },
    );
  }
  const port = intFlag('port', f.port, 8080, 0);
  const compute = f.compute ?? 'worker';
  if (compute !== 'worker' && compute !== 'main') {
    throw new EngineError('E_USAGE', `--compute must be worker or main, got '${compute}'`, {
      path: '--compute',
    });
  }
  const sql = await openStore(f);
  const app = await buildServer({
    sql,
    apiKey,
    pseudonymKey: process.env.NEXTBEST_PSEUDONYM_KEY,
    rateLimitPerMinute: intFlag('rate-limit', f['rate-limit'], 60_000, 0),
    maxBatch: intFlag('max-batch', f['max-batch'], 256, 1),
    compute,
    learn: !f['no-learn'],
    dashboard: !f['no-dashboard'],
    reportsDir: f['reports-dir'] ?? 'reports',
    ...(f['sequence-model'] ? { sequenceModel: f['sequence-model'] } : {}),
    logger: false,
    onLearnerRound: (round) => {
      const at = new Date().toISOString();
      if (round instanceof Error) console.error(`${at} learner failed: ${round.message}`);
      else if (round.status === 'trained') {
        const e = round.evaluation;
        console.log(
          `${at} learner: version ${round.model.version} ${e.promoted ? 'promoted' : 'kept as candidate'} (${e.reason}; ${e.holdout.decisions} held-out decisions)`,
        );
      }
    },
  });
  const address = await app.listen({ port, host: f.host ?? '127.0.0.1' });
  console.log(
    `nextbest serving on ${address}: Personalizer API at ${address}/personalizer/v1.0/, sessions at ${address}/v1/${f['no-dashboard'] ? '' : `, dashboard at ${address}/`} (live model version ${app.nextbest.live.version})`,
  );
  const stop = async () => {
    await app.close();
    await sql.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await new Promise(() => {});
  return 0;
}
