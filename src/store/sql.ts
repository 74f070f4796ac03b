import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { EngineError } from '../core/engine-error.ts';

/**
 * The few things the store needs from a SQL database, over two drivers that speak the same SQL:
 * embedded PGlite (PostgreSQL compiled to WebAssembly, in a data directory or in memory) and a real
 * PostgreSQL server through node-postgres.
 */
export interface Sql {
  readonly kind: 'pglite' | 'postgres';
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Run `work` in one transaction on one connection; rolled back if it throws. */
  transaction<T>(work: (sql: Sql) => Promise<T>): Promise<T>;
  /**
   * Run `work` while holding a lock that every process on the same database respects (a session-level
   * advisory lock on PostgreSQL; PGlite has one process). null, without running it, when another holds it.
   */
  exclusive<T>(key: number, work: () => Promise<T>): Promise<T | null>;
  /** Call `handler` on every NOTIFY on `channel`; returns a function that stops listening. */
  listen(channel: string, handler: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** One in-process lock per key: what `exclusive` needs where there is only one process. */
function localExclusive(): Sql['exclusive'] {
  const held = new Set<number>();
  return async (key, work) => {
    if (held.has(key)) return null;
    held.add(key);
    try {
      return await work();
    } finally {
      held.delete(key);
    }
  };
}

/** Embedded PostgreSQL: `dataDir` is a directory (durable) or 'memory://' (tests). */
export async function openPglite(dataDir: string): Promise<Sql> {
  const db = await PGlite.create(dataDir);
  const exclusive = localExclusive();
  const wrap = (q: { query: PGlite['query'] }): Sql => ({
    kind: 'pglite',
    query: async <T>(text: string, params: unknown[] = []) => (await q.query<T>(text, params)).rows,
    transaction: (work) => db.transaction((tx) => work(wrap(tx))),
    exclusive,
    listen: async (channel, handler) => db.listen(channel, handler),
    close: async () => {},
  });
  return { ...wrap(db), close: () => db.close() };
}

/** PostgreSQL through a connection pool; `schema` (optional) is created and put first on the search path. */
export async function openPostgres(
  url: string,
  options: { schema?: string; max?: number } = {},
): Promise<Sql> {
  const { schema } = options;
  if (schema !== undefined && !/^[a-z_][a-z0-9_]*$/.test(schema)) {
    throw new EngineError(
      'E_SCHEMA_NAME',
      `schema name '${schema}' must be lower-case letters, digits and _`,
      {
        path: 'schema',
      },
    );
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    ...(schema ? { options: `-c search_path=${schema},public` } : {}),
  });
  if (schema) await pool.query(`create schema if not exists ${schema}`);
  const onClient = (client: pg.PoolClient): Sql => ({
    kind: 'postgres',
    query: async <T>(text: string, params: unknown[] = []) => (await client.query(text, params)).rows as T[],
    transaction: () => {
      throw new Error('nested transactions are not supported');
    },
    exclusive: () => {
      throw new Error('exclusive inside a transaction is not supported');
    },
    listen: () => {
      throw new Error('listen inside a transaction is not supported');
    },
    close: async () => {},
  });
  const local = localExclusive();
  return {
    kind: 'postgres',
    query: async <T>(text: string, params: unknown[] = []) => (await pool.query(text, params)).rows as T[],
    transaction: async (work) => {
      const client = await pool.connect();
      try {
        await client.query('begin');
        const result = await work(onClient(client));
        await client.query('commit');
        return result;
      } catch (error) {
        await client.query('rollback').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    exclusive: (key, work) =>
      // The process's own turn first, then the database-wide lock on a connection held for the duration.
      local(key, async () => {
        const client = await pool.connect();
        try {
          const [{ locked }] = (
            await client.query('select pg_try_advisory_lock($1, hashtext(current_schema())) as locked', [key])
          ).rows;
          if (!locked) return null;
          try {
            return await work();
          } finally {
            await client.query('select pg_advisory_unlock($1, hashtext(current_schema()))', [key]);
          }
        } finally {
          client.release();
        }
      }).then((r) => r ?? null),
    listen: async (channel, handler) => {
      if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`bad channel name '${channel}'`);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      client.on('notification', (message) => {
        if (message.channel === channel) handler(message.payload ?? '');
      });
      client.on('error', () => {});
      await client.query(`listen ${channel}`);
      return async () => {
        await client.end().catch(() => {});
      };
    },
    close: () => pool.end(),
  };
}
