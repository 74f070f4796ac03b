import { EngineError } from '../core/engine-error.ts';
import type { EventRow } from './event-log.ts';
import type { AttributeSourceConfig, FieldSpec, SourceConfig } from './import-config.ts';

/** Why a row was rejected: a stable code, the column at fault (when one is) and what was wrong. */
export interface RowProblem {
  code: string;
  column?: string;
  reason: string;
}

/** Reads a named cell of the current row: a string or number, or undefined when absent/missing. */
export type CellReader = (column: string) => string | number | undefined;

export type RowParser = (read: CellReader) => EventRow | RowProblem;

const DAY_MS = 86_400_000;

function isProblem(value: unknown): value is RowProblem {
  return typeof value === 'object' && value !== null && 'code' in value;
}

export { isProblem as isRowProblem };

/**
 * Compiles a source mapping into one row parser. It is the row schema: every field is required,
 * typed and range-checked as the mapping says, and each failure carries a stable code and the
 * column at fault, which the rejects file and the CLI report. (Why not a zod object per row:
 * docs/decisions/0005.)
 */
export function compileRowParser(source: SourceConfig): RowParser {
  const item = compileField(source.item, 'item');
  const session = source.session ? compileField(source.session, 'session') : undefined;
  const user = source.user ? compileField(source.user, 'user') : undefined;
  const type = compileEventType(source);
  const timestamp = compileTimestamp(source);
  const optionalNumber = (column: string | undefined) =>
    column === undefined ? undefined : (read: CellReader) => parseNumber(read, column, false);
  const value = optionalNumber(source.value);
  const propensity = optionalNumber(source.propensity);

  return (read) => {
    const itemId = item(read);
    if (isProblem(itemId)) return itemId;
    const sessionId = session ? session(read) : undefined;
    if (isProblem(sessionId)) return sessionId;
    let userId: string | RowProblem;
    if (user) userId = user(read);
    else userId = sessionUserId(sessionId as string);
    if (isProblem(userId)) return userId;
    const eventType = type(read);
    if (isProblem(eventType)) return eventType;
    const timestampMs = timestamp(read);
    if (isProblem(timestampMs)) return timestampMs;
    const row: EventRow = { user: userId, item: itemId, type: eventType, timestampMs };
    if (sessionId !== undefined) row.session = sessionId;
    if (value) {
      const v = value(read);
      if (isProblem(v)) return v;
      if (v !== undefined) row.value = v;
    }
    if (propensity) {
      const p = propensity(read);
      if (isProblem(p)) return p;
      if (p !== undefined) {
        if (!(p > 0 && p <= 1)) {
          return {
            code: 'E_PROPENSITY_RANGE',
            column: source.propensity,
            reason: `propensity ${p} is not in (0, 1]`,
          };
        }
        row.propensity = p;
      }
    }
    if (source.userAttributes.length > 0) row.userAttributes = readAttributes(read, source.userAttributes);
    if (source.itemAttributes.length > 0) row.itemAttributes = readAttributes(read, source.itemAttributes);
    return row;
  };
}

/** The user of a log without users: each session is its own user. */
export function sessionUserId(session: string): string {
  return `session:${session}`;
}

/** Midnight UTC of a YYYY-MM-DD date column's text (NaN when it is not a date). */
export function midnightUtc(date: string): number {
  return Date.parse(`${date}T00:00:00Z`);
}

function compileField(spec: FieldSpec, role: string): (read: CellReader) => string | RowProblem {
  if (typeof spec === 'string') {
    return (read) => {
      const v = read(spec);
      return v === undefined ? missing(spec, role) : String(v);
    };
  }
  if ('constant' in spec) return () => spec.constant;
  return (read) => {
    const parts: string[] = [];
    for (const column of spec.columns) {
      const v = read(column);
      if (v === undefined) return missing(column, role);
      parts.push(String(v));
    }
    return parts.join(spec.separator);
  };
}

function compileEventType(source: SourceConfig): (read: CellReader) => string | RowProblem {
  const spec = source.eventType;
  if (typeof spec === 'string') return compileField(spec, 'event type');
  if ('constant' in spec) return () => spec.constant;
  const map = spec.map ? new Map(Object.entries(spec.map)) : undefined;
  const known = map ? [...map.keys()].join(', ') : '';
  return (read) => {
    const raw = read(spec.column);
    if (raw === undefined) return missing(spec.column, 'event type');
    const value = String(raw);
    if (!map) return value;
    const mapped = map.get(value);
    if (mapped !== undefined) return mapped;
    if (spec.unmapped === 'keep') return value;
    return {
      code: 'E_EVENT_TYPE_UNKNOWN',
      column: spec.column,
      reason: `event type '${value.slice(0, 40)}' is not one of ${known}`,
    };
  };
}

function compileTimestamp(source: SourceConfig): (read: CellReader) => number | RowProblem {
  const spec = source.timestamp;
  if ('date' in spec) {
    return (read) => {
      const date = read(spec.date);
      if (date === undefined) return missing(spec.date, 'timestamp');
      const day = midnightUtc(String(date));
      if (!Number.isFinite(day)) {
        return {
          code: 'E_TIMESTAMP_INVALID',
          column: spec.date,
          reason: `'${date}' is not a YYYY-MM-DD date`,
        };
      }
      const offset = parseNumber(read, spec.offsetMs, true);
      if (isProblem(offset)) return offset;
      if ((offset as number) < 0 || (offset as number) > 366 * DAY_MS) {
        return {
          code: 'E_TIMESTAMP_INVALID',
          column: spec.offsetMs,
          reason: `offset ${offset} ms is out of range`,
        };
      }
      return day + (offset as number);
    };
  }
  const { column, unit } = spec;
  return (read) => {
    const raw = read(column);
    if (raw === undefined) return missing(column, 'timestamp');
    let ms: number;
    if (unit === 'iso') ms = typeof raw === 'number' ? Number.NaN : Date.parse(raw);
    else {
      const n = typeof raw === 'number' ? raw : raw.trim() === '' ? Number.NaN : Number(raw);
      ms = unit === 's' ? n * 1000 : n;
    }
    // Years 1990–2100: catches seconds read as milliseconds and the reverse.
    if (!Number.isFinite(ms) || ms < 631_152_000_000 || ms > 4_102_444_800_000) {
      return {
        code: 'E_TIMESTAMP_INVALID',
        column,
        reason: Number.isFinite(ms)
          ? `'${raw}' read as ${unit} falls outside 1990–2100 (is the unit right?)`
          : `'${String(raw).slice(0, 40)}' is not a timestamp in ${unit === 'iso' ? 'ISO-8601' : unit}`,
      };
    }
    return ms;
  };
}

function parseNumber(read: CellReader, column: string, required: boolean): number | undefined | RowProblem {
  const raw = read(column);
  if (raw === undefined) return required ? missing(column, 'number') : undefined;
  const n = typeof raw === 'number' ? raw : Number(raw);
  if (!Number.isFinite(n)) {
    return { code: 'E_NUMBER_INVALID', column, reason: `'${String(raw).slice(0, 40)}' is not a number` };
  }
  return n;
}

function readAttributes(read: CellReader, columns: string[]): Record<string, string | number | null> {
  const out: Record<string, string | number | null> = {};
  for (const column of columns) {
    const v = read(column);
    if (v === undefined) out[column] = null;
    else if (typeof v === 'number') out[column] = v;
    else {
      const n = Number(v);
      out[column] = v.trim() !== '' && Number.isFinite(n) ? n : v;
    }
  }
  return out;
}

function missing(column: string, role: string): RowProblem {
  return { code: 'E_FIELD_MISSING', column, reason: `${role} column '${column}' is empty or absent` };
}

export interface AttributeRow {
  key: string;
  attributes: Record<string, string | number | null>;
}

/** The parser of an attribute side file's rows: the key (required) and the attribute cells. */
export function compileAttributeParser(
  source: AttributeSourceConfig,
): (read: CellReader) => AttributeRow | RowProblem {
  const key = compileField(source.key, `${source.of} key`);
  return (read) => {
    const id = key(read);
    if (isProblem(id)) return id;
    return { key: id, attributes: readAttributes(read, source.attributes) };
  };
}

/** Every column the mapping reads, to check against a file's header before the first row. */
export function columnsUsed(source: SourceConfig | AttributeSourceConfig): string[] {
  const out = new Set<string>();
  const field = (spec: FieldSpec | undefined) => {
    if (spec === undefined) return;
    if (typeof spec === 'string') out.add(spec);
    else if ('columns' in spec) for (const c of spec.columns) out.add(c);
  };
  if ('of' in source) {
    field(source.key);
    for (const c of source.attributes) out.add(c);
    return [...out];
  }
  field(source.item);
  field(source.user);
  field(source.session);
  const type = source.eventType;
  if (typeof type === 'string') out.add(type);
  else if ('column' in type) out.add(type.column);
  const ts = source.timestamp;
  if ('date' in ts) {
    out.add(ts.date);
    out.add(ts.offsetMs);
  } else out.add(ts.column);
  for (const c of [source.value, source.propensity]) if (c) out.add(c);
  for (const c of [...source.userAttributes, ...source.itemAttributes]) out.add(c);
  return [...out];
}

/** Fails before reading rows when the header lacks a mapped column, listing what the file has. */
export function checkHeader(
  path: string,
  header: string[],
  source: SourceConfig | AttributeSourceConfig,
): void {
  const absent = columnsUsed(source).filter((c) => !header.includes(c));
  if (absent.length > 0) {
    throw new EngineError(
      'E_COLUMN_NOT_FOUND',
      `the mapping names column${absent.length > 1 ? 's' : ''} ${absent.map((c) => `'${c}'`).join(', ')}, absent from the header`,
      { path: `${path}:1`, hint: headerHint(header, source.delimiter) },
    );
  }
}

function headerHint(header: string[], delimiter: string): string {
  if (header.length === 1) {
    const likely = [',', ';', '\t', '|'].find((d) => d !== delimiter && header[0].includes(d));
    if (likely) {
      const name = likely === '\t' ? 'a tab ("\\t")' : `'${likely}'`;
      return `the header is one column; the file looks ${name}-separated: set "delimiter" in the mapping (or pick the preset for this file)`;
    }
  }
  return `the file has: ${header.slice(0, 30).join(', ')}`;
}
