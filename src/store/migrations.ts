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
  {
    version: 2,
    name: 'rewards as rows, sessions and users, model versions',
    sql: `
create table rewards (
  id bigserial primary key,
  event_id text not null references decisions (event_id) on delete cascade,
  value double precision not null,
  received_at timestamptz not null default now()
);
create index rewards_event on rewards (event_id, id);
insert into rewards (event_id, value, received_at)
  select event_id, reward, coalesce(rewarded_at, created_at) from decisions where reward is not null;
alter table decisions drop column reward;
alter table decisions drop column reward_count;
alter table decisions drop column rewarded_at;
alter table decisions add column seq bigserial;
create unique index decisions_seq on decisions (seq);
alter table decisions add column session_id text;
alter table decisions add column step integer;
alter table decisions add column user_key text;
create unique index decisions_session_step on decisions (session_id, step) where session_id is not null;
create index decisions_user on decisions (user_key) where user_key is not null;
create table sessions (
  session_id text primary key,
  user_key text,
  started_at timestamptz not null default now(),
  last_at timestamptz not null default now(),
  steps integer not null default 0,
  ended_at timestamptz
);
create index sessions_user on sessions (user_key) where user_key is not null;
create table models (
  version integer primary key,
  created_at timestamptz not null default now(),
  parent integer,
  state text not null check (state in ('candidate', 'live', 'retired', 'rejected')),
  source text not null,
  trained_through bigint not null default 0,
  trained_events integer not null default 0,
  payload bytea not null,
  evaluation jsonb,
  promoted_at timestamptz
);
create unique index models_one_live on models (state) where state = 'live'`,
  },
  {
    version: 3,
    name: 'offline evaluations',
    sql: `
create table evaluations (
  id text primary key,
  name text not null,
  created_at timestamptz not null default now(),
  start_time timestamptz not null,
  end_time timestamptz not null,
  evaluation_type text not null,
  status text not null,
  request jsonb not null,
  result jsonb
)`,
  },
  {
    version: 4,
    name: 'multi-slot events',
    sql: `
alter table decisions add column slot_of text;
alter table decisions add column slot_id text;
create unique index decisions_slot on decisions (slot_of, slot_id) where slot_of is not null`,
  },
];

/**
 * Bring the schema up to date in one transaction. A transaction-scoped advisory lock makes concurrent
 * replicas take turns, so each migration runs exactly once. Returns the versions applied now.
 */
export async function migrate(sql: Sql): Promise<number[]> {
  return sql.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock(727274, hashtext(current_schema()))');
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
