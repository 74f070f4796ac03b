/**
 * Import throughput and peak memory on a generated 10-million-event log (RetailRocket layout),
 * beside DuckDB reading the same CSV in the same run, our import split across two threads, and csv-parse feeding our row parser
 * (the library-or-own decision of docs/decisions/0005). Each contender runs in its own child
 * process so its peak RSS is its own.
 *
 *   node --import tsx benchmarks/import-throughput.ts [--events 10000000] [--repeats 3]
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Rng } from '../src/core/rng.ts';
import { summarize } from '../src/evaluation/statistics.ts';
import { writeResult } from './write-result.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '10000000' },
    repeats: { type: 'string', default: '3' },
    contender: { type: 'string' },
    file: { type: 'string' },
  },
});
const events = Number(values.events);

if (values.contender) {
  await runContender(values.contender, values.file as string);
  process.exit(0);
}

/** Zipf-like draws over `n` ids: a few popular items and visitors, a long tail. */
function zipf(rng: Rng, n: number, s: number): number {
  return Math.min(n - 1, Math.floor(n * rng.float() ** s));
}

async function generate(path: string, n: number): Promise<void> {
  const rng = new Rng(2026);
  const out = createWriteStream(path);
  out.write('timestamp,visitorid,event,itemid,transactionid\n');
  let t = 1_430_000_000_000;
  let transaction = 0;
  let lines: string[] = [];
  for (let i = 0; i < n; i++) {
    t += Math.floor(rng.float() * 2000);
    const visitor = zipf(rng, 1_000_000, 2);
    const item = zipf(rng, 200_000, 3);
    const u = rng.float();
    const event = u < 0.01 ? 'transaction' : u < 0.035 ? 'addtocart' : 'view';
    lines.push(`${t},${visitor},${event},${item},${event === 'transaction' ? ++transaction : ''}`);
    if (lines.length === 100_000) {
      if (!out.write(`${lines.join('\n')}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
      lines = [];
    }
  }
  out.write(lines.length > 0 ? `${lines.join('\n')}\n` : '');
  await new Promise<void>((r) => out.end(() => r()));
}

interface Measurement {
  seconds: number;
  events: number;
  peakRssMb: number;
}

async function runContender(name: string, file: string): Promise<void> {
  // Each contender starts its clock after its modules are loaded.
  let started = 0;
  let count = 0;
  if (name === 'nextbest-1-thread' || name === 'nextbest-2-threads') {
    const { importEvents } = await import('../src/data/import-events.ts');
    const { parseImportConfig } = await import('../src/data/presets.ts');
    const out = `${file}.nbev`;
    started = performance.now();
    const { report } = await importEvents({
      config: parseImportConfig({ sources: [{ preset: 'retailrocket', file }] }),
      outputPath: out,
      // 2: a worker thread reads the file's second half (docs/decisions/0012).
      threads: name === 'nextbest-2-threads' ? 2 : 1,
    });
    count = report.imported;
    rmSync(out);
  } else if (name === 'csv-parse') {
    // The library reader feeding the same row parser and the same chunked file writer.
    const { parse } = await import('csv-parse');
    const { createReadStream } = await import('node:fs');
    const { EventLogBuilder } = await import('../src/data/event-log.ts');
    const { EventLogFileWriter } = await import('../src/data/event-log-file.ts');
    const { compileRowParser, isRowProblem } = await import('../src/data/row-parser.ts');
    const { parseImportConfig } = await import('../src/data/presets.ts');
    const source = parseImportConfig({ sources: [{ preset: 'retailrocket', file }] }).sources[0];
    started = performance.now();
    const rowParser = compileRowParser(source);
    const out = `${file}.csvparse.nbev`;
    const writer = new EventLogFileWriter(out);
    const builder = new EventLogBuilder({ onChunk: (c, n) => writer.writeChunk(c, n) });
    let cells: string[] = [];
    const index = new Map(
      ['timestamp', 'visitorid', 'event', 'itemid', 'transactionid'].map((c, i) => [c, i]),
    );
    const missing = new Set(source.missing);
    const read = (column: string) => {
      const cell = cells[index.get(column) as number];
      return cell === undefined || missing.has(cell) ? undefined : cell;
    };
    const parser = createReadStream(file).pipe(parse({ from_line: 2, relax_column_count: true }));
    for await (const record of parser) {
      cells = record as string[];
      const row = rowParser(read);
      if (!isRowProblem(row)) builder.add(row);
    }
    builder.flush();
    writer.finish(builder.dictionaries());
    count = builder.size;
    rmSync(out);
  } else if (name === 'duckdb') {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    started = performance.now();
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    await connection.run(`create table events as select * from read_csv('${file}', header = true)`);
    const reader = await connection.runAndReadAll('select count(*) as n from events');
    count = Number(reader.getRows()[0][0]);
  } else throw new Error(`unknown contender ${name}`);
  const seconds = (performance.now() - started) / 1000;
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ seconds, events: count, peakRssMb } satisfies Measurement));
}

const dir = join(tmpdir(), 'nextbest-bench');
mkdirSync(dir, { recursive: true });
const file = join(dir, `events-${events}.csv`);
if (!existsSync(file)) {
  console.error(`generating ${events.toLocaleString('en-US')} events → ${file}`);
  await generate(file, events);
}
const bytes = statSync(file).size;
console.error(`${file}: ${(bytes / 1e6).toFixed(0)} MB`);

const contenders = ['nextbest-1-thread', 'nextbest-2-threads', 'csv-parse', 'duckdb'];
const runs: Record<string, Measurement[]> = Object.fromEntries(contenders.map((c) => [c, []]));
for (let r = 0; r < Number(values.repeats); r++) {
  for (const contender of contenders) {
    const output = execFileSync(
      process.execPath,
      [...process.execArgv, new URL(import.meta.url).pathname, '--contender', contender, '--file', file],
      { encoding: 'utf8', maxBuffer: 1 << 20 },
    );
    const m = JSON.parse(output.trim().split('\n').pop() as string) as Measurement;
    runs[contender].push(m);
    console.error(
      `${contender.padEnd(18)} repeat ${r + 1}: ${(m.events / m.seconds / 1e6).toFixed(2)} M events/s, ${m.seconds.toFixed(1)} s, peak RSS ${m.peakRssMb.toFixed(0)} MB`,
    );
  }
}
const rate = (c: string) => summarize(runs[c].map((m) => m.events / m.seconds / 1e6));
const rss = (c: string) => Math.max(...runs[c].map((m) => m.peakRssMb));
const table = contenders.map((c) => {
  const s = rate(c);
  return `| ${c} | ${s.mean.toFixed(2)} ± ${s.halfWidth.toFixed(2)} | ${(rate(c).mean / rate('duckdb').mean).toFixed(2)}× | ${rss(c).toFixed(0)} |`;
});
console.log(`| reader | M events/s (mean ± 95% CI, ${values.repeats} runs) | vs DuckDB | peak RSS (MB) |`);
console.log('|---|---:|---:|---:|');
console.log(table.join('\n'));
writeResult('import-throughput', { file, bytes, events, runs });
