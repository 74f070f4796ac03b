import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { buildServer } from '../../src/serving/server.ts';
import { openPglite, openPostgres } from '../../src/store/sql.ts';
import { POSTGRES_URL, testPostgres } from '../helpers/postgres.ts';

const KEY = 'test-key-123456';
const headers = { authorization: `Bearer ${KEY}` };
const pz = '/personalizer/v1.0';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type App = Awaited<ReturnType<typeof buildServer>>;

async function call(app: App, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) {
  const r = await app.inject({
    method,
    url,
    headers,
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
  return { status: r.statusCode, body: r.body ? JSON.parse(r.body) : null };
}

async function fastWindow(
  app: App,
  learner: Record<string, unknown> = {},
  service: Record<string, unknown> = {},
) {
  const current = (await call(app, 'GET', `${pz}/configurations/service`)).body;
  await call(app, 'PUT', `${pz}/configurations/service`, {
    ...current,
    rewardWaitTime: 'PT0.2S',
    ...service,
  });
  const settings = (await call(app, 'GET', '/v1/configurations/learner')).body;
  const r = await call(app, 'PUT', '/v1/configurations/learner', {
    ...settings,
    sessionTimeout: 'PT5S',
    ...learner,
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
}

describe('native session API', async () => {
  const sql = await openPglite('memory://');
  const app = await buildServer({ sql, apiKey: KEY, learn: false });
  after(async () => {
    await app.close();
    await sql.close();
  });
  const candidates = [
    { id: 'a', features: [{ kind: 'a' }] },
    { id: 'b', features: [{ kind: 'b' }] },
  ];

  test('decisions in a session are numbered; an ended session takes no more; user ids are stored hashed', async () => {
    const first = await call(app, 'POST', '/v1/decisions', {
      sessionId: 's1',
      userId: 'alice@example.com',
      context: [{ page: 'home' }],
      candidates,
      explain: true,
    });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.equal(first.body.step, 0);
    assert.ok(['a', 'b'].includes(first.body.actionId));
    assert.deepEqual(Object.keys(first.body.values).sort(), ['a', 'b']);
    const second = await call(app, 'POST', '/v1/decisions', {
      sessionId: 's1',
      userId: 'alice@example.com',
      candidates: [...candidates, { id: 'c' }],
    });
    assert.equal(second.body.step, 1, 'candidates may change from step to step');
    const stranger = await call(app, 'POST', '/v1/decisions', {
      sessionId: 's1',
      userId: 'mallory',
      candidates,
    });
    assert.equal(stranger.status, 409);
    assert.equal(stranger.body.error.innerError.code, 'E_SESSION_CLOSED');
    assert.equal(
      (await call(app, 'POST', `/v1/decisions/${first.body.eventId}/reward`, { value: 1 })).status,
      204,
    );
    const ended = await call(app, 'POST', '/v1/sessions/s1/end', { reward: 5 });
    assert.deepEqual(ended.body, { sessionId: 's1', steps: 2 });
    assert.equal((await call(app, 'POST', '/v1/sessions/s1/end', {})).status, 404, 'ended once');
    const late = await call(app, 'POST', '/v1/decisions', {
      sessionId: 's1',
      userId: 'alice@example.com',
      candidates,
    });
    assert.equal(late.status, 409);
    const session = (await call(app, 'GET', '/v1/sessions/s1')).body;
    assert.deepEqual(
      session.decisions.map((d: { step: number; rewards: Array<{ value: number }> }) => [
        d.step,
        d.rewards.map((r) => r.value),
      ]),
      [
        [0, [1]],
        [1, [5]],
      ],
      'the final reward goes to the last decision',
    );
    const raw =
      JSON.stringify(await sql.query('select * from decisions')) +
      JSON.stringify(await sql.query('select * from sessions'));
    assert.ok(!raw.includes('alice'), 'the user id is never stored in the clear');
    assert.match(session.decisions[0].userKey, /^[0-9a-f]{40}$/);
  });

  test('erasing a user deletes their decisions, rewards and sessions, and nobody else’s', async () => {
    await call(app, 'POST', '/v1/decisions', {
      sessionId: 's2',
      userId: 'bob',
      candidates,
      eventId: 'bob-1',
    });
    await call(app, 'POST', '/v1/decisions/bob-1/reward', { value: 1 });
    await call(app, 'POST', '/v1/decisions', {
      sessionId: 's3',
      userId: 'carol',
      candidates,
      eventId: 'carol-1',
    });
    const erased = await call(app, 'DELETE', '/v1/users/bob');
    assert.deepEqual(erased.body, { erased: { decisions: 1, sessions: 1 } });
    assert.equal((await call(app, 'GET', '/v1/decisions/bob-1')).status, 404);
    assert.equal((await call(app, 'GET', '/v1/decisions/carol-1')).status, 200);
    const [{ n }] = await sql.query<{ n: string }>(
      `select count(*) as n from rewards where event_id = 'bob-1'`,
    );
    assert.equal(Number(n), 0);
  });

  test('bad bodies and unknown ids get coded errors', async () => {
    const cases: Array<[string, string, unknown, number, string]> = [
      ['POST', '/v1/decisions', { candidates }, 400, 'E_BODY_INVALID'],
      ['POST', '/v1/decisions', { sessionId: 'x y', candidates }, 400, 'E_BODY_INVALID'],
      ['POST', '/v1/decisions', { sessionId: 'x', candidates, surprise: 1 }, 400, 'E_BODY_INVALID'],
      ['POST', '/v1/decisions', { sessionId: 'x', candidates, excluded: ['zz'] }, 400, 'E_UNKNOWN_ACTION'],
      ['POST', '/v1/decisions/nope/reward', { value: 1 }, 404, 'E_EVENT_NOT_FOUND'],
      ['POST', '/v1/sessions/nope/end', {}, 404, 'E_SESSION_NOT_FOUND'],
      ['GET', '/v1/models/0', undefined, 400, 'E_PARAM'],
      ['GET', '/v1/models/999', undefined, 404, 'E_MODEL_NOT_FOUND'],
      ['PUT', '/v1/configurations/learner', { promotion: 'sometimes' }, 400, 'E_BODY_INVALID'],
      ['PUT', `${pz}/configurations/policy`, { name: 'x', arguments: '--bfgs' }, 400, 'E_POLICY_ARGUMENT'],
      ['PUT', `${pz}/configurations/policy`, { name: 'x', arguments: '-b 40' }, 400, 'E_POLICY_ARGUMENT'],
    ];
    for (const [method, url, payload, status, code] of cases) {
      const r = await call(app, method as 'GET', url, payload);
      assert.equal(
        r.status,
        status,
        `${method} ${url} ${JSON.stringify(payload)}: ${JSON.stringify(r.body)}`,
      );
      assert.equal(r.body.error.innerError.code, code);
    }
  });
});

describe('the learner values what a decision leads to', () => {
  test('sessions: γ = 0.9 learns to invest (0 now, 3 next step) over the bait (1 now); γ = 0 takes the bait', async () => {
    const results: Record<string, { invest: number; bait: number }> = {};
    for (const discount of [0.9, 0]) {
      const sql = await openPglite('memory://');
      const app = await buildServer({ sql, apiKey: KEY, learn: false });
      await fastWindow(app, { discount, minEvents: 100, promotion: 'always' }, { explorationPercentage: 1 });
      for (let round = 0; round < 3; round++) {
        for (let s = 0; s < 120; s++) {
          const sessionId = `r${round}-s${s}`;
          // The logging policy is uniform (explorationPercentage 1), so both paths are well covered.
          const first = await call(app, 'POST', '/v1/decisions', {
            sessionId,
            context: [{ stage: 'first' }],
            candidates: [
              { id: 'bait', features: [{ offer: 'bait' }] },
              { id: 'invest', features: [{ offer: 'invest' }] },
            ],
          });
          if (first.body.actionId === 'bait') {
            await call(app, 'POST', `/v1/decisions/${first.body.eventId}/reward`, { value: 1 });
          } else {
            const second = await call(app, 'POST', '/v1/decisions', {
              sessionId,
              context: [{ stage: 'second' }],
              candidates: [
                { id: 'jackpot', features: [{ offer: 'jackpot' }] },
                { id: 'nothing', features: [{ offer: 'nothing' }] },
              ],
            });
            if (second.body.actionId === 'jackpot') {
              await call(app, 'POST', `/v1/decisions/${second.body.eventId}/reward`, { value: 3 });
            }
          }
          await call(app, 'POST', `/v1/sessions/${sessionId}/end`, {});
        }
        await sleep(250);
        const trained = await call(app, 'POST', '/v1/models/train');
        assert.equal(trained.body.status, 'trained', JSON.stringify(trained.body));
      }
      const probe = await call(app, 'POST', '/v1/decisions', {
        sessionId: 'probe',
        context: [{ stage: 'first' }],
        candidates: [
          { id: 'bait', features: [{ offer: 'bait' }] },
          { id: 'invest', features: [{ offer: 'invest' }] },
        ],
        explain: true,
      });
      results[String(discount)] = probe.body.values;
      await app.close();
      await sql.close();
    }
    const far = results['0.9'];
    const myopic = results['0'];
    assert.ok(far.invest > far.bait, `γ 0.9 values: ${JSON.stringify(far)}`);
    assert.ok(far.invest > 1.8, `Q(invest) ≈ 0.9 · E[jackpot] ≈ 0.9 · 3 · P(jackpot): ${far.invest}`);
    assert.ok(myopic.bait > myopic.invest, `γ 0 values: ${JSON.stringify(myopic)}`);
  });
});

describe('models: export, import, reset, promote, rollback; logs: late rewards and deletion', async () => {
  const sql = await openPglite('memory://');
  const app = await buildServer({ sql, apiKey: KEY, learn: false });
  after(async () => {
    await app.close();
    await sql.close();
  });

  test('a late reward is kept but not joined; a decision never activated is not learned from', async () => {
    await fastWindow(app, { minEvents: 10, promotion: 'manual' });
    const actions = [{ id: 'x', features: [{ f: 1 }] }, { id: 'y' }];
    for (let i = 0; i < 20; i++) {
      await call(app, 'POST', `${pz}/rank`, { actions, eventId: `on-time-${i}` });
      await call(app, 'POST', `${pz}/events/on-time-${i}/reward`, { value: 1 });
    }
    await call(app, 'POST', `${pz}/rank`, { actions, eventId: 'deferred', deferActivation: true });
    await call(app, 'POST', `${pz}/rank`, { actions, eventId: 'late' });
    await sleep(300);
    assert.equal((await call(app, 'POST', `${pz}/events/late/reward`, { value: 100 })).status, 204);
    const round = (await call(app, 'POST', '/v1/models/train')).body;
    assert.equal(round.status, 'trained');
    assert.equal(round.evaluation.promoted, false, 'manual: never promoted by the learner');
    assert.equal(
      round.evaluation.trainedEvents + round.evaluation.holdout.decisions,
      21,
      'the deferred one is dropped',
    );
    assert.ok(round.evaluation.logged.value <= 1, 'the late reward (100) is not joined');
    assert.deepEqual(
      (await call(app, 'GET', '/v1/decisions/late')).body.rewards.map((r: { value: number }) => r.value),
      [100],
      'but it is stored',
    );
    const props = (await call(app, 'GET', `${pz}/logs/properties`)).body;
    assert.equal(props.rewards, 21);
  });

  test('promote and rollback by version; export, import and reset the live model', async () => {
    const listed = (await call(app, 'GET', '/v1/models')).body;
    assert.equal(listed.live, 1);
    const candidate = listed.models[0];
    assert.equal(candidate.state, 'candidate');
    const promoted = await call(app, 'POST', `/v1/models/${candidate.version}/promote`);
    assert.equal(promoted.body.state, 'live');
    assert.equal((await call(app, 'GET', '/health')).body.liveModel, candidate.version);
    const back = await call(app, 'POST', '/v1/models/rollback');
    assert.equal(back.body.version, 1);
    assert.equal((await call(app, 'GET', `/v1/models/${candidate.version}`)).body.state, 'rejected');
    assert.equal(
      (await call(app, 'POST', '/v1/models/rollback')).status,
      409,
      'nothing earlier than version 1',
    );

    await call(app, 'POST', `/v1/models/${candidate.version}/promote`);
    const exported = await app.inject({ method: 'GET', url: `${pz}/model`, headers });
    assert.equal(exported.headers['content-type'], 'application/octet-stream');
    const bytes = exported.rawPayload;
    assert.equal(bytes.subarray(0, 4).toString(), 'NBHL');
    const reset = await app.inject({ method: 'DELETE', url: `${pz}/model`, headers });
    assert.equal(reset.statusCode, 204);
    const afterReset = (await call(app, 'GET', '/v1/models')).body;
    assert.equal(afterReset.models[0].source, 'reset');
    const imported = await app.inject({
      method: 'PUT',
      url: `${pz}/model`,
      headers: { ...headers, 'content-type': 'application/octet-stream' },
      payload: bytes,
    });
    assert.equal(imported.statusCode, 204);
    const again = await app.inject({ method: 'GET', url: `${pz}/model`, headers });
    assert.ok(Buffer.compare(again.rawPayload, bytes) === 0, 'the imported model is served byte for byte');
    const garbage = await app.inject({
      method: 'PUT',
      url: `${pz}/model`,
      headers: { ...headers, 'content-type': 'application/octet-stream' },
      payload: Buffer.from('NBHL\u0005\u0000\u0000\u0000{oops'),
    });
    assert.equal(garbage.statusCode, 400);
    assert.equal(garbage.json().error.innerError.code, 'E_MODEL_FORMAT');
    const properties = (await call(app, 'GET', `${pz}/model/properties`)).body;
    assert.ok(Date.parse(properties.creationTime) > 0);
  });

  test('policy settings round-trip; DELETE /logs empties the log and keeps the models', async () => {
    const policy = { name: 'faster', arguments: '--cb_explore_adf -l 0.5 -b 16 --cb_type dm -q ::' };
    assert.deepEqual((await call(app, 'PUT', `${pz}/configurations/policy`, policy)).body, policy);
    assert.deepEqual((await call(app, 'GET', `${pz}/configurations/policy`)).body, policy);
    assert.equal((await call(app, 'DELETE', `${pz}/configurations/policy`)).body.name, 'default');
    assert.equal((await app.inject({ method: 'DELETE', url: `${pz}/logs`, headers })).statusCode, 204);
    const props = (await call(app, 'GET', `${pz}/logs/properties`)).body;
    assert.deepEqual([props.events, props.rewards, props.dateRange], [0, 0, null]);
    assert.ok((await call(app, 'GET', '/v1/models')).body.models.length >= 3);
  });
});

describe('two replicas on one PostgreSQL', () => {
  test('a promotion on one is served by the other (NOTIFY); only one learner round runs at a time', async () => {
    const first = await testPostgres();
    const second = await openPostgres(POSTGRES_URL, { schema: first.schema });
    const a = await buildServer({ sql: first, apiKey: KEY, learn: false });
    const b = await buildServer({ sql: second, apiKey: KEY, learn: false });
    try {
      await fastWindow(a, { minEvents: 20, promotion: 'manual' });
      for (let i = 0; i < 30; i++) {
        const app = i % 2 ? a : b;
        await call(app, 'POST', `${pz}/rank`, { actions: [{ id: 'p' }, { id: 'q' }], eventId: `r-${i}` });
        await call(app, 'POST', `${pz}/events/r-${i}/reward`, { value: i % 3 });
      }
      await sleep(300);
      // Settings written through a reach b by notification.
      for (let i = 0; i < 50 && b.nextbest.learnerConfig.minEvents !== 20; i++) await sleep(50);
      assert.equal(b.nextbest.learnerConfig.minEvents, 20, 'b follows the settings a changed');
      const rounds = await Promise.all([a.nextbest.learner.runOnce(), b.nextbest.learner.runOnce()]);
      const statuses = rounds.map((r) => r.status).sort();
      assert.ok(statuses.includes('busy'), `one round waits for the other: ${statuses}`);
      const { models } = (await call(a, 'GET', '/v1/models')).body;
      const candidate = models.find((m: { state: string }) => m.state === 'candidate');
      assert.ok(candidate, JSON.stringify(models));
      await call(a, 'POST', `/v1/models/${candidate.version}/promote`);
      for (let i = 0; i < 50 && b.nextbest.live.version !== candidate.version; i++) await sleep(50);
      assert.equal(b.nextbest.live.version, candidate.version, 'b loaded the promoted model');
      assert.equal((await call(b, 'GET', '/health')).body.liveModel, candidate.version);
    } finally {
      await a.close();
      await b.close();
      await second.close();
      await first.drop();
    }
  });
});

describe('rate limiting', () => {
  test('past the per-minute limit a client gets 429 in the service’s error shape', async () => {
    const sql = await openPglite('memory://');
    const app = await buildServer({ sql, apiKey: KEY, learn: false, rateLimitPerMinute: 5 });
    const statuses: number[] = [];
    let last: { error: { code: string; innerError: { code: string } } } | null = null;
    for (let i = 0; i < 7; i++) {
      const r = await call(app, 'GET', '/health');
      statuses.push(r.status);
      last = r.body;
    }
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429]);
    assert.equal(last?.error.code, 'TooManyRequests');
    assert.equal(last?.error.innerError.code, 'E_RATE_LIMITED');
    await app.close();
    await sql.close();
  });
});
