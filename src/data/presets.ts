import { parseConfig } from '../core/config.ts';
import { EngineError } from '../core/engine-error.ts';
import {
  type AttributeSourceInput,
  type ImportConfig,
  importConfigSchema,
  type SourceInput,
} from './import-config.ts';

/**
 * Column mappings for the public datasets under ../shared/data (see each PROVENANCE.md). A preset
 * maps one file layout; `nextbest import --preset NAME file...` applies it to every file given.
 */
export const IMPORT_PRESETS: Record<string, { description: string; source: SourceInput }> = {
  retailrocket: {
    description:
      'RetailRocket events.csv: timestamp (ms), visitorid, event view|addtocart|transaction, itemid',
    source: {
      user: 'visitorid',
      item: 'itemid',
      eventType: {
        column: 'event',
        map: { view: 'click', addtocart: 'cart', transaction: 'purchase' },
      },
      timestamp: { column: 'timestamp', unit: 'ms' },
    },
  },
  yoochoose: {
    description: 'YOOCHOOSE clicks as prepared by session-rec: SessionId, ItemId, Time (s), tab-separated',
    source: {
      delimiter: '\t',
      session: 'SessionId',
      item: 'ItemId',
      eventType: { constant: 'click' },
      timestamp: { column: 'Time', unit: 's' },
    },
  },
  'yoochoose-buys': {
    description: 'YOOCHOOSE buys (no header): session, timestamp (ISO), item, price, quantity',
    source: {
      header: false,
      columns: ['session', 'timestamp', 'item', 'price', 'quantity'],
      session: 'session',
      item: 'item',
      eventType: { constant: 'purchase' },
      timestamp: { column: 'timestamp', unit: 'iso' },
      value: 'price',
    },
  },
  'diginetica-views': {
    description: 'DIGINETICA item views: session_id;user_id;item_id;timeframe;eventdate',
    source: {
      delimiter: ';',
      session: 'session_id',
      item: 'item_id',
      eventType: { constant: 'click' },
      timestamp: { date: 'eventdate', offsetMs: 'timeframe' },
    },
  },
  'diginetica-purchases': {
    description: 'DIGINETICA purchases: sessionId;userId;timeframe;eventdate;ordernumber;itemId',
    source: {
      delimiter: ';',
      session: 'sessionId',
      item: 'itemId',
      eventType: { constant: 'purchase' },
      timestamp: { date: 'eventdate', offsetMs: 'timeframe' },
    },
  },
  'open-bandit': {
    description:
      'Open Bandit Dataset rounds: impressions with propensities; user = the 4 user features (no user id is given)',
    source: {
      user: {
        columns: ['user_feature_0', 'user_feature_1', 'user_feature_2', 'user_feature_3'],
        separator: '.',
      },
      item: 'item_id',
      eventType: { column: 'click', map: { '1': 'click', '0': 'impression' } },
      timestamp: { column: 'timestamp', unit: 'iso' },
      propensity: 'propensity_score',
      userAttributes: ['user_feature_0', 'user_feature_1', 'user_feature_2', 'user_feature_3'],
    },
  },
};

/** Attribute side files of the public datasets: `--attributes NAME=FILE`, or `{"preset": NAME}` in `attributes`. */
export const ATTRIBUTE_PRESETS: Record<string, { description: string; source: AttributeSourceInput }> = {
  'diginetica-categories': {
    description: 'DIGINETICA product-categories.csv: itemId;categoryId (category of each item)',
    source: { of: 'item', delimiter: ';', key: 'itemId', attributes: ['categoryId'] },
  },
};

/**
 * A preset's mapping by name. Files imported together share id dictionaries, so DIGINETICA views and
 * purchases (two presets, one import config) join on the session id.
 */
export function presetFor(name: string): SourceInput {
  const preset = IMPORT_PRESETS[name];
  if (!preset) {
    throw new EngineError('E_PRESET_UNKNOWN', `no import preset '${name}'`, {
      hint: `presets: ${Object.keys(IMPORT_PRESETS).join(', ')}`,
    });
  }
  return preset.source;
}

/**
 * Parses an import config, where a source may name a `preset` and override any of its fields:
 * {"sources": [{"preset": "diginetica-views", "file": "views.csv"}, ...]}.
 */
export function parseImportConfig(raw: unknown, where = 'import config'): ImportConfig {
  if (typeof raw === 'object' && raw !== null) {
    const withPresets = (list: unknown, lookup: (name: string) => object) =>
      Array.isArray(list)
        ? list.map((source) => {
            if (typeof source !== 'object' || source === null || !('preset' in source)) return source;
            const { preset, ...rest } = source as { preset: unknown };
            return { ...lookup(String(preset)), ...rest };
          })
        : list;
    const { sources, attributes } = raw as { sources?: unknown; attributes?: unknown };
    raw = {
      ...(raw as object),
      sources: withPresets(sources, presetFor),
      ...(attributes === undefined ? {} : { attributes: withPresets(attributes, attributePresetFor) }),
    };
  }
  return parseConfig(importConfigSchema, raw, where);
}

/** An attribute preset's mapping by name. */
export function attributePresetFor(name: string): AttributeSourceInput {
  const preset = ATTRIBUTE_PRESETS[name];
  if (!preset) {
    throw new EngineError('E_PRESET_UNKNOWN', `no attribute preset '${name}'`, {
      hint: `attribute presets: ${Object.keys(ATTRIBUTE_PRESETS).join(', ')}`,
    });
  }
  return preset.source;
}
