import type { Sql } from './sql.ts';

export type EvaluationStatus =
  | 'pending'
  | 'completed'
  | 'failed'
  | 'optimalPolicyApplied'
  | 'onlinePolicyRetained';

export interface StoredEvaluation {
  id: string;
  name: string;
  createdAt: Date;
  startTime: Date;
  endTime: Date;
  evaluationType: 'Manual' | 'Auto';
  status: EvaluationStatus;
  /** The request as accepted (policies to compare, whether to search). */
  request: unknown;
  /** The results once computed, or the failure. */
  result: unknown;
}

interface Row {
  id: string;
  name: string;
  created_at: Date | string;
  start_time: Date | string;
  end_time: Date | string;
  evaluation_type: 'Manual' | 'Auto';
  status: EvaluationStatus;
  request: unknown;
  result: unknown;
}

const fromRow = (r: Row): StoredEvaluation => ({
  id: r.id,
  name: r.name,
  createdAt: new Date(r.created_at),
  startTime: new Date(r.start_time),
  endTime: new Date(r.end_time),
  evaluationType: r.evaluation_type,
  status: r.status,
  request: r.request,
  result: r.result,
});

/** Offline evaluations (Personalizer's /evaluations): requests, status and results, kept across restarts. */
export class EvaluationStore {
  constructor(private readonly sql: Sql) {}

  /** false when the id is taken. */
  async create(e: Omit<StoredEvaluation, 'createdAt' | 'result' | 'status'>): Promise<boolean> {
    const rows = await this.sql.query(
      `insert into evaluations (id, name, start_time, end_time, evaluation_type, status, request)
       values ($1, $2, $3, $4, $5, 'pending', $6) on conflict (id) do nothing returning id`,
      [e.id, e.name, e.startTime, e.endTime, e.evaluationType, JSON.stringify(e.request)],
    );
    return rows.length === 1;
  }

  async get(id: string): Promise<StoredEvaluation | null> {
    const rows = await this.sql.query<Row>('select * from evaluations where id = $1', [id]);
    return rows.length ? fromRow(rows[0]) : null;
  }

  async list(): Promise<StoredEvaluation[]> {
    return (await this.sql.query<Row>('select * from evaluations order by created_at desc, id')).map(fromRow);
  }

  async finish(id: string, status: EvaluationStatus, result: unknown): Promise<void> {
    await this.sql.query('update evaluations set status = $2, result = $3 where id = $1', [
      id,
      status,
      JSON.stringify(result),
    ]);
  }

  /** Move from `from` to `to` atomically; false when the evaluation was not in state `from`. */
  async transition(id: string, from: EvaluationStatus, to: EvaluationStatus): Promise<boolean> {
    const rows = await this.sql.query(
      'update evaluations set status = $3 where id = $1 and status = $2 returning id',
      [id, from, to],
    );
    return rows.length === 1;
  }

  async delete(id: string): Promise<boolean> {
    return (await this.sql.query('delete from evaluations where id = $1 returning id', [id])).length === 1;
  }

  /**
   * Evaluations left pending by a process that stopped: they will never finish, so say so. (With
   * several replicas, call this only where no other replica can be running one: at a lone start.)
   */
  async failInterrupted(olderThan: Date): Promise<number> {
    const rows = await this.sql.query(
      `update evaluations set status = 'failed', result = $2
       where status = 'pending' and created_at < $1 returning id`,
      [
        olderThan,
        JSON.stringify({
          error: {
            code: 'E_EVALUATION_INTERRUPTED',
            message: 'the server stopped before this evaluation finished; create it again',
          },
        }),
      ],
    );
    return rows.length;
  }
}
