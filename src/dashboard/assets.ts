import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { FastifyInstance } from 'fastify';
import { EngineError } from '../core/engine-error.ts';

const web = join(dirname(fileURLToPath(import.meta.url)), 'web');
const require = createRequire(import.meta.url);

/** The dashboard's routes that carry no data and so need no key: the page itself, its scripts and styles. */
export function isDashboardAsset(route: string): boolean {
  return route === '/' || route === '/index.html' || route.startsWith('/ui/');
}

interface Asset {
  type: string;
  body: string;
}

/**
 * The dashboard's files: index.html, the app bundled from TypeScript by esbuild (with uPlot) once at start,
 * its style sheet and uPlot's. A build error stops the server from starting, rather than serving a blank page.
 */
export function loadDashboardAssets(): Promise<Map<string, Asset>> {
  // Built once per process: every server in it (tests start many) shares the bundle.
  cached ??= buildAssets().catch((error) => {
    cached = null;
    throw error;
  });
  return cached;
}

let cached: Promise<Map<string, Asset>> | null = null;

async function buildAssets(): Promise<Map<string, Asset>> {
  let bundle: string;
  try {
    const result = await build({
      entryPoints: [join(web, 'app.ts')],
      bundle: true,
      write: false,
      format: 'esm',
      target: 'es2022',
      minify: true,
      legalComments: 'inline',
      logLevel: 'silent',
    });
    bundle = result.outputFiles[0].text;
  } catch (error) {
    throw new EngineError('E_DASHBOARD_BUILD', `the dashboard did not build: ${(error as Error).message}`, {
      hint: 'run npm ci; if it persists, this is a bug',
      status: 500,
    });
  }
  const [html, css, uplotCss] = await Promise.all([
    readFile(join(web, 'index.html'), 'utf8'),
    readFile(join(web, 'style.css'), 'utf8'),
    readFile(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  ]);
  return new Map([
    ['/', { type: 'text/html; charset=utf-8', body: html }],
    ['/index.html', { type: 'text/html; charset=utf-8', body: html }],
    ['/ui/app.js', { type: 'text/javascript; charset=utf-8', body: bundle }],
    ['/ui/style.css', { type: 'text/css; charset=utf-8', body: css }],
    ['/ui/uplot.css', { type: 'text/css; charset=utf-8', body: uplotCss }],
  ]);
}

/** A strict policy: only our own scripts; reports open in a sandboxed frame without scripts. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "frame-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Serve the dashboard at / (the API key is asked for by the page and sent with each API call). */
export async function dashboardRoutes(app: FastifyInstance): Promise<void> {
  const assets = await loadDashboardAssets();
  for (const [path, asset] of assets) {
    app.get(path, async (_request, reply) =>
      reply
        .type(asset.type)
        .header('cache-control', 'no-cache')
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        .header('content-security-policy', CONTENT_SECURITY_POLICY)
        .send(asset.body),
    );
  }
}
