import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

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
  close(): Promise<void>;
}

/** Embedded PostgreSQL: `dataDir` is a directory (durable) or 'memory://' (tests). */
export async function openPglite(dataDir: string): Promise<Sql> {
  const db = await PGlite.create(dataDir);
  const wrap = (q: { query: PGlite['query'] }): Sql => ({
    kind: 'pglite',
    query: async <T>(text: string, params: unknown[] = []) => (await q.query<T>(text, params)).rows,
    transaction: (work) => db.transaction((tx) => work(wrap(tx))),
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
    throw new Error(`schema name '${schema}' must be lower-case letters, digits and _`);
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
    close: async () => {},
  });
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
    close: () => pool.end(),
  };
}
