import assert from 'node:assert/strict';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { parseExperimentConfig } from '../../src/experiments/config.ts';
import { renderReport } from '../../src/experiments/report-html.ts';
import { runExperiment } from '../../src/experiments/runner.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../src/report/browser.ts';
import { browserSkipReason } from '../helpers/dashboard-fixture.ts';

test('the HTML report renders in Chromium: no console errors, charts drawn with data, screenshot taken', {
  skip: browserSkipReason(),
}, async () => {
  const config = parseExperimentConfig({
    name: 'browser check',
    seeds: 2,
    evaluationEpisodes: 10,
    curvePoints: 4,
    environments: [
      {
        id: 'crm',
        entries: [
          {
            name: 'dqn',
            agent: { algorithm: 'dqn', network: { hidden: [8] }, learningStarts: 64, batchSize: 16 },
            steps: 800,
          },
          { name: 'playbook', baseline: 'playbook' },
          { name: 'random', baseline: 'random' },
        ],
      },
    ],
  });
  const result = await runExperiment(config, { workers: 0 });
  const dir = mkdtempSync(join(tmpdir(), 'nextbest-report-'));
  const file = join(dir, 'index.html');
  writeFileSync(file, renderReport(result));
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(pathToFileURL(file).href);
    assert.deepEqual(errors, []);
    assert.deepEqual(
      requests.filter((u) => !u.startsWith('file:')),
      [],
      'nothing fetched from a network',
    );
    assert.ok((await page.locator('svg').count()) >= 6);
    // Every line has a drawn path with real extent, every bar a height.
    const series = await page
      .locator('path.series')
      .evaluateAll((paths) =>
        paths.map((p) => (p as unknown as { getTotalLength(): number }).getTotalLength()),
      );
    assert.ok(series.length >= 3 && series.every((length) => length > 10), `series lengths ${series}`);
    const bars = await page
      .locator('rect.bar')
      .evaluateAll((rects) =>
        rects.map((r) => (r as unknown as { getBBox(): { height: number } }).getBBox().height),
      );
    assert.ok(bars.length >= 3 && bars.some((h) => h > 5));
    assert.equal(await page.locator('table tbody tr').count(), 3);
    const shot = join(dir, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    assert.ok(statSync(shot).size > 20_000);
    // A phone-sized screen: the page stays within its width (tables scroll inside themselves).
    await page.setViewportSize({ width: 390, height: 800 });
    const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - window.innerWidth'));
    assert.ok(overflow <= 1, `page overflows a phone screen by ${overflow}px`);
  } finally {
    await browser.close();
  }
});
