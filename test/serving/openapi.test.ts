import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { OPERATIONS } from '../../src/serving/openapi.ts';
import { buildServer } from '../../src/serving/server.ts';
import { openPglite } from '../../src/store/sql.ts';

const KEY = 'test-key-123456';

describe('the OpenAPI document at /docs', async () => {
  const sql = await openPglite('memory://');
  const app = await buildServer({ sql, apiKey: KEY, learn: false });
  after(async () => {
    await app.close();
    await sql.close();
  });

  test('lists exactly the API routes the server registers', () => {
    const api = new Set(
      app.registeredRoutes
        .filter((r) => !/ \/(docs|ui\/|index\.html$|$)/.test(r))
        .map((r) => r.replace(/:(\w+)/g, '{$1}')),
    );
    const documented = new Set(Object.keys(OPERATIONS));
    assert.deepEqual(
      [...api].filter((r) => !documented.has(r)).sort(),
      [],
      'routes missing from the document',
    );
    assert.deepEqual(
      [...documented].filter((r) => !api.has(r)).sort(),
      [],
      'documented routes that do not exist',
    );
  });

  test('is served without a key, as OpenAPI 3.1 with the routes’ own body schemas', async () => {
    const r = await app.inject({ method: 'GET', url: '/docs/json' });
    assert.equal(r.statusCode, 200);
    const doc = JSON.parse(r.body);
    assert.equal(doc.openapi, '3.1.0');
    const rank = doc.paths['/personalizer/v1.0/rank'].post;
    const body = rank.requestBody.content['application/json'].schema;
    assert.ok(body.required.includes('actions'));
    assert.equal(body.properties.actions.maxItems, 50);
    assert.ok(rank.responses['201'] && rank.responses['400'] && rank.responses['401']);
    const learner =
      doc.paths['/v1/configurations/learner'].put.requestBody.content['application/json'].schema;
    assert.deepEqual(learner.properties.promotion.enum, ['lower-bound', 'estimate', 'always', 'manual']);
    const activity = doc.paths['/v1/activity'].get.parameters.map((p: { name: string }) => p.name);
    assert.deepEqual(activity.sort(), ['buckets', 'from', 'to']);
    assert.deepEqual(doc.paths['/health'].get.security, []);
    assert.deepEqual(
      doc.paths['/v1/decisions/{eventId}/reward'].post.parameters.map(
        (p: { name: string; in: string }) => `${p.in}:${p.name}`,
      ),
      ['path:eventId'],
    );
    const ui = await app.inject({ method: 'GET', url: '/docs' });
    assert.equal(ui.statusCode, 200);
    assert.match(ui.body, /swagger-ui/i);
    const script = await app.inject({ method: 'GET', url: '/docs/static/swagger-ui-bundle.js' });
    assert.equal(script.statusCode, 200, 'the UI is served from the package, not a CDN');
    // The data routes still need the key.
    assert.equal((await app.inject({ method: 'GET', url: '/v1/models' })).statusCode, 401);
    assert.equal((await app.inject({ method: 'GET', url: '/docsx' })).statusCode, 401);
  });
});
