/**
 * Calibrates the CRM simulator from the UCI Bank Marketing data (Moro, Cortez & Rita 2014; CC BY 4.0),
 * ../shared/data/bank-marketing/bank-additional-full.csv: conversion (y = yes) by the number of contacts
 * in the campaign, by channel, and by the previous campaign's outcome, with Wilson 95% intervals.
 * `duration` is never read: it is only known after a call ends. Writes src/environments/crm-calibration.json
 * (the simulator's embedded defaults) and prints the table for docs/crm-calibration.md.
 * Usage: npx tsx scripts/calibrate-crm.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const file = join(root, '..', 'shared', 'data', 'bank-marketing', 'bank-additional-full.csv');
const lines = readFileSync(file, 'utf8').trim().split(/\r?\n/);
const header = lines[0].split(';').map((h) => h.replaceAll('"', ''));
const col = (name: string) => header.indexOf(name);
const [cContact, cCampaign, cPoutcome, cY] = ['contact', 'campaign', 'poutcome', 'y'].map(col);
if (header.includes('duration') && [cContact, cCampaign, cPoutcome, cY].includes(col('duration')))
  throw new Error('duration must not be used');

interface Cell {
  n: number;
  yes: number;
}
const cell = (): Cell => ({ n: 0, yes: 0 });
const overall = cell();
const byContacts = new Map<string, Cell>();
const byChannel = new Map<string, Cell>();
const byPrevious = new Map<string, Cell>();
for (const line of lines.slice(1)) {
  const cells = line.split(';').map((c) => c.replaceAll('"', ''));
  const yes = cells[cY] === 'yes' ? 1 : 0;
  const contacts = Number(cells[cCampaign]);
  const key = contacts >= 8 ? '8+' : String(contacts);
  for (const [map, k] of [
    [byContacts, key],
    [byChannel, cells[cContact]],
    [byPrevious, cells[cPoutcome]],
  ] as const) {
    const c = map.get(k) ?? cell();
    c.n++;
    c.yes += yes;
    map.set(k, c);
  }
  overall.n++;
  overall.yes += yes;
}

/** Wilson score interval for a proportion. */
function wilson({ n, yes }: Cell): { rate: number; lower: number; upper: number } {
  const z = 1.96;
  const p = yes / n;
  const centre = (p + (z * z) / (2 * n)) / (1 + (z * z) / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / (1 + (z * z) / n);
  return { rate: p, lower: centre - half, upper: centre + half };
}
const summary = (map: Map<string, Cell>, order: string[]) =>
  Object.fromEntries(order.map((k) => [k, { n: map.get(k)!.n, ...wilson(map.get(k)!) }]));

const contactKeys = ['1', '2', '3', '4', '5', '6', '7', '8+'];
const calibration = {
  source:
    'UCI Bank Marketing, bank-additional-full.csv (Moro, Cortez & Rita 2014), CC BY 4.0; duration not used',
  rows: overall.n,
  conversion: wilson(overall),
  byContactsInCampaign: summary(byContacts, contactKeys),
  byChannel: summary(byChannel, ['cellular', 'telephone']),
  byPreviousOutcome: summary(byPrevious, ['nonexistent', 'failure', 'success']),
  previousOutcomeShare: Object.fromEntries(
    ['nonexistent', 'failure', 'success'].map((k) => [k, byPrevious.get(k)!.n / overall.n]),
  ),
  cellularShare: byChannel.get('cellular')!.n / overall.n,
};
writeFileSync(
  join(root, 'src', 'environments', 'crm-calibration.json'),
  `${JSON.stringify(calibration, null, 2)}\n`,
);
const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
console.log(`rows ${overall.n}, conversion ${pct(calibration.conversion.rate)}\n`);
console.log('| group | rows | conversion | Wilson 95% CI |');
console.log('|---|---:|---:|---|');
for (const [title, table] of [
  ['contacts in campaign', calibration.byContactsInCampaign],
  ['channel', calibration.byChannel],
  ['previous outcome', calibration.byPreviousOutcome],
] as const) {
  for (const [k, v] of Object.entries(table))
    console.log(`| ${title}: ${k} | ${v.n} | ${pct(v.rate)} | [${pct(v.lower)}, ${pct(v.upper)}] |`);
}
