import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { EngineError } from '../../src/core/engine-error.ts';
import {
  countByType,
  EventLogBuilder,
  importEvents,
  parseImportConfig,
  readEventLog,
  splitQuoted,
} from '../../src/data/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'nb-import-'));
const SHARED = join(import.meta.dirname, '../../../shared/data');

function write(name: string, text: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const retailMapping = {
  user: 'visitor',
  item: 'item',
  eventType: { column: 'event', map: { view: 'click', addtocart: 'cart', transaction: 'purchase' } },
  timestamp: { column: 'ts', unit: 'ms' },
  value: 'price',
};

describe('event import', () => {
  it('splits quoted cells: delimiters, doubled quotes, empty cells', () => {
    assert.deepEqual(splitQuoted('a,"b,c","say ""hi""",', ','), ['a', 'b,c', 'say "hi"', '']);
    assert.deepEqual(splitQuoted('"x', ','), undefined);
  });

  it('imports good rows and rejects each bad one with its line, column and reason', async () => {
    const csv = [
      'ts,visitor,event,item,price',
      '1437927001434,79,view,450209,',
      '1437927001500,79,addtocart,"450,209",12.5', // quoted delimiter inside the item id
      'notatime,80,view,1,', // line 4: bad timestamp
      '1437927001600,81,hover,2,', // line 5: unknown event type
      '1437927001700,,view,3,', // line 6: missing user
      '1437927001800,82,view,4', // line 7: too few cells
      '1437927,83,view,5,', // line 8: seconds given as milliseconds
      '1437927001900,84,transaction,"multi',
      'line id",abc', // lines 9-10: one record across two lines, bad price
      '1437927002000,85,transaction,9,99.5\r', // CRLF line ending
    ].join('\n');
    const file = write('small.csv', csv);
    const rejects = join(dir, 'small.rejects.jsonl');
    const config = parseImportConfig({ sources: [{ file, ...retailMapping }], maxRejectFraction: 1 });
    const { log, report } = await importEvents({ config, rejectsPath: rejects });
    assert.ok(log);
    assert.equal(report.rows, 9);
    assert.equal(report.imported, 3);
    assert.equal(report.rejected, 6);
    assert.deepEqual(report.rejectedByCode, {
      E_TIMESTAMP_INVALID: 2,
      E_EVENT_TYPE_UNKNOWN: 1,
      E_FIELD_MISSING: 1,
      E_COLUMN_COUNT: 1,
      E_NUMBER_INVALID: 1,
    });
    const lines = readFileSync(rejects, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      lines.map((l) => [l.line, l.code, l.column ?? null]),
      [
        [4, 'E_TIMESTAMP_INVALID', 'ts'],
        [5, 'E_EVENT_TYPE_UNKNOWN', 'event'],
        [6, 'E_FIELD_MISSING', 'visitor'],
        [7, 'E_COLUMN_COUNT', null],
        [8, 'E_TIMESTAMP_INVALID', 'ts'],
        [9, 'E_NUMBER_INVALID', 'price'],
      ],
    );
    assert.match(lines[0].raw, /^notatime/);
    assert.deepEqual(log.itemIds, ['450209', '450,209', '9']);
    assert.deepEqual(countByType(log), { click: 1, cart: 1, purchase: 1 });
    assert.ok(Number.isNaN(log.values[0]));
    assert.equal(log.values[1], 12.5);
    assert.equal(log.values[2], 99.5);
  });

  it('reads JSON lines with nested fields, and gzip files', async () => {
    const rows = [
      { t: '2024-03-01T10:00:00Z', who: { id: 'u1' }, sku: 7, kind: 'purchase', amount: 3 },
      { t: '2024-03-01T10:05:00Z', who: { id: 'u2' }, sku: 8, kind: 'click' },
      'not json',
      [1, 2],
      { t: 'yesterday', who: { id: 'u3' }, sku: 9, kind: 'click' },
    ];
    const text = rows.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n');
    const file = write('events.jsonl.gz', gzipSync(text));
    const config = parseImportConfig({
      sources: [
        {
          file,
          format: 'jsonl',
          user: 'who.id',
          item: 'sku',
          eventType: 'kind',
          timestamp: { column: 't', unit: 'iso' },
          value: 'amount',
        },
      ],
      maxRejectFraction: 1,
    });
    const { log, report } = await importEvents({ config });
    assert.ok(log);
    assert.equal(report.imported, 2);
    assert.deepEqual(report.rejectedByCode, { E_JSON_INVALID: 2, E_TIMESTAMP_INVALID: 1 });
    assert.deepEqual(log.userIds, ['u1', 'u2']);
    assert.deepEqual(log.itemIds, ['7', '8']);
    assert.equal(log.timestamps[1] - log.timestamps[0], 300_000);
  });

  it('streams to a .nbev file in chunks that reads back identical to the in-memory import', async () => {
    const lines = ['ts,visitor,event,item,price'];
    for (let i = 0; i < 5000; i++) {
      const event = i % 17 === 0 ? 'transaction' : i % 5 === 0 ? 'addtocart' : 'view';
      lines.push(
        `${1_600_000_000_000 + i * 1000},${i % 97},${event},${(i * 31) % 211},${i % 3 ? i / 10 : ''}`,
      );
    }
    const file = write('medium.csv', lines.join('\n'));
    const config = parseImportConfig({ sources: [{ file, ...retailMapping }] });
    const inMemory = await importEvents({ config });
    const out = join(dir, 'medium.nbev');
    const streamed = await importEvents({ config, outputPath: out, chunkRows: 256 });
    assert.equal(streamed.log, undefined);
    assert.deepEqual(streamed.report, inMemory.report);
    assert.ok(!existsSync(`${out}.partial`));
    const back = readEventLog(out);
    const memory = inMemory.log;
    assert.ok(memory);
    assert.equal(back.length, 5000);
    for (const column of ['users', 'items', 'types', 'timestamps', 'sessions', 'values'] as const) {
      assert.deepEqual(back[column], memory[column].subarray(0, memory.length), column);
    }
    assert.deepEqual(back.itemIds, memory.itemIds);
    assert.deepEqual(streamed.report.eventTypes, { click: 3764, cart: 941, purchase: 295 });
  });

  it('writes the dictionaries as the bytes JSON.stringify gives, without making the text of integer ids', () => {
    const builder = new EventLogBuilder();
    const users = [
      '0',
      '7',
      '10',
      '999999999',
      '4194304',
      '4194303',
      '007',
      '-1',
      '1e3',
      ' 5',
      '12345678901',
    ];
    const items = ['a"b', 'é', '\u0000\n', '\ud800', 'x,y', '\\', '42', '💡', ''];
    for (let i = 0; i < 40; i++) {
      builder.add({
        user: users[i % users.length],
        item: items[i % items.length],
        type: i % 5 === 0 ? 'odd "type"' : 'click',
        timestampMs: i,
        session: i % 3 === 0 ? String(i * 1000) : `s-${i}`,
        userAttributes: { tier: i % 2 ? 'gold' : null, score: i / 3 },
        itemAttributes: { price: Number.NaN },
      });
    }
    const expected = JSON.stringify(builder.dictionaries());
    assert.equal(builder.dictionariesJson().toString('utf8'), expected, 'the same JSON text');
    assert.equal(
      Buffer.compare(builder.dictionariesJson(), Buffer.from(expected, 'utf8')),
      0,
      'the same bytes',
    );
    assert.equal(
      new EventLogBuilder().dictionariesJson().toString(),
      JSON.stringify(new EventLogBuilder().dictionaries()),
    );
  });

  it('names the missing column and lists the header when the mapping does not fit the file', async () => {
    const file = write('wrong.csv', 'time,user,item\n1,2,3\n');
    const config = parseImportConfig({ sources: [{ file, ...retailMapping }] });
    await assert.rejects(importEvents({ config }), (error: EngineError) => {
      assert.equal(error.code, 'E_COLUMN_NOT_FOUND');
      assert.equal(error.path, `${file}:1`);
      assert.match(error.hint ?? '', /the file has: time, user, item/);
      return true;
    });
  });

  it('fails when too many rows are rejected, after writing every rejected row', async () => {
    const file = write(
      'mostly-bad.csv',
      'ts,visitor,event,item,price\n1,1,view,1,\n2,1,view,1,\n1600000000000,1,view,1,\n',
    );
    const rejects = join(dir, 'mostly-bad.rejects.jsonl');
    const config = parseImportConfig({ sources: [{ file, ...retailMapping }] });
    await assert.rejects(importEvents({ config, rejectsPath: rejects }), (error: EngineError) => {
      assert.equal(error.code, 'E_TOO_MANY_REJECTS');
      assert.match(error.message, /2 of 3 rows rejected/);
      return true;
    });
    assert.equal(readFileSync(rejects, 'utf8').trim().split('\n').length, 2);
    // Streaming to a file: the same error, and neither the output nor its partial file is left.
    const out = join(dir, 'mostly-bad.nbev');
    await assert.rejects(importEvents({ config, outputPath: out }), { code: 'E_TOO_MANY_REJECTS' });
    assert.ok(!existsSync(out) && !existsSync(`${out}.partial`));
  });

  it('rejects a bad mapping with the field at fault', () => {
    assert.throws(
      () =>
        parseImportConfig({
          sources: [{ item: 'i', eventType: 'e', timestamp: { column: 't', unit: 'h' } }],
        }),
      (error: EngineError) => error.code === 'E_CONFIG_INVALID' && /sources\.0/.test(error.message),
    );
    assert.throws(
      () => parseImportConfig({ sources: [{ preset: 'nope' }] }),
      (error: EngineError) => error.code === 'E_PRESET_UNKNOWN',
    );
  });
});

describe('presets on the shared datasets', { skip: !existsSync(SHARED) && 'needs ../shared/data' }, () => {
  it('RetailRocket: every row, with views, add-to-carts and transactions', async () => {
    const config = parseImportConfig({
      sources: [{ preset: 'retailrocket', file: join(SHARED, 'retailrocket/events.csv') }],
    });
    const { log, report } = await importEvents({ config });
    assert.equal(report.rows, 2771);
    assert.equal(report.rejected, 0);
    assert.deepEqual(report.eventTypes, { click: 2695, cart: 62, purchase: 14 });
    assert.equal(log?.userIds.length, 1500);
    assert.equal(log?.itemIds.length, 2127);
  });

  it('YOOCHOOSE clicks and DIGINETICA views + purchases joined on session ids', async () => {
    const yoochoose = await importEvents({
      config: parseImportConfig({
        sources: [
          { preset: 'yoochoose', file: join(SHARED, 'yoochoose/yoochoose-clicks-100k_train_full.txt') },
        ],
      }),
    });
    assert.equal(yoochoose.report.imported, 70_278);
    assert.equal(yoochoose.report.sessions, 17_794);
    const diginetica = await importEvents({
      config: parseImportConfig({
        sources: [
          { preset: 'diginetica-views', file: join(SHARED, 'diginetica/sample_train-item-views.csv') },
          { preset: 'diginetica-purchases', file: join(SHARED, 'diginetica/train-purchases.csv') },
        ],
      }),
    });
    assert.equal(diginetica.report.rejected, 0);
    assert.deepEqual(diginetica.report.eventTypes, { click: 12_391, purchase: 18_025 });
    // 2,986 view sessions; purchases add their own sessions, 138 of them shared with the views.
    const viewSessions = 2986;
    const purchaseSessions = 12_630;
    assert.equal(diginetica.report.sessions, viewSessions + purchaseSessions - 138);
  });

  it('attribute side files join users and items by id; unknown ids are counted, bad rows rejected by line', async () => {
    const events = write(
      'shop.csv',
      [
        'ts,visitor,event,item,price',
        '1700000001000,7,view,100,',
        '1700000002000,7,addtocart,101,9.5',
        '1700000003000,8,view,100,',
      ].join('\n'),
    );
    const catalogue = write(
      'catalogue.csv',
      ['sku;category;price', '100;shoes;30', '101;hats;', ';socks;2', '999;bags;5'].join('\n'),
    );
    const customers = write(
      'customers.jsonl',
      [
        '{"id": 7, "profile": {"segment": "gold", "age": 41}}',
        'not json',
        '{"id": 8, "profile": {"segment": "new"}}',
      ].join('\n'),
    );
    const rejects = join(dir, 'attributes.rejects.jsonl');
    const out = join(dir, 'attributes.nbev');
    const { report } = await importEvents({
      config: parseImportConfig({
        sources: [{ file: events, ...retailMapping }],
        attributes: [
          { file: catalogue, of: 'item', delimiter: ';', key: 'sku', attributes: ['category', 'price'] },
          {
            file: customers,
            of: 'user',
            format: 'jsonl',
            key: 'id',
            attributes: ['profile.segment', 'profile.age'],
          },
        ],
      }),
      outputPath: out,
      rejectsPath: rejects,
    });
    assert.deepEqual(
      report.attributes.map(({ of, rows, matched, unmatched, rejected }) => ({
        of,
        rows,
        matched,
        unmatched,
        rejected,
      })),
      [
        { of: 'item', rows: 4, matched: 2, unmatched: 1, rejected: 1 },
        { of: 'user', rows: 3, matched: 2, unmatched: 0, rejected: 1 },
      ],
    );
    const log = readEventLog(out);
    const item = (id: string) => log.itemIds.indexOf(id);
    assert.equal(log.itemAttributes.category[item('100')], 'shoes');
    assert.equal(log.itemAttributes.price[item('100')], 30);
    assert.equal(log.itemAttributes.price[item('101')], null, 'an empty cell is missing');
    const user = (id: string) => log.userIds.indexOf(id);
    assert.equal(log.userAttributes['profile.segment'][user('7')], 'gold');
    assert.equal(log.userAttributes['profile.age'][user('7')], 41);
    assert.equal(log.userAttributes['profile.age'][user('8')] ?? null, null);
    const rejected = readFileSync(rejects, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.deepEqual(
      rejected.map((r) => [r.file, r.line, r.code, r.column ?? null]),
      [
        [catalogue, 4, 'E_FIELD_MISSING', 'sku'],
        [customers, 2, 'E_JSON_INVALID', null],
      ],
    );
    // A side file whose header lacks the key names it.
    await assert.rejects(
      importEvents({
        config: parseImportConfig({
          sources: [{ file: events, ...retailMapping }],
          attributes: [
            { file: catalogue, of: 'item', delimiter: ';', key: 'itemId', attributes: ['category'] },
          ],
        }),
      }),
      (error: EngineError) => error.code === 'E_COLUMN_NOT_FOUND' && /'itemId'/.test(error.message),
    );
  });

  it('DIGINETICA views with the item categories side file (preset)', async () => {
    const { log, report } = await importEvents({
      config: parseImportConfig({
        sources: [
          { preset: 'diginetica-views', file: join(SHARED, 'diginetica/sample_train-item-views.csv') },
        ],
        attributes: [
          { preset: 'diginetica-categories', file: join(SHARED, 'diginetica/product-categories.csv') },
        ],
      }),
    });
    assert.ok(log);
    assert.equal(report.attributes[0].matched, log.itemIds.length, 'every viewed item has a category');
    assert.equal(report.attributes[0].rejected, 0);
    const categories = new Set(log.itemAttributes.categoryId);
    assert.ok(categories.size > 100 && categories.size < log.itemIds.length, `${categories.size} categories`);
  });

  it('Open Bandit: impressions with their logging propensities', async () => {
    const { log, report } = await importEvents({
      config: parseImportConfig({
        sources: [{ preset: 'open-bandit', file: join(SHARED, 'open-bandit/random/men/men.csv') }],
      }),
    });
    assert.equal(report.imported, 10_000);
    assert.deepEqual(report.eventTypes, { click: 46, impression: 9954 });
    assert.ok(log);
    assert.ok(Math.abs(log.propensities[0] - 1 / 34) < 1e-6);
    assert.equal(log.itemIds.length, 34);
  });
});
