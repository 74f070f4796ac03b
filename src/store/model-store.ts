import type { Sql } from './sql.ts';

export type ModelState = 'candidate' | 'live' | 'retired' | 'rejected';

export interface ModelVersion {
  version: number;
  createdAt: Date;
  parent: number | null;
  state: ModelState;
  /** initial | learner | import | reset | rollback */
  source: string;
  /** The decision-log position (seq) the model has learned through. */
  trainedThrough: number;
  trainedEvents: number;
  evaluation: unknown;
  promotedAt: Date | null;
}

interface Row {
  version: number;
  created_at: Date | string;
  parent: number | null;
  state: ModelState;
  source: string;
  trained_through: string | number;
  trained_events: number;
  evaluation: unknown;
  promoted_at: Date | string | null;
  payload?: Uint8Array;
}

const COLUMNS =
  'version, created_at, parent, state, source, trained_through, trained_events, evaluation, promoted_at';

function fromRow(r: Row): ModelVersion {
  return {
    version: r.version,
    createdAt: new Date(r.created_at),
    parent: r.parent,
    state: r.state,
    source: r.source,
    trainedThrough: Number(r.trained_through),
    trainedEvents: r.trained_events,
    evaluation: r.evaluation ?? null,
    promotedAt: r.promoted_at === null ? null : new Date(r.promoted_at),
  };
}

function withPayload(r: Row): ModelVersion & { payload: Uint8Array } {
  return { ...fromRow(r), payload: new Uint8Array(r.payload as Uint8Array) };
}

/** The channel a promotion is announced on, so that other replicas load the new live model. */
export const MODEL_CHANNEL = 'nextbest_models';

/** Model versions: every trained candidate is kept, exactly one is live (a unique partial index says so). */
export class ModelStore {
  constructor(readonly sql: Sql) {}

  async add(model: {
    parent: number | null;
    state: 'candidate' | 'live' | 'rejected';
    source: string;
    trainedThrough: number;
    trainedEvents: number;
    payload: Uint8Array;
    evaluation?: unknown;
  }): Promise<ModelVersion> {
    return this.sql.transaction(async (tx) => {
      // Versions are numbered 1, 2, 3...; the lock makes concurrent writers take turns.
      await tx.query('select pg_advisory_xact_lock(727275, hashtext(current_schema()))');
      if (model.state === 'live') {
        await tx.query(`update models set state = 'retired' where state = 'live'`);
      }
      const [row] = await tx.query<Row>(
        `insert into models (version, parent, state, source, trained_through, trained_events, payload,
           evaluation, promoted_at)
         select coalesce(max(version), 0) + 1, $1, $2, $3, $4, $5, $6, $7,
           case when $2 = 'live' then now() end from models
         returning ${COLUMNS}`,
        [
          model.parent,
          model.state,
          model.source,
          model.trainedThrough,
          model.trainedEvents,
          Buffer.from(model.payload),
          model.evaluation === undefined ? null : JSON.stringify(model.evaluation),
        ],
      );
      if (model.state === 'live') await notify(tx, row.version);
      return fromRow(row);
    });
  }

  /** Create version 1 from `initial()` unless a live model exists; safe when replicas start together. */
  async ensureLive(initial: () => Uint8Array): Promise<void> {
    await this.sql.transaction(async (tx) => {
      await tx.query('select pg_advisory_xact_lock(727275, hashtext(current_schema()))');
      if ((await tx.query(`select 1 from models where state = 'live'`)).length > 0) return;
      await tx.query(
        `insert into models (version, parent, state, source, payload, promoted_at)
         select coalesce(max(version), 0) + 1, null, 'live', 'initial', $1, now() from models`,
        [Buffer.from(initial())],
      );
    });
  }

  async live(): Promise<(ModelVersion & { payload: Uint8Array }) | null> {
    const rows = await this.sql.query<Row>(`select ${COLUMNS}, payload from models where state = 'live'`);
    return rows.length === 1 ? withPayload(rows[0]) : null;
  }

  async get(version: number): Promise<(ModelVersion & { payload: Uint8Array }) | null> {
    const rows = await this.sql.query<Row>(`select ${COLUMNS}, payload from models where version = $1`, [
      version,
    ]);
    return rows.length === 1 ? withPayload(rows[0]) : null;
  }

  /**
   * What the learner continues from: the model most recently created or promoted that was not rejected by a
   * rollback. Candidates that failed the promotion gate keep learning, so new data is never skipped.
   */
  async base(): Promise<(ModelVersion & { payload: Uint8Array }) | null> {
    const rows = await this.sql.query<Row>(
      `select ${COLUMNS}, payload from models where state <> 'rejected'
       order by greatest(created_at, coalesce(promoted_at, created_at)) desc, version desc limit 1`,
    );
    return rows.length === 1 ? withPayload(rows[0]) : null;
  }

  /** Keep the live model and the `keep` most recent others; delete older versions. Returns how many went. */
  async prune(keep = 20): Promise<number> {
    const rows = await this.sql.query(
      `delete from models where state <> 'live' and version not in (
         select version from models where state <> 'live'
         order by greatest(created_at, coalesce(promoted_at, created_at)) desc, version desc limit $1)
       returning version`,
      [keep],
    );
    return rows.length;
  }

  /** Newest first. */
  async list(limit = 100): Promise<ModelVersion[]> {
    const rows = await this.sql.query<Row>(`select ${COLUMNS} from models order by version desc limit $1`, [
      limit,
    ]);
    return rows.map(fromRow);
  }

  /**
   * Make `version` live; the current live one becomes `demoteTo` ('retired', or 'rejected' on a rollback so
   * that a second rollback goes further back). null when there is no such version.
   */
  async promote(version: number, demoteTo: 'retired' | 'rejected' = 'retired'): Promise<ModelVersion | null> {
    return this.sql.transaction(async (tx) => {
      await tx.query('select pg_advisory_xact_lock(727275, hashtext(current_schema()))');
      const exists = await tx.query('select 1 from models where version = $1', [version]);
      if (exists.length === 0) return null;
      await tx.query(`update models set state = $2 where state = 'live' and version <> $1`, [
        version,
        demoteTo,
      ]);
      const [row] = await tx.query<Row>(
        `update models set state = 'live', promoted_at = now() where version = $1 returning ${COLUMNS}`,
        [version],
      );
      await notify(tx, version);
      return fromRow(row);
    });
  }

  /**
   * Put the previously live version back; the current one is marked rejected. null when no earlier
   * version was ever live.
   */
  async rollback(): Promise<ModelVersion | null> {
    const rows = await this.sql.query<{ version: number }>(
      `select version from models where state = 'retired' and promoted_at is not null
       order by promoted_at desc, version desc limit 1`,
    );
    return rows.length === 1 ? this.promote(rows[0].version, 'rejected') : null;
  }
}

async function notify(sql: Sql, version: number): Promise<void> {
  // PGlite and PostgreSQL both deliver NOTIFY on commit.
  await sql.query(`select pg_notify('${MODEL_CHANNEL}', $1)`, [String(version)]);
}
