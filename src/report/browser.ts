import { existsSync } from 'node:fs';

/** Debian's Chromium, the only browser the tests and screenshots use (never a downloaded one). */
export const CHROMIUM_PATH = process.env.NEXTBEST_CHROMIUM ?? '/usr/bin/chromium';

export const chromiumAvailable = (): boolean => existsSync(CHROMIUM_PATH);

/** Launch options for headless Chromium on a machine without network access or a GPU. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
