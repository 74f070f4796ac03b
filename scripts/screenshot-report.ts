/**
 * Screenshot an HTML report with Debian's Chromium (docs/ figures, and a look at what npm start wrote).
 * Usage: node --import tsx scripts/screenshot-report.ts [reports/latest/index.html] [out.png] [width]
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../src/report/browser.ts';

const [input = 'reports/latest/index.html', output = 'report.png', width = '1280'] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
const page = await browser.newPage({ viewport: { width: Number(width), height: 900 } });
const errors: string[] = [];
page.on('pageerror', (error) => errors.push(error.message));
page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
await page.goto(pathToFileURL(resolve(input)).href);
await page.screenshot({ path: output, fullPage: true });
await browser.close();
if (errors.length > 0) {
  console.error(errors.join('\n'));
  process.exit(1);
}
console.log(`${output}: screenshot of ${input}`);
