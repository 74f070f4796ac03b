import { z } from 'zod';

/**
 * How the columns of one source file map onto events. This is the schema every row is parsed by:
 * `compileRowParser` turns it into per-column converters that name the column and reason of every
 * failure.
 */
const columnName = z.string().min(1);

/** A column, several columns joined (a composite key), or a constant. */
const fieldSchema = z.union([
  columnName,
  z.object({ columns: z.array(columnName).min(1), separator: z.string().default('|') }).strict(),
  z.object({ constant: z.string().min(1) }).strict(),
]);
export type FieldSpec = z.output<typeof fieldSchema>;

const eventTypeSchema = z.union([
  columnName,
  z
    .object({
      column: columnName,
      /** Source value → event type, e.g. {"view": "click", "transaction": "purchase"}. */
      map: z.record(z.string(), z.string().min(1)).optional(),
      /** What to do with a value the map does not name: reject the row (default) or keep it as is. */
      unmapped: z.enum(['reject', 'keep']).default('reject'),
    })
    .strict(),
  z.object({ constant: z.string().min(1) }).strict(),
]);
export type EventTypeSpec = z.output<typeof eventTypeSchema>;

const timestampSchema = z.union([
  z
    .object({
      column: columnName,
      /** ms or s since the Unix epoch, or an ISO-8601 / RFC 3339 date-time string. */
      unit: z.enum(['ms', 's', 'iso']),
    })
    .strict(),
  z
    .object({
      /** A calendar date column (YYYY-MM-DD, UTC) plus a millisecond offset column (DIGINETICA). */
      date: columnName,
      offsetMs: columnName,
    })
    .strict(),
]);
export type TimestampSpec = z.output<typeof timestampSchema>;

/** Where a file is and how it is laid out: the fields every mapping (events or attributes) shares. */
const fileLayoutShape = {
  file: z.string().min(1).optional(),
  format: z.enum(['csv', 'jsonl']).default('csv'),
  delimiter: z.string().length(1).default(','),
  /** The file's first line names the columns; otherwise give `columns`. */
  header: z.boolean().default(true),
  columns: z.array(columnName).optional(),
  /** Cell values that mean "no value". */
  missing: z.array(z.string()).default(['', 'NA', 'null', 'NULL', 'NaN']),
};

/** A headerless CSV must name its columns. */
const namesItsColumns: [
  (s: { header: boolean; format: string; columns?: string[] }) => boolean,
  { message: string; path: string[] },
] = [
  (s) => s.header || s.format === 'jsonl' || s.columns !== undefined,
  {
    message: 'a CSV without a header line needs columns: [...] naming its columns in order',
    path: ['columns'],
  },
];

export const sourceSchema = z
  .object({
    ...fileLayoutShape,
    user: fieldSchema.optional(),
    item: fieldSchema,
    session: fieldSchema.optional(),
    eventType: eventTypeSchema,
    timestamp: timestampSchema,
    value: columnName.optional(),
    propensity: columnName.optional(),
    userAttributes: z.array(columnName).default([]),
    itemAttributes: z.array(columnName).default([]),
  })
  .strict()
  .refine((s) => s.user !== undefined || s.session !== undefined, {
    message: 'give user or session (a log without users keys each session as its own user)',
    path: ['user'],
  })
  .refine(...namesItsColumns);
export type SourceConfig = z.output<typeof sourceSchema>;
export type SourceInput = z.input<typeof sourceSchema>;

/**
 * A side file of user or item attributes (a product catalogue, a CRM export): one row per user or
 * item, keyed by the id the events use. Attributes land where inline attribute columns do: the
 * latest value per user or item, read by the user-feature encoder and kept in the `.nbev` file.
 */
export const attributeSourceSchema = z
  .object({
    ...fileLayoutShape,
    /** Whose attributes these are. */
    of: z.enum(['user', 'item']),
    /** The column (or columns, joined) holding the id as the events name it. */
    key: fieldSchema,
    attributes: z.array(columnName).min(1),
  })
  .strict()
  .refine(...namesItsColumns);
export type AttributeSourceConfig = z.output<typeof attributeSourceSchema>;
export type AttributeSourceInput = z.input<typeof attributeSourceSchema>;

export const importConfigSchema = z
  .object({
    sources: z.array(sourceSchema).min(1),
    /** Attribute side files, read after the events (their keys must match the events' ids). */
    attributes: z.array(attributeSourceSchema).default([]),
    /** Import fails when more than this fraction of rows is rejected (the rejects file is still written). */
    maxRejectFraction: z.number().min(0).max(1).default(0.5),
  })
  .strict();
export type ImportConfig = z.output<typeof importConfigSchema>;
