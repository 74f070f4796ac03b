import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Rng } from '../../src/core/rng.ts';
import { Shard } from '../../src/data/import-shard.ts';
import {
  type EventLog,
  type ImportReport,
  importEvents,
  parseImportConfig,
  readEventLog,
} from '../../src/data/index.ts';
import { type LineRange, readByteLineBatches } from '../../src/data/line-reader.ts';

const dir = mkdtempSync(join(tmpdir(), 'nb-byte-rows-'));

/**
 * The byte reader takes the rows it can read exactly and hands the rest to the general path; an
 * import must come out the same either way: columns, dictionaries, report and rejects file.
 */
async function importBoth(name: string, text: string, mapping: Record<string, unknown>) {
  const file = join(dir, `${name}.csv`);
  writeFileSync(file, text);
  const general = await importOnce(file, mapping, { byteRows: false });
  const bytes = await importOnce(file, mapping, { byteRows: true, threads: 1 });
  return { general, bytes };
}

async function importOnce(
  file: string,
  mapping: Record<string, unknown>,
  options: { byteRows: boolean; threads?: number; splitMinBytes?: number; outputPath?: string },
) {
  const rejectsPath = join(dir, `rejects-${++runs}.jsonl`);
  const config = parseImportConfig({ sources: [{ file, ...mapping }], maxRejectFraction: 1 });
  let { log, report } = await importEvents({ config, rejectsPath, ...options });
  if (options.outputPath) log = readEventLog(options.outputPath);
  const rejects = existsSync(rejectsPath) ? readFileSync(rejectsPath, 'utf8') : '';
  return { log: log as EventLog, report, rejects };
}
let runs = 0;

/** Open file descriptors of this process (Linux), to check that nothing leaks. */
function openFiles(): number {
  return existsSync('/proc/self/fd') ? readdirSync('/proc/self/fd').length : 0;
}

function assertSameImport(a: { log: EventLog; report: ImportReport; rejects: string }, b: typeof a): void {
  const columns = (log: EventLog) => ({
    users: [...log.users.subarray(0, log.length)],
    items: [...log.items.subarray(0, log.length)],
    types: [...log.types.subarray(0, log.length)],
    sessions: [...log.sessions.subarray(0, log.length)],
    timestamps: [...log.timestamps.subarray(0, log.length)],
    values: [...log.values.subarray(0, log.length)],
    propensities: [...log.propensities.subarray(0, log.length)],
  });
  assert.deepEqual(columns(b.log), columns(a.log));
  for (const key of ['userIds', 'itemIds', 'sessionIds', 'typeNames'] as const) {
    assert.deepEqual(b.log[key], a.log[key], key);
  }
  const report = ({ sources, ...rest }: ImportReport) => ({
    ...rest,
    sources: sources.map(({ byteRows: _, threads: __, ...s }) => s),
  });
  assert.deepEqual(report(b.report), report(a.report));
  assert.equal(b.rejects, a.rejects);
}

/** A seeded log with every kind of cell the two paths must agree on, good and bad. */
function messyLog(seed: number, rows: number): string {
  const rng = new Rng(seed);
  const pick = <T>(xs: T[]): T => xs[rng.int(xs.length)];
  const id = () =>
    pick([
      () => String(rng.int(500)),
      () => String(rng.int(2_000_000_000)), // 10 digits: past the integer key
      () => `0${rng.int(50)}`, // a leading zero is text, not a number
      () => `sku-${rng.int(40)}`,
      () => `é${rng.int(5)}`,
      () => '',
      () => 'NA',
      () => ` ${rng.int(9)}`,
    ])();
  const timestamp = () =>
    pick([
      () => String(1_600_000_000_000 + rng.int(1e9)),
      () => String(1_600_000_000_000 + rng.int(1e9)),
      () => `${1_600_000_000_000 + rng.int(1e6)}.5`,
      () => String(1_600_000_000 + rng.int(1e6)), // seconds given as ms
      () => 'soon',
      () => '',
      () => ' 1600000000000',
      () => '1.6e12',
      () => '-1600000000000',
    ])();
  const event = () => pick(['view', 'view', 'view', 'addtocart', 'transaction', 'hover', '', 'NA', 'vïew']);
  const number = () =>
    pick([
      '',
      '12.5',
      '0',
      '-3',
      '7.',
      '.5',
      'abc',
      '1e3',
      'NaN',
      '0.25',
      '1.5',
      '123456789012345678',
      '0.1234567890123',
    ]);
  const lines = ['ts,visitor,event,item,price,p'];
  for (let i = 0; i < rows; i++) {
    const cells = [timestamp(), id(), event(), id(), number(), number()];
    const shape = rng.float();
    if (shape < 0.03)
      lines.push(cells.slice(0, 5).join(',')); // too few cells
    else if (shape < 0.05)
      lines.push([...cells, 'x'].join(',')); // too many
    else if (shape < 0.07)
      lines.push(`${cells.slice(0, 3).join(',')},"${cells[3]},q",${cells[4]},${cells[5]}`);
    else if (shape < 0.08)
      lines.push(`${cells.slice(0, 3).join(',')},"multi`, `line",${cells[4]},${cells[5]}`);
    else if (shape < 0.09) lines.push('');
    else if (shape < 0.11) lines.push(`${cells.join(',')}\r`);
    else lines.push(cells.join(','));
  }
  return lines.join('\n');
}

describe('byte-level CSV rows', () => {
  const retail = {
    user: 'visitor',
    item: 'item',
    eventType: { column: 'event', map: { view: 'click', addtocart: 'cart', transaction: 'purchase' } },
    timestamp: { column: 'ts', unit: 'ms' },
    value: 'price',
    propensity: 'p',
  };

  it('read a messy log exactly as the general path does (5 seeds)', async () => {
    for (let seed = 1; seed <= 5; seed++) {
      const { general, bytes } = await importBoth(`messy-${seed}`, messyLog(seed, 3000), retail);
      assertSameImport(general, bytes);
      const [source] = bytes.report.sources;
      assert.equal(general.report.sources[0].byteRows, 0);
      // Not vacuous: most good rows went through the bytes, and some were rejected.
      assert.ok(source.byteRows > 0.3 * source.imported, `${source.byteRows} of ${source.imported}`);
      assert.ok(source.byteRows < source.imported);
      assert.ok(bytes.report.rejected > 100);
    }
  });

  it('agree on sessions without users, seconds, constant and kept event types', async () => {
    const mappings: Record<string, unknown>[] = [
      {
        session: 'visitor',
        item: 'item',
        eventType: { constant: 'click' },
        timestamp: { column: 'ts', unit: 's' },
      },
      {
        session: 'visitor',
        user: { constant: 'everyone' },
        item: 'item',
        eventType: { column: 'event', map: { view: 'click' }, unmapped: 'keep' },
        timestamp: { column: 'ts', unit: 'ms' },
        missing: [],
      },
      {
        user: 'visitor',
        item: 'item',
        eventType: 'event',
        timestamp: { column: 'ts', unit: 'ms' },
        value: 'p',
      },
    ];
    for (const [k, mapping] of mappings.entries()) {
      const { general, bytes } = await importBoth(`mapping-${k}`, messyLog(10 + k, 2000), mapping);
      assertSameImport(general, bytes);
      assert.ok(bytes.report.sources[0].byteRows > 0, `mapping ${k} read no row from its bytes`);
    }
  });

  it('agree on a date plus an offset (DIGINETICA)', async () => {
    const rng = new Rng(50);
    const pick = <T>(xs: T[]): T => xs[rng.int(xs.length)];
    const lines = ['session_id;user_id;item_id;timeframe;eventdate'];
    for (let i = 0; i < 3000; i++) {
      const date = pick([
        '2016-05-09',
        '2016-05-10',
        '2016-06-01',
        '2016-5-9',
        '2016-02-30',
        '',
        'NA',
        '2016-13-01',
      ]);
      const offset = pick([
        String(rng.int(1e8)),
        String(rng.int(1e8)),
        '-5',
        '1e3',
        '',
        '99999999999',
        '12.5',
      ]);
      lines.push(`${rng.int(400)};NA;${rng.int(90)};${offset};${date}`);
    }
    const mapping = {
      delimiter: ';',
      session: 'session_id',
      item: 'item_id',
      eventType: { constant: 'click' },
      timestamp: { date: 'eventdate', offsetMs: 'timeframe' },
    };
    const { general, bytes } = await importBoth('dates', lines.join('\n'), mapping);
    assertSameImport(general, bytes);
    assert.ok(bytes.report.sources[0].byteRows > 0.3 * bytes.report.sources[0].imported);
    assert.ok(bytes.report.rejected > 500);
  });

  it('agree on ISO-8601 date-times, strict and lenient', async () => {
    const rng = new Rng(60);
    const pick = <T>(xs: T[]): T => xs[rng.int(xs.length)];
    const lines = ['ts,visitor,event,item,price,p'];
    const two = (n: number) => String(n).padStart(2, '0');
    for (let i = 0; i < 4000; i++) {
      const date = pick([
        `2014-${two(1 + rng.int(12))}-${two(1 + rng.int(28))}`,
        `2014-${two(1 + rng.int(12))}-${two(1 + rng.int(28))}`,
        pick([
          '2014-02-30',
          '2014-04-31',
          '2014-13-01',
          '2014-00-10',
          '2014-04-00',
          '2014-04-32',
          '1989-12-31',
        ]),
        pick(['2014/04/06', '14-04-06', '2014-4-6']),
      ]);
      const time = pick([
        `${two(rng.int(24))}:${two(rng.int(60))}:${two(rng.int(60))}`,
        pick(['24:00:00', '23:60:00', '23:59:60', '7:05:00', '12:30']),
      ]);
      const fraction = pick(['', '', `.${String(rng.int(1000)).padStart(3, '0')}`, '.5', '.12345']);
      const zone = pick(['Z', 'Z', '+02:00', '-05:30', '+14:00', '-0230', '+24:00', '']);
      const sep = pick(['T', 'T', 'T', ' ', 't']);
      lines.push(`${date}${sep}${time}${fraction}${zone},${rng.int(300)},view,${rng.int(80)},,`);
    }
    const mapping = { ...retail, timestamp: { column: 'ts', unit: 'iso' } };
    const { general, bytes } = await importBoth('iso', lines.join('\n'), mapping);
    assertSameImport(general, bytes);
    // About a fifth of the accepted rows are strict ISO; the lenient rest goes the general way.
    const [source] = bytes.report.sources;
    assert.ok(source.byteRows > 0.1 * source.imported, `${source.byteRows} of ${source.imported}`);
    assert.ok(source.byteRows < source.imported, 'some go the general way');
  });

  it('leave mappings they cannot read exactly to the general path', async () => {
    const text = messyLog(20, 200);
    for (const [k, mapping] of [
      { ...retail, missing: ['', '0'] }, // a number-like "missing" token
      { ...retail, user: { columns: ['visitor', 'event'] } },
      { ...retail, itemAttributes: ['price'] },
    ].entries()) {
      const { general, bytes } = await importBoth(`declined-${k}`, text, mapping);
      assertSameImport(general, bytes);
      assert.equal(bytes.report.sources[0].byteRows, 0);
    }
  });

  it('come as byte lines identical to the text, across read blocks, CRLF and a line longer than a block', async () => {
    const rng = new Rng(11);
    const lines: string[] = [];
    // Lines of every length around the 1 MiB read block, some empty, one of 2.5 MiB, CRLF ends.
    for (let i = 0; i < 4000; i++) {
      const length = i === 1500 ? 2_500_000 : Math.floor(rng.float() * 1800);
      lines.push('é,x'.repeat(Math.ceil(length / 4)).slice(0, length));
    }
    const text = `${lines.join('\r\n')}\r\nlast line without an end`;
    const file = join(dir, 'blocks.txt');
    writeFileSync(file, text);
    const expected = text.split('\n').map((line) => line.replace(/\r$/, ''));
    const read = async (range?: LineRange) => {
      const out: string[] = [];
      let next = range?.firstLine ?? 1;
      for await (const batch of readByteLineBatches(file, undefined, range)) {
        assert.equal(batch.firstLine, next, 'line numbers follow on');
        for (let k = 0; k < batch.count; k++)
          out.push(batch.buffer.toString('utf8', batch.starts[k], batch.ends[k]));
        next += batch.count;
      }
      return out;
    };
    assert.deepEqual(await read(), expected, 'the whole file');
    // A range from a line start in the middle to the end.
    const bytes = Buffer.from(text, 'utf8');
    const start = bytes.indexOf(10, bytes.length >> 1) + 1;
    const firstLine = bytes.subarray(0, start).toString('utf8').split('\n').length;
    assert.deepEqual(
      await read({ start, end: bytes.length, firstLine }),
      expected.slice(firstLine - 1),
      'a range',
    );
  });

  it('split across two threads, give the one-thread import row for row', async () => {
    const file = join(dir, 'split.csv');
    writeFileSync(file, messyLog(30, 6000));
    const one = await importOnce(file, retail, { byteRows: true, threads: 1 });
    const two = await importOnce(file, retail, { byteRows: true, threads: 2, splitMinBytes: 0 });
    assert.equal(one.report.sources[0].threads, 1);
    assert.equal(two.report.sources[0].threads, 2);
    assertSameImport(one, two);
    // Streamed to a .nbev file in small chunks: the same log again.
    const out = join(dir, 'split.nbev');
    const streamed = await importOnce(file, retail, {
      byteRows: true,
      threads: 2,
      splitMinBytes: 0,
      outputPath: out,
    });
    assert.equal(streamed.report.sources[0].threads, 2);
    assertSameImport(one, streamed);
  });

  it('read on in one thread when the split point falls inside a quoted cell', async () => {
    const rows = messyLog(40, 400).split('\n');
    // A quoted cell of many lines spanning the middle of the file.
    const long = Array.from({ length: 2000 }, (_, i) => `note ${i}`).join('\n');
    const text = [...rows.slice(0, 200), `1600000000000,1,view,"${long}",,`, ...rows.slice(200)].join('\n');
    const file = join(dir, 'split-quoted.csv');
    writeFileSync(file, text);
    const one = await importOnce(file, retail, { byteRows: true, threads: 1 });
    const fds = openFiles();
    const two = await importOnce(file, retail, { byteRows: true, threads: 2, splitMinBytes: 0 });
    assert.equal(two.report.sources[0].threads, 1);
    // The stopped worker closed its files (a terminated thread would leave them open).
    assert.ok(openFiles() <= fds, `${openFiles()} files open, ${fds} before`);
    assertSameImport(one, two);
    assert.ok(one.log.itemIds.some((id) => id.startsWith('note 0\nnote 1')));
  });

  it('fail as one thread does when the worker half fails, leaving no file behind', async () => {
    // 300 event types kept as they are: past the 256 a log holds, in the second half of the file.
    const lines = ['ts,visitor,event,item,price,p'];
    for (let i = 0; i < 2000; i++)
      lines.push(`${1_600_000_000_000 + i},${i % 50},kind${i < 1000 ? 0 : i % 300},${i % 70},,`);
    const file = join(dir, 'too-many-types.csv');
    writeFileSync(file, lines.join('\n'));
    const mapping = { ...retail, eventType: { column: 'event', map: {}, unmapped: 'keep' } };
    const config = parseImportConfig({ sources: [{ file, ...mapping }] });
    const outputPath = join(dir, 'too-many-types.nbev');
    await assert.rejects(importEvents({ config, threads: 1 }), /at most 256 event types/);
    const fds = openFiles();
    await assert.rejects(
      importEvents({ config, threads: 2, splitMinBytes: 0, outputPath }),
      /at most 256 event types/,
    );
    assert.equal(existsSync(outputPath), false);
    assert.equal(existsSync(`${outputPath}.partial`), false);
    assert.ok(openFiles() <= fds, `${openFiles()} files open, ${fds} before`);
  });

  it('stop a worker mid-read with its files closed (a terminated thread would leak them)', async () => {
    const lines = ['ts,visitor,event,item,price,p'];
    for (let i = 0; i < 300_000; i++) lines.push(`${1_600_000_000_000 + i},${i % 997},view,${i % 89},,`);
    const file = join(dir, 'long.csv');
    writeFileSync(file, lines.join('\n'));
    const source = parseImportConfig({ sources: [{ file, ...retail }] }).sources[0];
    const shardDir = mkdtempSync(join(dir, 'shard-'));
    const fds = openFiles();
    let stopping: Promise<void> | undefined;
    let reads = 0;
    const shard = new Shard(
      { path: file, source, header: lines[0].split(','), start: lines[0].length + 1, dir: shardDir },
      () => {
        reads++;
        stopping ??= shard.close();
      },
    );
    await assert.rejects(shard.result, /stopped this worker/);
    await stopping;
    assert.ok(reads >= 1);
    assert.equal(existsSync(shardDir), false);
    assert.ok(openFiles() <= fds, `${openFiles()} files open, ${fds} before`);
  });
});
