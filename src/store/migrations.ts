import type { Sql } from './sql.ts';

/** Versioned schema changes, applied in order, each once, each in its own transaction. Never edit one that shipped. */
export const MIGRATIONS: Array<{ version: number; name: string; sql: string }> = [
  {
    version: 1,
    name: 'decision log and settings',
    sql: `
create table decisions (
  event_id text primary key,
  created_at timestamptz not null default now(),
  context jsonb not null,
  actions jsonb not null,
  excluded jsonb not null,
  ranking jsonb not null,
  reward_action_id text not null,
  propensity double precision not null,
  model_version integer not null,
  deferred boolean not null,
  activated_at timestamptz,
  reward double precision,
  reward_count integer not null default 0,
  rewarded_at timestamptz
);
create index decisions_created_at on decisions (created_at);
create table settings (
  key text primary key,
  value jsonb not null,
  updated_at timestamptz not null default now()
);`,
  },
];

/**
 * Bring the schema up to date in one transaction. A transaction-scoped advisory lock makes concurrent
 * replicas take turns, so each migration runs exactly once. Returns the versions applied now.
 */
export async function migrate(sql: Sql): Promise<number[]> {
  return sql.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock(727274)');
    await tx.query(`create table if not exists schema_migrations (
      version integer primary key, name text not null, applied_at timestamptz not null default now())`);
    const done = new Set(
      (await tx.query<{ version: number }>('select version from schema_migrations')).map((r) => r.version),
    );
    const applied: number[] = [];
    for (const migration of MIGRATIONS) {
      if (done.has(migration.version)) continue;
      for (const statement of migration.sql
        .split(';')
        .map((s) => s.trim())
        .filter(Boolean)) {
        await tx.query(statement);
      }
      await tx.query('insert into schema_migrations (version, name) values ($1, $2)', [
        migration.version,
        migration.name,
      ]);
      applied.push(migration.version);
    }
    return applied;
  });
}
