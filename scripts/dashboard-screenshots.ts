/**
 * The dashboard screenshots in docs/ and the README, taken from a real server: simulated shoppers feed it
 * over HTTP in four blocks with a learner round after each (promotion by the lower confidence bound), and
 * the reports folder holds a real `nextbest tune` run.
 *
 *   node --experimental-wasm-relaxed-simd --import tsx scripts/dashboard-screenshots.ts [--out docs]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { launchChromium, startFedServer } from '../test/helpers/dashboard-fixture.ts';

const { values } = parseArgs({ options: { out: { type: 'string', default: 'docs' } } });
const out = values.out as string;
const reports = mkdtempSync(join(tmpdir(), 'nextbest-shots-'));
execFileSync(
  process.execPath,
  [
    '--experimental-wasm-relaxed-simd',
    '--import',
    'tsx',
    'src/cli/main.ts',
    'tune',
    '--config',
    'examples/tune-chain.json',
    '--out',
    join(reports, 'tune-chain'),
    '--quiet',
  ],
  { stdio: 'ignore' },
);
const server = await startFedServer({
  reportsDir: reports,
  blocks: 4,
  sessionsPerBlock: 80,
  promotion: 'lower-bound',
});
const browser = await launchChromium();
try {
  const shoot = async (
    hash: string,
    selector: string,
    file: string,
    viewport = { width: 1280, height: 860 },
  ) => {
    const page = await browser.newPage({ viewport });
    await page.goto(`${server.url}/`);
    await page.evaluate(`sessionStorage.setItem('nextbest.apiKey', ${JSON.stringify(server.key)})`);
    await page.goto(`${server.url}/${hash}`);
    await page.reload();
    await page.waitForSelector(selector, { timeout: 20_000 });
    await page.waitForTimeout(600);
    await page.screenshot({ path: join(out, file), fullPage: viewport.width > 500 });
    console.log(`${join(out, file)}`);
    await page.close();
  };
  const { decisions } = JSON.parse(
    (
      await server.app.inject({
        method: 'GET',
        url: '/v1/decisions?limit=200',
        headers: { authorization: `Bearer ${server.key}` },
      })
    ).body,
  );
  const example = decisions.find(
    (d: { modelVersion: number; explored: boolean }) => d.modelVersion > 1 && !d.explored,
  );
  await shoot('#/overview', 'figure.chart canvas', 'dashboard-overview.png');
  await shoot('#/models', 'svg.intervals', 'dashboard-models.png');
  await shoot(`#/decision/${example.eventId}`, 'table.attributions', 'dashboard-decision.png');
  await shoot('#/decisions', 'section.importance tr[data-feature]', 'dashboard-decisions.png');
  await shoot('#/experiments?open=tune-chain%2Findex.html', 'iframe.report', 'dashboard-experiments.png');
  await shoot('#/settings', 'form.settings select', 'dashboard-settings.png');
  await shoot('#/overview', 'figure.chart canvas', 'dashboard-phone.png', { width: 390, height: 844 });
} finally {
  await browser.close();
  await server.close();
  rmSync(reports, { recursive: true, force: true });
}
