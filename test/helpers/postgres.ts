import { openPostgres, type Sql } from '../../src/store/sql.ts';

export const POSTGRES_URL =
  process.env.NEXTBEST_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A fresh schema on the real PostgreSQL for one test file; dropped afterwards. */
export async function testPostgres(): Promise<Sql & { schema: string; drop(): Promise<void> }> {
  const schema = `nb_test_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  const sql = await openPostgres(POSTGRES_URL, { schema, max: 4 });
  return {
    ...sql,
    schema,
    drop: async () => {
      await sql.query(`drop schema ${schema} cascade`);
      await sql.close();
    },
  };
}
