import type { FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH, chromiumAvailable } from '../../src/report/browser.ts';
import { serviceClient } from '../../src/serving/client.ts';
import { buildServer } from '../../src/serving/server.ts';
import { runShopSessions, shopEnvironment } from '../../src/serving/shop-traffic.ts';
import { openPglite, type Sql } from '../../src/store/sql.ts';

/**
 * Whether browser tests can run here. Debian's chromium is the only browser used (never a downloaded
 * one); CI installs it and sets NEXTBEST_REQUIRE_BROWSER=1, so that there a missing browser fails
 * instead of skipping.
 */
export function browserSkipReason(): string | false {
  if (chromiumAvailable()) return false;
  if (process.env.NEXTBEST_REQUIRE_BROWSER === '1') {
    throw new Error(`${CHROMIUM_PATH} is missing and NEXTBEST_REQUIRE_BROWSER=1: apt-get install chromium`);
  }
  return `${CHROMIUM_PATH} is not installed (apt-get install chromium)`;
}

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

export interface FedServer {
  app: FastifyInstance;
  url: string;
  key: string;
  sql: Sql;
  close(): Promise<void>;
}

/**
 * A real decision service on a loopback port (embedded PostgreSQL in memory), fed by simulated shoppers
 * of the ecommerce simulator over HTTP, with learner rounds run between blocks of traffic so that there
 * are several model versions with off-policy evaluations.
 */
export async function startFedServer(options: {
  reportsDir: string;
  blocks?: number;
  sessionsPerBlock?: number;
  promotion?: 'always' | 'lower-bound';
  seed?: number;
  key?: string;
}): Promise<FedServer> {
  const key = options.key ?? 'dashboard-test-key';
  const sql = await openPglite('memory://');
  const app = await buildServer({
    sql,
    apiKey: key,
    learn: false,
    rateLimitPerMinute: 0,
    reportsDir: options.reportsDir,
  });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const call = serviceClient(address, key);
  const service = await call<object>('GET', '/personalizer/v1.0/configurations/service');
  await call('PUT', '/personalizer/v1.0/configurations/service', {
    ...service,
    rewardWaitTime: 'PT0.2S',
    explorationPercentage: 0.2,
  });
  const learner = await call<object>('GET', '/v1/configurations/learner');
  await call('PUT', '/v1/configurations/learner', {
    ...learner,
    minEvents: 100,
    sessionTimeout: 'PT0.5S',
    discount: 0.9,
    estimator: 'wdr',
    promotion: options.promotion ?? 'always',
  });
  const seed = options.seed ?? 1;
  const env = shopEnvironment(seed);
  const blocks = options.blocks ?? 2;
  for (let b = 0; b < blocks; b++) {
    await runShopSessions(call, env, {
      sessions: options.sessionsPerBlock ?? 40,
      prefix: `shop-${b}`,
      seedBase: 1000 * (seed + 1) + b * 100,
    });
    // Let the reward window and the session timeout pass, then run a learner round.
    await new Promise((resolve) => setTimeout(resolve, 700));
    await call('POST', '/v1/models/train');
  }
  return {
    app,
    url: address,
    key,
    sql,
    close: async () => {
      await app.close();
      await sql.close();
    },
  };
}
