import { z } from 'zod';
import { EngineError } from '../core/engine-error.ts';
import type { EventLog } from './event-log.ts';
import { type PreparedLog, SPLIT_PARTS } from './prepare.ts';

/**
 * Which user and context features a sequence model reads beside the item sequence.
 * A user attribute is `name` (numeric when every training value is a number, else categorical) or
 * `name:numeric` / `name:categorical` to say which (a category id written in digits is categorical).
 */
export const contextFeatureSpecSchema = z
  .object({
    userAttributes: z
      .array(
        z.string().regex(/^[^:]+(:(numeric|categorical))?$/, 'write name, name:numeric or name:categorical'),
      )
      .default([]),
    /** Hour of day and day of week of the step (UTC), each as a point on a circle (sin, cos). */
    time: z.boolean().default(false),
    /** Most frequent values a categorical attribute keeps as their own feature; the rest share one. */
    maxCategories: z.number().int().min(1).max(1000).default(20),
  })
  .strict();
export type ContextFeatureSpec = z.output<typeof contextFeatureSpecSchema>;
export type ContextFeatureSpecInput = z.input<typeof contextFeatureSpecSchema>;

type Column =
  /** z-score (0 when missing) and a missing indicator. */
  | { name: string; kind: 'numeric'; mean: number; std: number }
  /** One feature per kept value and one for any other value; missing sets none. */
  | { name: string; kind: 'categorical'; values: string[] };

const columnSchema = z.discriminatedUnion('kind', [
  z.object({ name: z.string(), kind: z.literal('numeric'), mean: z.number(), std: z.number().positive() }),
  z.object({ name: z.string(), kind: z.literal('categorical'), values: z.array(z.string()) }),
]);
const encoderDocumentSchema = z.object({ columns: z.array(columnSchema), time: z.boolean() });
export type ContextEncoderDocument = z.output<typeof encoderDocumentSchema>;

type Attribute = string | number | null | undefined;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * User attributes and time as a fixed-width feature vector, fitted on a log's training part only
 * (means, deviations and the kept categories come from users with a training session, so nothing
 * of the held-out period leaks in). The same encoder reads a log's users offline and a request's
 * attributes when serving, and travels inside the model file.
 */
export class ContextEncoder {
  readonly size: number;
  private readonly valueIndex: Array<Map<string, number> | null>;

  private constructor(
    readonly columns: readonly Column[],
    readonly time: boolean,
  ) {
    let size = time ? 4 : 0;
    for (const c of columns) size += c.kind === 'numeric' ? 2 : c.values.length + 1;
    this.size = size;
    this.valueIndex = columns.map((c) =>
      c.kind === 'categorical' ? new Map(c.values.map((v, i) => [v, i])) : null,
    );
  }

  /** Fit on the users of the training sessions; unknown attribute names are E_ATTRIBUTE_UNKNOWN. */
  static fit(prepared: PreparedLog, specInput: ContextFeatureSpecInput): ContextEncoder {
    const spec = contextFeatureSpecSchema.parse(specInput);
    const { log } = prepared;
    const trainUsers = usersOfPart(prepared, SPLIT_PARTS.indexOf('train'));
    const columns: Column[] = [];
    for (const entry of spec.userAttributes) {
      const [name, forced] = entry.split(':') as [string, 'numeric' | 'categorical' | undefined];
      const values = attributeColumn(log, 'user', name, 'userAttributes');
      const seen: Attribute[] = [];
      for (const u of trainUsers) seen.push(values[u]);
      const present = seen.filter((v) => v !== null && v !== undefined && v !== '');
      const numeric = forced ? forced === 'numeric' : present.every((v) => typeof v === 'number');
      if (numeric) {
        const numbers = present.map(Number);
        if (numbers.some((v) => !Number.isFinite(v))) {
          throw new EngineError(
            'E_ATTRIBUTE_NOT_NUMERIC',
            `user attribute '${name}' has values that are not numbers, e.g. '${present.find((v) => !Number.isFinite(Number(v)))}'`,
            { hint: `write '${name}:categorical' to one-hot encode it`, path: 'userAttributes' },
          );
        }
        const mean = numbers.length > 0 ? numbers.reduce((a, b) => a + b, 0) / numbers.length : 0;
        const variance =
          numbers.length > 1 ? numbers.reduce((a, b) => a + (b - mean) ** 2, 0) / (numbers.length - 1) : 0;
        columns.push({ name, kind: 'numeric', mean, std: Math.sqrt(variance) || 1 });
      } else {
        const counts = new Map<string, number>();
        for (const v of present) counts.set(String(v), (counts.get(String(v)) ?? 0) + 1);
        const kept = [...counts]
          .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
          .slice(0, spec.maxCategories)
          .map(([v]) => v);
        columns.push({ name, kind: 'categorical', values: kept });
      }
    }
    return new ContextEncoder(columns, spec.time);
  }

  static fromJSON(document: unknown): ContextEncoder {
    const parsed = encoderDocumentSchema.safeParse(document);
    if (!parsed.success) {
      throw new EngineError('E_MODEL_INVALID', 'the model file holds an unreadable context encoder', {
        hint: "retrain the model with 'nextbest train --data'",
      });
    }
    return new ContextEncoder(parsed.data.columns, parsed.data.time);
  }

  toJSON(): ContextEncoderDocument {
    return { columns: this.columns.map((c) => ({ ...c })), time: this.time };
  }

  /** The user attribute names this encoder reads. */
  get attributes(): string[] {
    return this.columns.map((c) => c.name);
  }

  /** A name per feature, in order (for explanations and reports). */
  names(): string[] {
    const out: string[] = [];
    for (const c of this.columns) {
      if (c.kind === 'numeric') out.push(c.name, `${c.name} missing`);
      else out.push(...c.values.map((v) => `${c.name}=${v}`), `${c.name}=other`);
    }
    if (this.time) out.push('hour sin', 'hour cos', 'weekday sin', 'weekday cos');
    return out;
  }

  /** Encode attribute values (by name; absent = missing) at a time into `out` from `at`. */
  encode(read: (name: string) => Attribute, timestampMs: number, out: Float32Array, at: number): void {
    let j = at;
    for (let k = 0; k < this.columns.length; k++) {
      const c = this.columns[k];
      const v = read(c.name);
      const missing = v === null || v === undefined || v === '';
      if (c.kind === 'numeric') {
        const n = missing ? Number.NaN : Number(v);
        const ok = Number.isFinite(n);
        out[j] = ok ? (n - c.mean) / c.std : 0;
        out[j + 1] = ok ? 0 : 1;
        j += 2;
      } else {
        const width = c.values.length + 1;
        out.fill(0, j, j + width);
        if (!missing) out[j + (this.valueIndex[k]?.get(String(v)) ?? c.values.length)] = 1;
        j += width;
      }
    }
    if (this.time) {
      const hour = (((timestampMs % DAY) + DAY) % DAY) / DAY;
      // 1970-01-01 was a Thursday: day 0 of the week is Thursday, which only shifts the circle.
      const weekday = (((Math.floor(timestampMs / DAY) % 7) + 7) % 7) / 7;
      out[j] = Math.sin(2 * Math.PI * hour);
      out[j + 1] = Math.cos(2 * Math.PI * hour);
      out[j + 2] = Math.sin(2 * Math.PI * weekday);
      out[j + 3] = Math.cos(2 * Math.PI * weekday);
    }
  }

  /** Encode user `user` of `log` (its latest attributes) at a time. */
  encodeUser(log: EventLog, user: number, timestampMs: number, out: Float32Array, at: number): void {
    this.encode((name) => log.userAttributes[name]?.[user], timestampMs, out, at);
  }
}

/** A user or item attribute column of a log; an unknown name is E_ATTRIBUTE_UNKNOWN listing the known ones. */
export function attributeColumn(
  log: EventLog,
  of: 'user' | 'item',
  name: string,
  path: string,
): (string | number | null)[] {
  const table = of === 'user' ? log.userAttributes : log.itemAttributes;
  const values = table[name];
  if (values) return values;
  const known = Object.keys(table);
  throw new EngineError('E_ATTRIBUTE_UNKNOWN', `the log has no ${of} attribute '${name}'`, {
    hint:
      known.length > 0
        ? `choose among: ${known.join(', ')}`
        : `import the log with ${of}Attributes in the column mapping, or an attributes side file (import --attributes PRESET=FILE, or "attributes" in the import config)`,
    path,
  });
}

function usersOfPart(prepared: PreparedLog, part: number): Set<number> {
  const users = new Set<number>();
  const { log, sessionStarts, sessionPart } = prepared;
  for (let s = 0; s < sessionPart.length; s++) {
    if (sessionPart[s] !== part) continue;
    for (let t = sessionStarts[s]; t < sessionStarts[s + 1]; t++) users.add(log.users[t]);
  }
  return users;
}
