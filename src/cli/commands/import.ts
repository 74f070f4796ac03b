import { EngineError } from '../../core/engine-error.ts';
import { readEventLog } from '../../data/event-log-file.ts';
import { type ImportReport, importEvents } from '../../data/import-events.ts';
import { DEFAULT_IMPORT_THREADS } from '../../data/import-shard.ts';
import { prepareLog, splitSummary } from '../../data/prepare.ts';
import { ATTRIBUTE_PRESETS, IMPORT_PRESETS, parseImportConfig } from '../../data/presets.ts';
import { intFlag, parseCommandLine, readJson } from '../args.ts';
import { progressBar } from '../progress.ts';
import { formatTable } from '../table.ts';
import { readPrepareConfig } from './prepare-flag.ts';

export const importHelp = `nextbest import FILE... (--preset NAME | --config import.json) [--out events.nbev]
               [--attributes PRESET=FILE]... [--rejects FILE] [--max-reject-fraction 0.5] [--prepare prepare.json] [--no-preview]
               [--threads 1|2] [--quiet] [--json]

Stream event logs (CSV, TSV or JSON lines; .gz is read as gzip) into one columnar file for training.
Every row is parsed by the column mapping; bad rows are counted by reason and written with their
line, column and raw text to the rejects file (default <out>.rejects.jsonl). Then it previews the
cleaning and time split that training will apply (settings from --prepare).

With --threads 2, a large CSV (64 MiB or more) is read by two threads: a worker reads its second
half. The result is the same as with one thread, the default, which is as fast on a 2-core machine
and takes less memory (docs/decisions/0013).

Presets:
${Object.entries(IMPORT_PRESETS)
  .map(([name, p]) => `  ${name.padEnd(22)} ${p.description}`)
  .join('\n')}

Attribute side files (a catalogue, a CRM export), joined to the events' users or items by id:
${Object.entries(ATTRIBUTE_PRESETS)
  .map(([name, p]) => `  ${name.padEnd(22)} ${p.description}`)
  .join('\n')}

A config file maps columns itself, or names a preset per file:
  {"sources": [{"preset": "diginetica-views", "file": "views.csv"},
               {"preset": "diginetica-purchases", "file": "purchases.csv"}]}
  {"sources": [{"file": "log.csv", "user": "customer", "item": "sku",
                "eventType": {"column": "kind", "map": {"view": "click", "buy": "purchase"}},
                "timestamp": {"column": "at", "unit": "iso"}, "value": "price"}],
   "attributes": [{"file": "customers.csv", "of": "user", "key": "customer",
                   "attributes": ["segment", "age"]}]}`;

export async function runImport(argv: string[]): Promise<number> {
  const { flags, positionals } = parseCommandLine('import', argv, {
    preset: { type: 'string' },
    config: { type: 'string' },
    attributes: { type: 'string', multiple: true },
    out: { type: 'string' },
    rejects: { type: 'string' },
    'max-reject-fraction': { type: 'string' },
    prepare: { type: 'string' },
    'no-preview': { type: 'boolean' },
    threads: { type: 'string' },
    quiet: { type: 'boolean' },
    json: { type: 'boolean' },
    help: { type: 'boolean' },
  });
  if (flags.help) {
    console.log(importHelp);
    return 0;
  }
  if ((flags.preset === undefined) === (flags.config === undefined)) {
    throw new EngineError('E_USAGE', 'import: give exactly one of --preset NAME or --config FILE', {
      hint: "run 'nextbest import --help' for the presets and the config format",
    });
  }
  let raw: Record<string, unknown>;
  if (flags.preset) {
    if (positionals.length === 0) {
      throw new EngineError('E_USAGE', 'import: name the files to import', {
        hint: `nextbest import --preset ${flags.preset} events.csv`,
      });
    }
    raw = { sources: positionals.map((file) => ({ preset: flags.preset, file })) };
  } else {
    raw = readJson(flags.config as string, 'import config') as Record<string, unknown>;
    if (positionals.length > 0) {
      throw new EngineError('E_USAGE', 'import: with --config, the files are named in the config', {
        hint: 'put "file" in each source',
      });
    }
  }
  if (flags.attributes !== undefined) {
    const extra = flags.attributes.map((spec) => {
      const at = spec.indexOf('=');
      if (at <= 0 || at === spec.length - 1) {
        throw new EngineError('E_USAGE', `--attributes takes PRESET=FILE, got '${spec}'`, {
          path: '--attributes',
          hint: `attribute presets: ${Object.keys(ATTRIBUTE_PRESETS).join(', ')}`,
        });
      }
      return { preset: spec.slice(0, at), file: spec.slice(at + 1) };
    });
    const given = Array.isArray(raw.attributes) ? raw.attributes : [];
    raw = { ...raw, attributes: [...given, ...extra] };
  }
  if (flags['max-reject-fraction'] !== undefined) {
    raw = { ...raw, maxRejectFraction: Number(flags['max-reject-fraction']) };
  }
  const config = parseImportConfig(raw, flags.config ? `import config '${flags.config}'` : 'import options');
  const prepareConfig = readPrepareConfig(flags.prepare);
  const out = flags.out ?? 'events.nbev';
  const rejectsPath = flags.rejects ?? `${out.replace(/\.nbev$/, '')}.rejects.jsonl`;
  const threads = intFlag('threads', flags.threads, DEFAULT_IMPORT_THREADS, 1);
  if (threads > 2) {
    throw new EngineError('E_USAGE', `--threads must be 1 or 2, got ${threads}`, {
      path: '--threads',
      hint: 'a file is split in two at most',
    });
  }
  const quiet = Boolean(flags.quiet || flags.json);
  const bar = progressBar('importing', 100, quiet);
  const started = performance.now();
  let report: ImportReport;
  try {
    ({ report } = await importEvents({
      config,
      outputPath: out,
      rejectsPath,
      threads,
      onProgress: (p) =>
        bar.update(Math.floor((100 * p.bytesRead) / Math.max(1, p.totalBytes)), {
          status: `${p.file.split('/').pop()} ${p.rows.toLocaleString('en-US')} rows, ${p.rejected} rejected`,
        }),
    }));
  } finally {
    bar.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  // The import has landed; a preview that cannot be made is reported, not turned into a failure.
  let preview: ReturnType<typeof prepareLog> | undefined;
  let previewError: EngineError | undefined;
  if (!flags['no-preview']) {
    try {
      preview = prepareLog(readEventLog(out), prepareConfig);
    } catch (error) {
      if (!(error instanceof EngineError)) throw error;
      previewError = error;
    }
  }
  if (flags.json) {
    console.log(
      JSON.stringify({
        out,
        rejects: report.rejected > 0 ? rejectsPath : null,
        seconds,
        report,
        prepareError: previewError?.toJSON(),
        prepare: preview && {
          steps: preview.steps,
          split: splitSummary(preview),
          validationFrom: new Date(preview.validationFromMs).toISOString(),
          testFrom: new Date(preview.testFromMs).toISOString(),
        },
      }),
    );
    return 0;
  }
  const n = (x: number) => x.toLocaleString('en-US');
  console.log(
    formatTable(
      ['file', 'rows', 'imported', 'rejected'],
      report.sources.map((s) => [s.file, n(s.rows), n(s.imported), n(s.rejected)]),
    ),
  );
  console.log(
    `\n${n(report.imported)} events (${Object.entries(report.eventTypes)
      .map(([t, c]) => `${n(c)} ${t}`)
      .join(', ')}) from ${n(report.users)} users on ${n(report.items)} items, ` +
      `${iso(report.firstTimestampMs)} → ${iso(report.lastTimestampMs)}, in ${seconds.toFixed(1)} s → ${out}`,
  );
  for (const a of report.attributes) {
    console.log(
      `attributes of ${a.of}s from ${a.file}: ${n(a.rows)} rows, ${n(a.matched)} ${a.of}s of the events described` +
        (a.unmatched > 0 ? `, ${n(a.unmatched)} rows name ${a.of}s no event has (skipped)` : '') +
        (a.rejected > 0 ? `, ${n(a.rejected)} rejected` : ''),
    );
  }
  if (report.rejected > 0) {
    console.log(`\nrejected ${n(report.rejected)} rows (every one is in ${rejectsPath}):`);
    console.log(
      formatTable(
        ['code', 'rows', 'first example'],
        Object.entries(report.rejectedByCode).map(([code, count]) => {
          const example = report.examples.find((e) => e.code === code);
          return [
            code,
            n(count),
            example
              ? `${example.file}:${example.line}${example.column ? ` (${example.column})` : ''} ${example.reason}`
              : '',
          ];
        }),
      ),
    );
  }
  if (previewError) console.log(`\ncleaning preview: ${previewError.format()}`);
  if (preview) {
    console.log('\ncleaning and split that training will apply (--prepare to change):');
    console.log(
      formatTable(
        ['step', 'removed', 'remaining', 'why'],
        preview.steps.map((s) => [s.step, n(s.removed), n(s.remaining), s.detail]),
      ),
    );
    const split = splitSummary(preview);
    console.log(
      `\nsplit by session end: train ${n(split.train.sessions)} sessions / ${n(split.train.events)} events; ` +
        `validation from ${iso(preview.validationFromMs)}: ${n(split.validation.sessions)} / ${n(split.validation.events)}; ` +
        `test from ${iso(preview.testFromMs)}: ${n(split.test.sessions)} / ${n(split.test.events)}`,
    );
  }
  return 0;
}

function iso(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString().slice(0, 16).replace('T', ' ') : '–';
}
