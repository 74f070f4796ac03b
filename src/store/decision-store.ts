import type { Sql } from './sql.ts';

export interface RankedAction {
  id: string;
  probability: number;
}

export interface DecisionRecord {
  eventId: string;
  context: unknown[];
  actions: Array<{ id: string; features: unknown[] }>;
  excluded: string[];
  ranking: RankedAction[];
  rewardActionId: string;
  propensity: number;
  modelVersion: number;
  deferred: boolean;
}

export interface StoredDecision extends DecisionRecord {
  createdAt: Date;
  activatedAt: Date | null;
  reward: number | null;
  rewardCount: number;
  rewardedAt: Date | null;
}

interface Row {
  event_id: string;
  created_at: Date | string;
  context: unknown[];
  actions: Array<{ id: string; features: unknown[] }>;
  excluded: string[];
  ranking: RankedAction[];
  reward_action_id: string;
  propensity: number;
  model_version: number;
  deferred: boolean;
  activated_at: Date | string | null;
  reward: number | null;
  reward_count: number;
  rewarded_at: Date | string | null;
}

const date = (v: Date | string | null) => (v === null ? null : new Date(v));

function fromRow(r: Row): StoredDecision {
  return {
    eventId: r.event_id,
    createdAt: new Date(r.created_at),
    context: r.context,
    actions: r.actions,
    excluded: r.excluded,
    ranking: r.ranking,
    rewardActionId: r.reward_action_id,
    propensity: r.propensity,
    modelVersion: r.model_version,
    deferred: r.deferred,
    activatedAt: date(r.activated_at),
    reward: r.reward,
    rewardCount: r.reward_count,
    rewardedAt: date(r.rewarded_at),
  };
}

/** The decision log: every ranked event, its activation and its rewards. A returned promise means committed. */
export class DecisionStore {
  constructor(readonly sql: Sql) {}

  /** false when the eventId is already taken. */
  async insert(d: DecisionRecord): Promise<boolean> {
    const rows = await this.sql.query(
      `insert into decisions (event_id, context, actions, excluded, ranking, reward_action_id, propensity,
         model_version, deferred, activated_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, case when $9 then null else now() end)
       on conflict (event_id) do nothing returning event_id`,
      [
        d.eventId,
        JSON.stringify(d.context),
        JSON.stringify(d.actions),
        JSON.stringify(d.excluded),
        JSON.stringify(d.ranking),
        d.rewardActionId,
        d.propensity,
        d.modelVersion,
        d.deferred,
      ],
    );
    return rows.length === 1;
  }

  /**
   * Record a reward: 'earliest' keeps the first value, 'sum' adds them up. Every call is counted.
   * Returns the updated decision, or null for an unknown eventId.
   */
  async reward(
    eventId: string,
    value: number,
    aggregation: 'earliest' | 'sum',
  ): Promise<StoredDecision | null> {
    const rows = await this.sql.query<Row>(
      `update decisions set
         reward = case when reward is null then $2::double precision
                       when $3 = 'sum' then reward + $2::double precision else reward end,
         reward_count = reward_count + 1,
         rewarded_at = coalesce(rewarded_at, now())
       where event_id = $1 returning *`,
      [eventId, value, aggregation],
    );
    return rows.length === 1 ? fromRow(rows[0]) : null;
  }

  /** Mark a deferred event as shown. Returns null for an unknown eventId. */
  async activate(eventId: string): Promise<StoredDecision | null> {
    const rows = await this.sql.query<Row>(
      'update decisions set activated_at = coalesce(activated_at, now()) where event_id = $1 returning *',
      [eventId],
    );
    return rows.length === 1 ? fromRow(rows[0]) : null;
  }

  async get(eventId: string): Promise<StoredDecision | null> {
    const rows = await this.sql.query<Row>('select * from decisions where event_id = $1', [eventId]);
    return rows.length === 1 ? fromRow(rows[0]) : null;
  }

  async count(): Promise<{
    events: number;
    rewarded: number;
    activated: number;
    from: Date | null;
    to: Date | null;
  }> {
    const [r] = await this.sql.query<{
      events: string;
      rewarded: string;
      activated: string;
      first: Date | string | null;
      last: Date | string | null;
    }>(
      `select count(*) as events, count(reward) as rewarded, count(activated_at) as activated,
         min(created_at) as first, max(created_at) as last from decisions`,
    );
    return {
      events: Number(r.events),
      rewarded: Number(r.rewarded),
      activated: Number(r.activated),
      from: date(r.first),
      to: date(r.last),
    };
  }

  async getSetting<T>(key: string): Promise<T | null> {
    const rows = await this.sql.query<{ value: T }>('select value from settings where key = $1', [key]);
    return rows.length === 1 ? rows[0].value : null;
  }

  async putSetting(key: string, value: unknown): Promise<void> {
    await this.sql.query(
      `insert into settings (key, value) values ($1, $2)
       on conflict (key) do update set value = excluded.value, updated_at = now()`,
      [key, JSON.stringify(value)],
    );
  }
}
