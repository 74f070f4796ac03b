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
import { serviceClient } from '../src/serving/client.ts';
import { runShopSessions, shopEnvironment } from '../src/serving/shop-traffic.ts';
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
  blocks: 5,
  sessionsPerBlock: 80,
  promotion: 'lower-bound',
});
// The lower-bound rule may keep every candidate on this little traffic. The pictures should show a learned
// model at work, so then the newest candidate is promoted by hand (as a person would on the Models page).
const auth = { authorization: `Bearer ${server.key}` };
const { live, models } = JSON.parse(
  (await server.app.inject({ method: 'GET', url: '/v1/models', headers: auth })).body,
);
if (live === 1 && models.length > 1) {
  await server.app.inject({ method: 'POST', url: `/v1/models/${models[0].version}/promote`, headers: auth });
  await runShopSessions(serviceClient(server.url, server.key), shopEnvironment(2), {
    sessions: 40,
    prefix: 'after-promotion',
    seedBase: 90_000,
  });
}
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
  // A decision the learned model made itself (not an exploring one); the blank first model has no reasons.
  type Line = { eventId: string; modelVersion: number; explored: boolean };
  const example =
    (decisions as Line[]).find((d) => d.modelVersion > 1 && !d.explored) ??
    (decisions as Line[]).find((d) => !d.explored) ??
    (decisions as Line[])[0];
  await shoot('#/overview', 'figure.chart canvas', 'dashboard-overview.png');
  await shoot('#/models', 'svg.intervals', 'dashboard-models.png');
  await shoot(`#/decision/${example.eventId}`, 'section.why', 'dashboard-decision.png');
  await shoot('#/decisions', 'section.importance tr[data-feature]', 'dashboard-decisions.png');
  await shoot('#/experiments?open=tune-chain%2Findex.html', 'iframe.report', 'dashboard-experiments.png');
  await shoot('#/settings', 'form.settings select', 'dashboard-settings.png');
  await shoot('#/overview', 'figure.chart canvas', 'dashboard-phone.png', { width: 390, height: 844 });
} finally {
  await browser.close();
  await server.close();
  rmSync(reports, { recursive: true, force: true });
}
