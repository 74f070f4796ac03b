/**
 * Writes a synthetic shop event log in the RetailRocket CSV layout (shop-events.csv: 20,000 events
 * of 3,000 visitors on 300 items, seeded) into a folder, for `nextbest import` and
 * `nextbest evaluate --data` (README quick tour). Visitors browse along related items with some
 * jumps, add to cart and sometimes buy; three rows are malformed on purpose, to show the rejects.
 * Usage: npx tsx examples/make-shop-log.ts [folder, default examples/out]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../src/index.ts';

export function writeShopLog(folder: string, events = 20_000, seed = 7): string {
  const rng = new Rng(seed);
  const lines = ['timestamp,visitorid,event,itemid,transactionid'];
  let t = Date.UTC(2026, 5, 1);
  let transaction = 0;
  while (lines.length <= events) {
    const visitor = rng.int(3000);
    let item = rng.int(300);
    const length = 1 + rng.int(8);
    let at = t;
    for (let k = 0; k < length; k++) {
      const u = rng.float();
      const event = k === length - 1 && u < 0.15 ? 'transaction' : u < 0.1 ? 'addtocart' : 'view';
      lines.push(`${at},${visitor},${event},${item},${event === 'transaction' ? ++transaction : ''}`);
      at += 10_000 + rng.int(120_000);
      item = rng.float() < 0.8 ? (item + 1 + rng.int(3)) % 300 : rng.int(300);
    }
    t += rng.int(200_000);
  }
  lines.splice(101, 0, '1780000000000,12,refund,5,'); // an event type the preset does not know
  lines.splice(202, 0, 'yesterday,13,view,6,'); // not a timestamp
  lines.splice(303, 0, '1780000000000,14,view'); // a cell missing
  mkdirSync(folder, { recursive: true });
  const path = join(folder, 'shop-events.csv');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const folder = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), 'out'));
  console.log(`wrote ${writeShopLog(folder)}`);
}
