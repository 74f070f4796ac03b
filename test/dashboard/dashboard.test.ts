import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { buildServer } from '../../src/serving/server.ts';
import { openPglite } from '../../src/store/sql.ts';
import {
  browserSkipReason,
  type FedServer,
  launchChromium,
  startFedServer,
} from '../helpers/dashboard-fixture.ts';

const skip = browserSkipReason();

/**
 * End to end: Debian's chromium, driven by playwright-core, against a real server on loopback that
 * simulated shoppers have fed over HTTP (two learner rounds, so there are model versions to compare).
 */
describe('dashboard in a real browser', { skip }, () => {
  let server: FedServer;
  let browser: Browser;
  let reports: string;
  const problems: string[] = [];

  before(async () => {
    reports = mkdtempSync(join(tmpdir(), 'nextbest-dash-reports-'));
    writeFileSync(
      join(reports, 'latest.html'),
      '<!doctype html><html><head><title>Ecommerce experiment</title></head><body><h1>Agents against baselines</h1></body></html>',
    );
    server = await startFedServer({ reportsDir: reports, blocks: 2, sessionsPerBlock: 40 });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    rmSync(reports, { recursive: true, force: true });
  });

  /** A page that records console errors, warnings and uncaught exceptions into `problems`. */
  async function openPage(viewport = { width: 1280, height: 900 }): Promise<Page> {
    const page = await browser.newPage({ viewport });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
    return page;
  }

  async function signedIn(viewport?: { width: number; height: number }): Promise<Page> {
    const page = await openPage(viewport);
    await page.goto(`${server.url}/#/overview`);
    await page.fill('#api-key', server.key);
    await page.click('form button[type=submit]');
    await page.waitForSelector('header.top nav');
    return page;
  }

  const api = async (method: string, path: string, body?: unknown) => {
    const r = await server.app.inject({
      method: method as 'GET',
      url: path,
      headers: { authorization: `Bearer ${server.key}` },
      ...(body === undefined ? {} : { payload: body as object }),
    });
    return JSON.parse(r.body);
  };

  test('a wrong key is refused with a message; the right one opens the overview', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/`);
    await page.fill('#api-key', 'not-the-key-at-all');
    await page.click('form button[type=submit]');
    await page.waitForSelector('text=The service refused this key');
    await page.fill('#api-key', server.key);
    await page.click('form button[type=submit]');
    await page.waitForSelector('h2:text("Overview")');
    // The key lives in this tab's session storage only.
    assert.equal(await page.evaluate('localStorage.length'), 0);
    assert.equal(await page.evaluate("sessionStorage.getItem('nextbest.apiKey')"), server.key);
    await page.close();
  });

  test('every page loads without console errors', async () => {
    const before = problems.length;
    const page = await signedIn();
    const first = (await api('GET', '/v1/decisions?limit=1')).decisions[0];
    const visits: Array<[string, string]> = [
      ['#/overview', 'figure.chart canvas'],
      ['#/models', 'table.models tbody tr'],
      ['#/decisions', 'table.decisions tbody tr'],
      [`#/decision/${first.eventId}`, 'table.candidates tbody tr'],
      [`#/session/${first.sessionId}`, 'table.decisions tbody tr'],
      ['#/experiments', 'table.reports tbody tr'],
      ['#/settings', 'form.settings select'],
    ];
    for (const [hash, selector] of visits) {
      await page.goto(`${server.url}/${hash}`);
      await page.waitForSelector(selector, { timeout: 15_000 });
    }
    await page.waitForTimeout(300);
    assert.deepEqual(problems.slice(before), []);
    await page.close();
  });

  test('the overview’s charts have data and the cards agree with the log', async () => {
    const page = await signedIn();
    await page.waitForSelector('figure.chart canvas');
    const charts = await page.$$eval('figure.chart', (figures) =>
      figures.map((f) => ({
        title: f.getAttribute('data-title'),
        points: Number(f.getAttribute('data-points')),
      })),
    );
    assert.deepEqual(
      charts.map((c) => c.title),
      ['Decisions per minute', 'Reward rate and CTR', 'Exploration and the live model'],
    );
    for (const c of charts) assert.ok(c.points > 0, `${c.title} has no data`);
    const canvases = await page.$$eval('figure.chart canvas', (list) =>
      list.map((c) => (c as unknown as { width: number }).width),
    );
    assert.ok(canvases.every((w) => w > 100));
    const { events } = (await api('GET', '/v1/activity')).allTime;
    const shown = await page.textContent('[data-stat=decisions] .card-value');
    assert.equal(shown?.replace(/,/g, ''), String(events));
    await page.close();
  });

  test('a settings change is validated, saved, and still there after a reload', async () => {
    const page = await signedIn();
    await page.goto(`${server.url}/#/settings`);
    const exploration = '#service-explorationPercentage';
    await page.waitForSelector(exploration);
    // Out of range: refused in the form with a message by the field, nothing sent.
    await page.fill(exploration, '2');
    await page.click('[data-form=service] button[type=submit]');
    await page.waitForSelector('#service-explorationPercentage-error:text("at most 1")');
    assert.equal((await api('GET', '/personalizer/v1.0/configurations/service')).explorationPercentage, 0.2);
    await page.fill(exploration, '0.35');
    await page.fill('#service-rewardWaitTime', 'PT2M');
    await page.click('[data-form=service] button[type=submit]');
    await page.waitForSelector('[data-form=service] .status.ok');
    await page.reload();
    await page.waitForSelector(exploration);
    assert.equal(await page.inputValue(exploration), '0.35');
    assert.equal(await page.inputValue('#service-rewardWaitTime'), 'PT2M');
    const stored = await api('GET', '/personalizer/v1.0/configurations/service');
    assert.equal(stored.explorationPercentage, 0.35);
    assert.equal(server.app.nextbest.service.explorationPercentage, 0.35);
    await page.close();
  });

  test('a rollback, confirmed in a dialog, changes the live model', async () => {
    const page = await signedIn();
    const { live: before, models } = await api('GET', '/v1/models');
    assert.ok(before > 1, `the learner promoted a model (live v${before} of ${models.length})`);
    await page.goto(`${server.url}/#/models`);
    await page.waitForSelector(`tr.live[data-version="${before}"]`);
    // Cancel first: nothing changes.
    await page.click('[data-action=rollback]');
    await page.click('dialog.confirm button:text("Cancel")');
    assert.equal((await api('GET', '/v1/models')).live, before);
    await page.click('[data-action=rollback]');
    await page.click('dialog.confirm [data-confirm]');
    await page.waitForSelector('.status.ok:text("Rolled back")');
    const after = (await api('GET', '/v1/models')).live;
    assert.notEqual(after, before);
    await page.waitForSelector(`tr.live[data-version="${after}"]`);
    assert.equal(server.app.nextbest.live.version, after);
    // Promote it again from the table.
    await page.click(`tr[data-version="${before}"] button:text("Promote")`);
    await page.click('dialog.confirm [data-confirm]');
    await page.waitForSelector(`tr.live[data-version="${before}"]`);
    assert.equal((await api('GET', '/v1/models')).live, before);
    await page.close();
  });

  test('a search for better learning settings shows its suggestion, applied only when confirmed', async () => {
    // The settings test above lengthened the reward window; the log's decisions must be past theirs.
    const service = await api('GET', '/personalizer/v1.0/configurations/service');
    await api('PUT', '/personalizer/v1.0/configurations/service', { ...service, rewardWaitTime: 'PT0.2S' });
    const before = await api('GET', '/personalizer/v1.0/configurations/policy');
    const page = await signedIn();
    await page.goto(`${server.url}/#/models`);
    await page.click('[data-action=search-settings]');
    const row = 'tr[data-evaluation][data-status=completed]';
    await page.waitForSelector(row, { timeout: 120_000 });
    const [evaluation] = await api('GET', '/personalizer/v1.0/evaluations');
    assert.equal(evaluation.status, 'completed');
    assert.ok(evaluation.events > 100, `${evaluation.events} decisions replayed`);
    const gain = Number(await page.getAttribute(`${row} [data-gain]`, 'data-gain'));
    assert.equal(gain, evaluation.suggestion.estimatedGain);
    assert.match(
      (await page.textContent(row)) ?? '',
      new RegExp(evaluation.suggestion.arguments.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')),
    );
    // Cancelled: nothing changes.
    await page.click(`${row} [data-action=apply]`);
    await page.click('dialog.confirm button:text("Cancel")');
    assert.deepEqual(await api('GET', '/personalizer/v1.0/configurations/policy'), before);
    await page.click(`${row} [data-action=apply]`);
    await page.click('dialog.confirm [data-confirm]');
    await page.waitForSelector('.status.ok:text("Learning settings applied")');
    const after = await api('GET', '/personalizer/v1.0/configurations/policy');
    assert.equal(after.arguments, evaluation.suggestion.arguments);
    await page.waitForSelector(`tr[data-evaluation="${evaluation.id}"][data-status=optimalPolicyApplied]`);
    await api('PUT', '/personalizer/v1.0/configurations/policy', before);
    await page.close();
  });

  test('the decision explorer explains a decision and finds a session', async () => {
    const page = await signedIn();
    await page.goto(`${server.url}/#/decisions`);
    await page.waitForSelector('section.importance tr[data-feature]');
    const features = await page.$$eval('section.importance tr[data-feature]', (rows) => rows.length);
    assert.ok(features > 0, 'global importance lists features');
    // The newest decision made by a trained model.
    const { decisions } = await api('GET', '/v1/decisions?limit=100');
    const trained = decisions.find((d: { modelVersion: number }) => d.modelVersion > 1);
    assert.ok(trained, 'some decisions were served by a learned model');
    await page.fill('input[name=lookup]', trained.eventId);
    await page.click('form.lookup button');
    await page.waitForSelector('section.why');
    assert.equal(await page.getAttribute('[data-chosen]', 'data-chosen'), trained.chosenId);
    const rows = await page.$$eval('table.candidates tbody tr', (r) => r.length);
    assert.equal(rows, trained.candidates);
    assert.ok((await page.$$('table.attributions tr[data-term]')).length > 0, 'attributions are shown');
    await page.goto(`${server.url}/#/decisions`);
    await page.fill('input[name=lookup]', trained.sessionId);
    await page.click('form.lookup button');
    await page.waitForSelector('h2:text("Session")');
    assert.match(page.url(), /#\/session\//);
    await page.close();
  });

  test('the experiments page lists the reports and opens one in a sandboxed frame', async () => {
    const page = await signedIn();
    await page.goto(`${server.url}/#/experiments`);
    await page.click('tr[data-report="latest.html"] a');
    const frame = await page.waitForSelector('iframe.report');
    assert.equal(await frame.getAttribute('sandbox'), '');
    const content = await (await frame.contentFrame())?.textContent('h1');
    assert.equal(content, 'Agents against baselines');
    await page.close();
  });

  test('on a phone the overview fits the screen', async () => {
    const page = await signedIn({ width: 390, height: 844 });
    await page.waitForSelector('figure.chart canvas');
    const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - window.innerWidth'));
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
    await page.close();
  });

  test('a new service tells the user what to do next on every page', async () => {
    const sql = await openPglite('memory://');
    const empty = await buildServer({
      sql,
      apiKey: server.key,
      learn: false,
      reportsDir: join(reports, 'none-yet'),
    });
    const url = await empty.listen({ port: 0, host: '127.0.0.1' });
    try {
      const page = await openPage();
      await page.goto(`${url}/`);
      await page.fill('#api-key', server.key);
      await page.click('form button[type=submit]');
      await page.waitForSelector('.empty h3:text("No decisions yet")');
      assert.match((await page.textContent('.empty')) ?? '', /nextbest traffic --url/);
      for (const [hash, title] of [
        ['#/models', 'No candidate has been judged yet'],
        ['#/decisions', 'No decisions logged'],
        ['#/experiments', 'No reports yet'],
      ]) {
        await page.goto(`${url}/${hash}`);
        await page.waitForSelector(`.empty h3:text("${title}")`);
      }
      // Signing out forgets the key.
      await page.click('button:text("Sign out")');
      await page.waitForSelector('#api-key');
      assert.equal(await page.evaluate("sessionStorage.getItem('nextbest.apiKey')"), null);
      await page.close();
    } finally {
      await empty.close();
      await sql.close();
    }
  });

  test('the API reference at /docs lists every operation, without a key', async () => {
    const page = await openPage();
    await page.goto(`${server.url}/docs`);
    await page.waitForSelector('.opblock', { timeout: 15_000 });
    const { OPERATIONS } = await import('../../src/serving/openapi.ts');
    assert.equal((await page.$$('.opblock')).length, Object.keys(OPERATIONS).length);
    await page.close();
  });

  test('after all pages: no console errors anywhere except refused keys', () => {
    const unexpected = problems.filter((p) => !/401|Unauthorized/.test(p));
    assert.deepEqual(unexpected, []);
  });
});
