import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { buildServer } from '../../src/serving/server.ts';
import { EvaluationStore } from '../../src/store/evaluation-store.ts';
import { openPglite } from '../../src/store/sql.ts';

const KEY = 'test-key-123456';
const headers = { authorization: `Bearer ${KEY}` };
const base = '/personalizer/v1.0';

/** A deterministic stream: which shopper comes, and whether they click the item shown. */
function lcg(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('offline evaluations (Personalizer /evaluations) and the suggestion a person applies', async () => {
  const sql = await openPglite('memory://');
  const app = await buildServer({ sql, apiKey: KEY, learn: false });
  after(async () => {
    await app.close();
    await sql.close();
  });
  const call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
    app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
  const settle = async (id: string) => {
    for (let i = 0; i < 600; i++) {
      const e = (await call('GET', `${base}/evaluations/${id}`)).json();
      if (e.status !== 'pending') return e;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('evaluation never finished');
  };
  const start = new Date(Date.now() - 60_000).toISOString();

  test('logs from uniformly random ranking: online learning beats random and the first action', async () => {
    const service = (await call('GET', `${base}/configurations/service`)).json();
    await call('PUT', `${base}/configurations/service`, {
      ...service,
      explorationPercentage: 1,
      rewardWaitTime: 'PT1S',
    });
    // The online settings hash every feature into 2 weights, so they cannot tell the tiers apart:
    // the search should find better ones.
    await call('PUT', `${base}/configurations/policy`, {
      name: 'collided',
      arguments: '--cb_explore_adf --epsilon 0.2 -l 0.1 -b 1 --cb_type mtr',
    });
    const random = lcg(3);
    for (let i = 0; i < 800; i++) {
      const tier = random() < 0.5 ? 'a' : 'b';
      const ranked = (
        await call('POST', `${base}/rank`, {
          // The eventId seeds the exploration draw: fixed ids make the logged stream the same on every run.
          eventId: `tiers-${i}`,
          contextFeatures: [{ tier }],
          actions: [
            { id: 'x', features: [{ kind: 'x' }] },
            { id: 'y', features: [{ kind: 'y' }] },
          ],
        })
      ).json();
      const liked = (tier === 'a') === (ranked.rewardActionId === 'x');
      if (random() < (liked ? 0.8 : 0.2)) {
        await call('POST', `${base}/events/${ranked.eventId}/reward`, { value: 1 });
      }
    }
    await new Promise((r) => setTimeout(r, 1100));
    // Judged as they would be deployed: with the service's exploration, now back to 0.2.
    await call('PUT', `${base}/configurations/service`, {
      ...service,
      explorationPercentage: 0.2,
      rewardWaitTime: 'PT1S',
    });
    const created = await call('POST', `${base}/evaluations`, {
      name: 'tiers',
      startTime: start,
      endTime: new Date().toISOString(),
      enableOfflineExperimentation: true,
      policies: [{ name: 'bold', arguments: '-l 0.5 -b 16 --cb_type dm' }],
    });
    assert.equal(created.statusCode, 201, created.body);
    const pending = created.json();
    assert.equal(pending.status, 'pending');
    assert.equal(pending.evaluationType, 'Auto');
    assert.equal(created.headers.location, `${base}/evaluations/${pending.id}`);
    const e = await settle(pending.id);
    assert.equal(e.status, 'completed', JSON.stringify(e.error));
    assert.equal(e.events, 800);
    const by = Object.fromEntries(e.policyResults.map((p: { policySource: string }) => [p.policySource, p]));
    assert.deepEqual(
      Object.keys(by).sort(),
      ['Baseline', 'Custom', 'Offline' + 'Experimentation', 'Online', 'Random'].sort(),
    );
    // Random and the first action are worth 0.5 in this world; a model that learns the tiers nears 0.8.
    for (const fixed of ['Random', 'Baseline']) {
      const t = by[fixed].totalSummary;
      assert.ok(Math.abs(t.averageReward - 0.5) < 0.08, `${fixed} ${t.averageReward}`);
      assert.ok(t.confidenceInterval > 0 && t.confidenceInterval < 0.1);
    }
    assert.ok(by.Custom.totalSummary.averageReward > 0.62, `bold ${by.Custom.totalSummary.averageReward}`);
    const optimized = by.OfflineExperimentation.totalSummary;
    assert.ok(optimized.averageReward > 0.62, `optimized ${optimized.averageReward}`);
    assert.ok(by.Online.totalSummary.averageReward < optimized.averageReward);
    // The per-window numerators add up to the total; the IPS denominator counts events.
    for (const p of e.policyResults) {
      const sum = p.summary.reduce(
        (s: number, w: { ipsEstimatorNumerator: number }) => s + w.ipsEstimatorNumerator,
        0,
      );
      assert.ok(Math.abs(sum - p.totalSummary.ipsEstimatorNumerator) < 1e-6);
      assert.equal(p.totalSummary.ipsEstimatorDenominator, 800);
    }
    assert.ok(e.search.length === 12 && e.search[0].lower >= e.search[11].lower);
    assert.ok(e.suggestion.recommended, JSON.stringify(e.suggestion));
    assert.ok(e.suggestion.gainInterval[0] > 0 && e.suggestion.estimatedGain > 0.1);
    assert.equal(e.optimalPolicy, e.suggestion.arguments);
    assert.ok(e.featureImportance.flat().some((f: string) => f.includes('kind')));
    // Nothing was applied by itself.
    assert.equal((await call('GET', `${base}/configurations/policy`)).json().name, 'collided');

    // A person applies it: the policy changes once; a second answer is refused.
    const applied = await call('POST', `/v1/evaluations/${e.id}/apply`, {});
    assert.equal(applied.statusCode, 200, applied.body);
    assert.equal(applied.json().evaluation.status, 'optimalPolicyApplied');
    const policy = (await call('GET', `${base}/configurations/policy`)).json();
    assert.equal(policy.arguments, e.suggestion.arguments);
    const again = await call('POST', `/v1/evaluations/${e.id}/apply`, {});
    assert.equal(again.statusCode, 409);
    assert.equal(again.json().error.innerError.code, 'E_EVALUATION_NOT_READY');
    assert.equal((await call('GET', `${base}/evaluations`)).json()[0].id, e.id);
  });

  test('with the good settings online, the suggestion is not recommended: apply needs force, reject keeps them', async () => {
    const created = await call('POST', `${base}/evaluations`, {
      name: 'manual',
      startTime: start,
      endTime: new Date().toISOString(),
      policies: [{ name: 'collided', arguments: '-l 0.1 -b 1' }],
    });
    const e = await settle(created.json().id);
    assert.equal(e.evaluationType, 'Manual');
    assert.equal(e.suggestion.name, 'collided');
    assert.equal(e.suggestion.recommended, false);
    assert.ok(e.suggestion.gainInterval[1] < 0, 'the collided settings are surely worse');
    assert.equal(e.search.length, 0);
    const refused = await call('POST', `/v1/evaluations/${e.id}/apply`, {});
    assert.equal(refused.statusCode, 409);
    assert.equal(refused.json().error.innerError.code, 'E_SUGGESTION_NOT_RECOMMENDED');
    const rejected = await call('POST', `/v1/evaluations/${e.id}/reject`);
    assert.equal(rejected.json().status, 'onlinePolicyRetained');
  });

  test('bad requests are coded 400s; unknown ids 404; an empty range fails with a reason; delete', async () => {
    const bad = async (payload: unknown, code: string, field: RegExp) => {
      const r = await call('POST', `${base}/evaluations`, payload);
      assert.equal(r.statusCode, 400, r.body);
      assert.equal(r.json().error.innerError.code, code);
      assert.match(r.json().error.message, field);
    };
    const now = new Date().toISOString();
    await bad({ name: 'x', startTime: now, endTime: start }, 'E_BODY_INVALID', /endTime/);
    await bad({ name: 'x', startTime: 'yesterday', endTime: now }, 'E_BODY_INVALID', /startTime/);
    await bad(
      {
        name: 'x',
        startTime: start,
        endTime: now,
        policies: [{ name: 'p', arguments: '--loss_function hinge' }],
      },
      'E_POLICY_ARGUMENT',
      /policies\.0/,
    );
    assert.equal((await call('GET', `${base}/evaluations/nope`)).statusCode, 404);
    assert.equal((await call('POST', '/v1/evaluations/nope/apply', {})).statusCode, 404);
    const empty = await call('POST', `${base}/evaluations`, {
      name: 'empty',
      startTime: '2020-01-01T00:00:00Z',
      endTime: '2020-01-02T00:00:00Z',
    });
    const e = await settle(empty.json().id);
    assert.equal(e.status, 'failed');
    assert.equal(e.error.code, 'E_NO_EVENTS');
    assert.equal((await call('DELETE', `${base}/evaluations/${e.id}`)).statusCode, 204);
    assert.equal((await call('DELETE', `${base}/evaluations/${e.id}`)).statusCode, 404);
  });

  test('an evaluation left pending by a stopped server is marked failed at the next start', async () => {
    await new EvaluationStore(sql).create({
      id: 'orphan',
      name: 'orphan',
      startTime: new Date(start),
      endTime: new Date(),
      evaluationType: 'Manual',
      request: {},
    });
    const second = await buildServer({ sql, apiKey: KEY, learn: false });
    const e = (await second.inject({ method: 'GET', url: `${base}/evaluations/orphan`, headers })).json();
    await second.close();
    assert.equal(e.status, 'failed');
    assert.equal(e.error.code, 'E_EVALUATION_INTERRUPTED');
  });
});
