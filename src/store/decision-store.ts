import { setImmediate as nextTurn } from 'node:timers/promises';
import { GroupCommit } from './group-commit.ts';
import type { Sql } from './sql.ts';

export interface RankedAction {
  id: string;
  probability: number;
}

export interface LoggedAction {
  id: string;
  features: unknown[];
}

export interface DecisionRecord {
  eventId: string;
  context: unknown[];
  actions: LoggedAction[];
  excluded: string[];
  ranking: RankedAction[];
  rewardActionId: string;
  propensity: number;
  modelVersion: number;
  deferred: boolean;
  /** Native session API only: the session this decision belongs to, and the pseudonymised user. */
  sessionId?: string;
  userKey?: string;
  /**
   * Multi-slot API only: the event this slot belongs to and the slot's id. Each slot is a decision of its
   * own (event id `{eventId}#{slot index}`), ranked after the slots before it took their actions.
   */
  slot?: { eventId: string; id: string };
}

export interface RewardRow {
  value: number;
  receivedAt: Date;
}

export interface StoredDecision extends DecisionRecord {
  seq: number;
  step: number | null;
  createdAt: Date;
  activatedAt: Date | null;
  /** Every reward received, in order. */
  rewards: RewardRow[];
}

/** A decision whose reward window has closed, with its rewards inside the window joined. */
export interface JoinedDecision extends StoredDecision {
  /** Rewards received within rewardWaitTime of the decision (late ones are stored but not joined). */
  joinedRewards: number[];
  /** For a session decision: the next decision of the same session, if any. */
  next: { context: unknown[]; actions: LoggedAction[]; excluded: string[] } | null;
  /** The session ended (explicitly or by inactivity) with this decision. */
  terminal: boolean;
}

/** One time bucket of the decision log (DecisionStore.activity). */
export interface ActivityBucket {
  start: Date;
  decisions: number;
  /** Decisions with at least one reward. */
  rewarded: number;
  /** Sum of the aggregated rewards (the default reward for decisions without one). */
  reward: number;
  /** Decisions whose aggregated reward is positive (a click, a purchase). */
  positive: number;
  /** Decisions that did not take the top-probability action (exploration). */
  explored: number;
  modelVersion: number;
}

/** One decision as a line of a list (DecisionStore.recent). */
export interface DecisionSummary {
  seq: number;
  eventId: string;
  createdAt: Date;
  sessionId?: string;
  step?: number;
  chosenId: string;
  propensity: number;
  explored: boolean;
  modelVersion: number;
  candidates: number;
  rewards: number[];
}

export type ReadyBatch = {
  decisions: JoinedDecision[];
  /** The highest seq every earlier decision of which has been settled (used, or dropped as never shown). */
  settledThrough: number;
};

interface Row {
  seq: string | number;
  event_id: string;
  created_at: Date | string;
  context: unknown[];
  actions: LoggedAction[];
  excluded: string[];
  ranking: RankedAction[];
  reward_action_id: string;
  propensity: number;
  model_version: number;
  deferred: boolean;
  activated_at: Date | string | null;
  session_id: string | null;
  step: number | null;
  user_key: string | null;
  slot_of: string | null;
  slot_id: string | null;
  rewards: Array<[number, string]> | null;
}

const date = (v: Date | string | null) => (v === null ? null : new Date(v));

function fromRow(r: Row): StoredDecision {
  return {
    seq: Number(r.seq),
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
    ...(r.session_id !== null ? { sessionId: r.session_id } : {}),
    ...(r.user_key !== null ? { userKey: r.user_key } : {}),
    ...(r.slot_of !== null ? { slot: { eventId: r.slot_of, id: r.slot_id ?? '' } } : {}),
    step: r.step,
    rewards: (r.rewards ?? []).map(([value, at]) => ({ value, receivedAt: new Date(at) })),
  };
}

/** The rewards of `d` as [[value, received_at], ...] in arrival order; `window` (a SQL condition on r) filters. */
const rewardsOf = (window = 'true') => `(select coalesce(json_agg(json_build_array(r.value, r.received_at)
    order by r.id), '[]'::json) from rewards r where r.event_id = d.event_id and ${window}) as rewards`;

/**
 * A decision explored when the action it took had less than its ranking's top probability: it was not the
 * greedy choice (exact for ε-greedy; Apprentice and LoggingOnly log probability 1, so never). The one rule
 * for the log's activity, its decision lists and explanations; EXPLORED_SQL is the same rule in SQL.
 */
export function explored(propensity: number, ranking: ReadonlyArray<RankedAction>): boolean {
  return propensity < topProbability(ranking) - EXPLORED_TOLERANCE;
}

const topProbability = (ranking: ReadonlyArray<RankedAction>) =>
  Math.max(...ranking.map((r) => r.probability));
const EXPLORED_TOLERANCE = 1e-9;
const EXPLORED_SQL = `(d.propensity < (select max((r ->> 'probability')::float8)
  from jsonb_array_elements(d.ranking) r) - ${EXPLORED_TOLERANCE})`;

/** Aggregate the joined rewards as the service configuration says; the default reward when none came. */
export function aggregateReward(
  values: number[],
  aggregation: 'earliest' | 'sum',
  defaultReward: number,
): number {
  if (values.length === 0) return defaultReward;
  return aggregation === 'earliest' ? values[0] : values.reduce((a, b) => a + b, 0);
}

/** Rows one query of a long read returns (the learner's batch, an evaluation's range). */
const READ_PAGE = 500;

/** The channel a settings change is announced on. */
export const SETTINGS_CHANNEL = 'nextbest_settings';

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string })?.code === '23505';
}

/**
 * One statement for many decisions. Per item: false when its eventId was taken before, or by an earlier
 * item of the same batch (the first one wins, as if they had come one at a time), or by a multi-slot event.
 */
async function insertDecisions(sql: Sql, items: DecisionRecord[]): Promise<boolean[]> {
  const column = (f: (d: DecisionRecord) => unknown) => items.map(f);
  const rows = await sql.query<{ event_id: string }>(
    `insert into decisions (event_id, context, actions, excluded, ranking, reward_action_id, propensity,
       model_version, deferred, activated_at, slot_of, slot_id)
     select u.e, u.c::jsonb, u.a::jsonb, u.x::jsonb, u.r::jsonb, u.ra, u.p, u.mv, u.df,
       case when u.df then null else now() end, u.so, u.si
     from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::float8[],
       $8::int[], $9::boolean[], $10::text[], $11::text[]) with ordinality
       as u(e, c, a, x, r, ra, p, mv, df, so, si, i)
     where u.so is not null or not exists (select 1 from decisions s where s.slot_of = u.e)
     order by u.i
     on conflict (event_id) do nothing returning event_id`,
    [
      column((d) => d.eventId),
      column((d) => JSON.stringify(d.context)),
      column((d) => JSON.stringify(d.actions)),
      column((d) => JSON.stringify(d.excluded)),
      column((d) => JSON.stringify(d.ranking)),
      column((d) => d.rewardActionId),
      column((d) => d.propensity),
      column((d) => d.modelVersion),
      column((d) => d.deferred),
      column((d) => d.slot?.eventId ?? null),
      column((d) => d.slot?.id ?? null),
    ],
  );
  const inserted = new Set(rows.map((r) => r.event_id));
  return items.map((d) => inserted.delete(d.eventId));
}

/**
 * The decision log: every ranked event, its activation, its rewards (one row per acknowledged reward),
 * and the sessions that link decisions into episodes. A resolved promise means committed.
 */
export class DecisionStore {
  /** Concurrent inserts, rewards and activations, each written in one statement per batch. */
  readonly groups: {
    insert: GroupCommit<DecisionRecord, boolean>;
    reward: GroupCommit<{ eventId: string; value: number }, boolean>;
    activate: GroupCommit<string, boolean>;
  };

  constructor(
    readonly sql: Sql,
    options: { maxBatch?: number } = {},
  ) {
    const max = options.maxBatch ?? 256;
    this.groups = {
      insert: new GroupCommit((items) => insertDecisions(this.sql, items), max),
      reward: new GroupCommit((items) => this.rewardMany(items), max),
      activate: new GroupCommit((items) => this.activateMany(items), max),
    };
  }

  /** false when the eventId is already taken. Resolves once committed (group commit). */
  insert(d: DecisionRecord): Promise<boolean> {
    return this.groups.insert.add(d);
  }

  /**
   * A multi-slot event: one decision per slot, all or none. false when the eventId is taken (by a
   * multi-slot or a single event).
   */
  async insertSlots(
    eventId: string,
    slots: Array<DecisionRecord & { slot: { eventId: string; id: string } }>,
  ): Promise<boolean> {
    try {
      return await this.sql.transaction(async (tx) => {
        const taken = await tx.query('select 1 from decisions where event_id = $1 or slot_of = $1 limit 1', [
          eventId,
        ]);
        if (taken.length > 0) return false;
        const inserted = await insertDecisions(tx, slots);
        // A slot row's id is taken only if another request made the same event at the same moment.
        if (inserted.includes(false)) throw Object.assign(new Error('slot taken'), { code: '23505' });
        return true;
      });
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  /** The slot ids of a multi-slot event, in slot order (empty when there is no such event). */
  async slotsOf(eventId: string): Promise<string[]> {
    const rows = await this.sql.query<{ slot_id: string }>(
      'select slot_id from decisions where slot_of = $1 order by event_id',
      [eventId],
    );
    return rows.map((r) => r.slot_id);
  }

  /**
   * Rewards for some slots of a multi-slot event, all or none: 'not-found' for an unknown event, the first
   * unknown slot id as { unknownSlot }, else every reward is stored (a row each, in the order given).
   */
  async rewardSlots(
    eventId: string,
    rewards: Array<{ slotId: string; value: number }>,
  ): Promise<'stored' | 'not-found' | { unknownSlot: string }> {
    return this.sql.transaction(async (tx) => {
      const rows = await tx.query<{ event_id: string; slot_id: string }>(
        'select event_id, slot_id from decisions where slot_of = $1',
        [eventId],
      );
      if (rows.length === 0) return 'not-found';
      const bySlot = new Map(rows.map((r) => [r.slot_id, r.event_id]));
      const unknown = rewards.find((r) => !bySlot.has(r.slotId));
      if (unknown) return { unknownSlot: unknown.slotId };
      await tx.query(
        `insert into rewards (event_id, value)
         select e, v from unnest($1::text[], $2::float8[]) with ordinality as u(e, v, i) order by i`,
        [rewards.map((r) => bySlot.get(r.slotId)), rewards.map((r) => r.value)],
      );
      return 'stored';
    });
  }

  /** Mark every slot of a multi-slot event as shown. false for an unknown event. */
  async activateSlots(eventId: string): Promise<boolean> {
    const rows = await this.sql.query(
      'update decisions set activated_at = coalesce(activated_at, now()) where slot_of = $1 returning 1',
      [eventId],
    );
    return rows.length > 0;
  }

  /**
   * A decision inside a session: the session is opened on first use and its step counter advanced in the
   * same statement. Returns the step (0-based), 'event-exists' for a reused eventId, 'session-closed' when
   * the session has ended or belongs to another user.
   */
  async insertInSession(
    d: DecisionRecord & { sessionId: string },
  ): Promise<number | 'event-exists' | 'session-closed'> {
    try {
      const rows = await this.sql.query<{ step: number }>(
        `with s as (
           insert into sessions (session_id, user_key, steps) values ($10, $11, 1)
           on conflict (session_id) do update set steps = sessions.steps + 1, last_at = now()
             where sessions.ended_at is null and sessions.user_key is not distinct from excluded.user_key
           returning steps)
         insert into decisions (event_id, context, actions, excluded, ranking, reward_action_id, propensity,
           model_version, deferred, activated_at, session_id, step, user_key)
         select $1, $2, $3, $4, $5, $6, $7, $8, $9, case when $9 then null else now() end, $10, s.steps - 1, $11
         from s returning step`,
        [...this.params(d), d.sessionId, d.userKey ?? null],
      );
      return rows.length === 1 ? rows[0].step : 'session-closed';
    } catch (error) {
      if (isUniqueViolation(error)) return 'event-exists';
      throw error;
    }
  }

  private params(d: DecisionRecord): unknown[] {
    return [
      d.eventId,
      JSON.stringify(d.context),
      JSON.stringify(d.actions),
      JSON.stringify(d.excluded),
      JSON.stringify(d.ranking),
      d.rewardActionId,
      d.propensity,
      d.modelVersion,
      d.deferred,
    ];
  }

  /**
   * Append a reward. false for an unknown eventId. Every call is a row, committed before the promise
   * resolves (group commit): nothing acknowledged is lost.
   */
  reward(eventId: string, value: number): Promise<boolean> {
    return this.groups.reward.add({ eventId, value });
  }

  /** One statement for many rewards, stored in arrival order (what 'earliest' aggregation reads). */
  private async rewardMany(items: Array<{ eventId: string; value: number }>): Promise<boolean[]> {
    const rows = await this.sql.query<{ i: string | number }>(
      `with u as (
         select * from unnest($1::text[], $2::float8[]) with ordinality as u(e, v, i)
         where exists (select 1 from decisions d where d.event_id = u.e)),
       stored as (insert into rewards (event_id, value) select e, v from u order by i returning 1)
       select i from u`,
      [items.map((r) => r.eventId), items.map((r) => r.value)],
    );
    const found = new Set(rows.map((r) => Number(r.i) - 1));
    return items.map((_, i) => found.has(i));
  }

  /** Mark a deferred event as shown. false for an unknown eventId. Resolves once committed. */
  activate(eventId: string): Promise<boolean> {
    return this.groups.activate.add(eventId);
  }

  private async activateMany(eventIds: string[]): Promise<boolean[]> {
    const rows = await this.sql.query<{ event_id: string }>(
      `update decisions set activated_at = coalesce(activated_at, now())
       where event_id = any($1::text[]) returning event_id`,
      [eventIds],
    );
    const found = new Set(rows.map((r) => r.event_id));
    return eventIds.map((id) => found.has(id));
  }

  /**
   * End a session; an optional final reward goes to its last decision. Returns the number of decisions in
   * the session, or null when there is no such open session.
   */
  async endSession(sessionId: string, finalReward?: number): Promise<number | null> {
    return this.sql.transaction(async (tx) => {
      const rows = await tx.query<{ steps: number }>(
        'update sessions set ended_at = now() where session_id = $1 and ended_at is null returning steps',
        [sessionId],
      );
      if (rows.length === 0) return null;
      if (finalReward !== undefined) {
        await tx.query(
          `insert into rewards (event_id, value)
           select event_id, $2 from decisions where session_id = $1 order by step desc limit 1`,
          [sessionId, finalReward],
        );
      }
      return rows[0].steps;
    });
  }

  async get(eventId: string): Promise<StoredDecision | null> {
    const rows = await this.sql.query<Row>(
      `select d.*, ${rewardsOf()} from decisions d where event_id = $1`,
      [eventId],
    );
    return rows.length === 1 ? fromRow(rows[0]) : null;
  }

  /** A session's decisions in order, with their rewards. */
  async session(sessionId: string): Promise<StoredDecision[]> {
    const rows = await this.sql.query<Row>(
      `select d.*, ${rewardsOf()} from decisions d where session_id = $1 order by step`,
      [sessionId],
    );
    return rows.map(fromRow);
  }

  /**
   * The next decisions (seq > after) whose reward window has closed, joined with the rewards received in
   * the window. Deferred decisions never activated are dropped (they were not shown). A session decision is
   * ready once its successor exists or its session has ended or been idle for `sessionTimeoutMs`; the first
   * one that is not holds back everything after it, so nothing is skipped.
   */
  async ready(options: {
    after: number;
    rewardWaitMs: number;
    sessionTimeoutMs: number;
    limit: number;
  }): Promise<ReadyBatch> {
    // In pages: an embedded database runs each query on the serving thread, so one query over the whole
    // batch would hold every request for its duration.
    const decisions: JoinedDecision[] = [];
    let settledThrough = options.after;
    let scanned = 0;
    while (scanned < options.limit) {
      const limit = Math.min(READ_PAGE, options.limit - scanned);
      const page = await this.readyPage({ ...options, after: settledThrough, limit });
      decisions.push(...page.decisions);
      settledThrough = page.settledThrough;
      scanned += page.scanned;
      if (page.held || page.scanned < limit) break;
      // An embedded database answers without a turn of the event loop: give requests one between pages.
      await nextTurn();
    }
    return { decisions, settledThrough };
  }

  private async readyPage(options: {
    after: number;
    rewardWaitMs: number;
    sessionTimeoutMs: number;
    limit: number;
  }): Promise<ReadyBatch & { scanned: number; held: boolean }> {
    const wait = options.rewardWaitMs / 1000;
    const rows = await this.sql.query<
      Row & {
        has_next: boolean;
        ended_at: Date | string | null;
        last_at: Date | string | null;
        idle: boolean;
      }
    >(
      `select d.*, ${rewardsOf('r.received_at <= d.created_at + make_interval(secs => $2)')},
         s.ended_at, s.last_at, s.last_at <= now() - make_interval(secs => $3) as idle,
         exists (select 1 from decisions n where n.session_id = d.session_id and n.step = d.step + 1) as has_next
       from decisions d left join sessions s on s.session_id = d.session_id
       where d.seq > $1 and d.created_at <= now() - make_interval(secs => $2)
       order by d.seq limit $4`,
      [options.after, wait, options.sessionTimeoutMs / 1000, options.limit],
    );
    const decisions: JoinedDecision[] = [];
    let settledThrough = options.after;
    let held = false;
    for (const row of rows) {
      const d = fromRow(row);
      if (d.sessionId !== undefined && !row.has_next && row.ended_at === null && !row.idle) {
        held = true;
        break;
      }
      settledThrough = d.seq;
      if (d.activatedAt === null) continue;
      decisions.push({
        ...d,
        joinedRewards: d.rewards.map((r) => r.value),
        next: null,
        terminal: d.sessionId !== undefined && !row.has_next,
      });
    }
    const wanted = decisions.filter((d) => d.sessionId !== undefined && !d.terminal);
    if (wanted.length > 0) {
      const nexts = await this.sql.query<{
        session_id: string;
        step: number;
        context: unknown[];
        actions: LoggedAction[];
        excluded: string[];
      }>(
        `select n.session_id, n.step, n.context, n.actions, n.excluded from decisions n
         join unnest($1::text[], $2::int[]) as w(session_id, step) on n.session_id = w.session_id and n.step = w.step`,
        [wanted.map((d) => d.sessionId), wanted.map((d) => (d.step ?? 0) + 1)],
      );
      const byKey = new Map(nexts.map((n) => [`${n.step}:${n.session_id}`, n]));
      for (const d of wanted) {
        const n = byKey.get(`${(d.step ?? 0) + 1}:${d.sessionId}`);
        d.next = n ? { context: n.context, actions: n.actions, excluded: n.excluded } : null;
        if (!n) d.terminal = true;
      }
    }
    return { decisions, settledThrough, scanned: rows.length, held };
  }

  /**
   * The activated decisions made in [from, to] whose reward window has closed, oldest first, with the
   * rewards that arrived within it (what an offline evaluation replays). At most `limit`.
   */
  async inRange(options: {
    from: Date;
    to: Date;
    rewardWaitMs: number;
    limit: number;
  }): Promise<JoinedDecision[]> {
    const wait = options.rewardWaitMs / 1000;
    const out: JoinedDecision[] = [];
    let after = 0;
    // In pages, as ready() reads.
    while (out.length < options.limit) {
      const limit = Math.min(READ_PAGE, options.limit - out.length);
      const rows = await this.sql.query<Row>(
        `select d.*, ${rewardsOf('r.received_at <= d.created_at + make_interval(secs => $3)')}
         from decisions d
         where d.created_at >= $1 and d.created_at <= $2 and d.activated_at is not null
           and d.created_at <= now() - make_interval(secs => $3) and d.seq > $5
         order by d.seq limit $4`,
        [options.from, options.to, wait, limit, after],
      );
      for (const row of rows) {
        const d = fromRow(row);
        out.push({ ...d, joinedRewards: d.rewards.map((r) => r.value), next: null, terminal: true });
      }
      if (rows.length < limit) break;
      after = out[out.length - 1].seq;
      await nextTurn();
    }
    return out;
  }

  async count(): Promise<{
    events: number;
    rewarded: number;
    activated: number;
    rewards: number;
    sessions: number;
    from: Date | null;
    to: Date | null;
  }> {
    const [r] = await this.sql.query<{
      events: string;
      rewarded: string;
      activated: string;
      rewards: string;
      sessions: string;
      first: Date | string | null;
      last: Date | string | null;
    }>(
      `select count(*) as events,
         count(*) filter (where exists (select 1 from rewards r where r.event_id = d.event_id)) as rewarded,
         count(activated_at) as activated, (select count(*) from rewards) as rewards,
         (select count(*) from sessions) as sessions,
         min(created_at) as first, max(created_at) as last from decisions d`,
    );
    return {
      events: Number(r.events),
      rewarded: Number(r.rewarded),
      activated: Number(r.activated),
      rewards: Number(r.rewards),
      sessions: Number(r.sessions),
      from: date(r.first),
      to: date(r.last),
    };
  }

  /**
   * Decisions between `from` (inclusive) and `to` (exclusive) counted in buckets of `bucketSeconds` (aligned
   * to the Unix epoch): decisions, rewarded ones, the aggregated reward (the default reward when none came),
   * positive rewards, explored ones (chosen with less than the top probability: not the greedy choice) and
   * the newest model version that served. Only buckets holding decisions are returned, in time order.
   */
  async activity(options: {
    from: Date;
    to: Date;
    bucketSeconds: number;
    aggregation: 'earliest' | 'sum';
    defaultReward: number;
  }): Promise<ActivityBucket[]> {
    const rows = await this.sql.query<{
      bucket: string | number;
      decisions: string | number;
      rewarded: string | number;
      reward: number | null;
      positive: string | number;
      explored: string | number;
      model_version: number;
    }>(
      `with d as (
         select d.created_at, d.model_version, d.propensity,
           ${EXPLORED_SQL} as explored,
           (select count(*) from rewards w where w.event_id = d.event_id) as reward_count,
           case when $5::boolean
             then (select w.value from rewards w where w.event_id = d.event_id order by w.id limit 1)
             else (select sum(w.value) from rewards w where w.event_id = d.event_id) end as reward
         from decisions d where d.created_at >= $1::timestamptz and d.created_at < $2::timestamptz)
       select floor(extract(epoch from created_at) / $3::float8)::bigint as bucket, count(*) as decisions,
         count(*) filter (where reward_count > 0) as rewarded,
         sum(coalesce(reward, $4::float8)) as reward,
         count(*) filter (where coalesce(reward, $4::float8) > 0) as positive,
         count(*) filter (where explored) as explored,
         max(model_version) as model_version
       from d group by 1 order by 1`,
      [
        options.from.toISOString(),
        options.to.toISOString(),
        options.bucketSeconds,
        options.defaultReward,
        options.aggregation === 'earliest',
      ],
    );
    return rows.map((r) => ({
      start: new Date(Number(r.bucket) * options.bucketSeconds * 1000),
      decisions: Number(r.decisions),
      rewarded: Number(r.rewarded),
      reward: Number(r.reward ?? 0),
      positive: Number(r.positive),
      explored: Number(r.explored),
      modelVersion: r.model_version,
    }));
  }

  /** The `limit` newest decisions in full, newest first. */
  async latest(limit: number): Promise<StoredDecision[]> {
    const rows = await this.sql.query<Row>(
      `select d.*, ${rewardsOf()} from decisions d order by d.seq desc limit $1`,
      [limit],
    );
    return rows.map(fromRow);
  }

  /**
   * The newest decisions first (seq < `before` when given), optionally of one session, as one line each:
   * when, what was chosen with which probability by which model, how many candidates, and the rewards.
   */
  async recent(options: { limit: number; before?: number; sessionId?: string }): Promise<DecisionSummary[]> {
    const rows = await this.sql.query<{
      seq: string | number;
      event_id: string;
      created_at: Date | string;
      session_id: string | null;
      step: number | null;
      reward_action_id: string;
      propensity: number;
      explored: boolean;
      model_version: number;
      candidates: number;
      rewards: number[] | null;
    }>(
      `select d.seq, d.event_id, d.created_at, d.session_id, d.step, d.reward_action_id, d.propensity,
         d.model_version, jsonb_array_length(d.actions) as candidates, ${EXPLORED_SQL} as explored,
         (select json_agg(w.value order by w.id) from rewards w where w.event_id = d.event_id) as rewards
       from decisions d
       where ($1::bigint is null or d.seq < $1::bigint) and ($2::text is null or d.session_id = $2::text)
       order by d.seq desc limit $3`,
      [options.before ?? null, options.sessionId ?? null, options.limit],
    );
    return rows.map((r) => ({
      seq: Number(r.seq),
      eventId: r.event_id,
      createdAt: new Date(r.created_at),
      ...(r.session_id !== null ? { sessionId: r.session_id, step: r.step ?? 0 } : {}),
      chosenId: r.reward_action_id,
      propensity: r.propensity,
      explored: r.explored,
      modelVersion: r.model_version,
      candidates: Number(r.candidates),
      rewards: r.rewards ?? [],
    }));
  }

  /** Erase everything stored about one (pseudonymised) user. Returns what was deleted. */
  async eraseUser(userKey: string): Promise<{ decisions: number; sessions: number }> {
    return this.sql.transaction(async (tx) => {
      const decisions = await tx.query('delete from decisions where user_key = $1 returning event_id', [
        userKey,
      ]);
      const sessions = await tx.query('delete from sessions where user_key = $1 returning session_id', [
        userKey,
      ]);
      return { decisions: decisions.length, sessions: sessions.length };
    });
  }

  /** Delete decisions (and their rewards) older than `days`, and sessions idle that long. */
  async enforceRetention(days: number): Promise<number> {
    if (days < 0) return 0;
    return this.sql.transaction(async (tx) => {
      const [{ n }] = await tx.query<{ n: string }>(
        `with gone as (delete from decisions where created_at < now() - make_interval(days => $1) returning 1)
         select count(*) as n from gone`,
        [days],
      );
      await tx.query('delete from sessions where last_at < now() - make_interval(days => $1)', [days]);
      return Number(n);
    });
  }

  /** Personalizer's DELETE /logs: every decision, reward and session (models and settings stay). */
  async deleteAll(): Promise<void> {
    await this.sql.transaction(async (tx) => {
      await tx.query('delete from rewards');
      await tx.query('delete from decisions');
      await tx.query('delete from sessions');
    });
  }

  async getSetting<T>(key: string): Promise<T | null> {
    const rows = await this.sql.query<{ value: T }>('select value from settings where key = $1', [key]);
    return rows.length === 1 ? rows[0].value : null;
  }

  /** Store a setting and tell every replica (NOTIFY on SETTINGS_CHANNEL with the key). */
  async putSetting(key: string, value: unknown): Promise<void> {
    await this.sql.transaction(async (tx) => {
      await tx.query(
        `insert into settings (key, value) values ($1, $2)
         on conflict (key) do update set value = excluded.value, updated_at = now()`,
        [key, JSON.stringify(value)],
      );
      await tx.query(`select pg_notify('${SETTINGS_CHANNEL}', $1)`, [key]);
    });
  }
}
