export {
  CANONICAL_EVENT_TYPES,
  countByType,
  Dictionary,
  type EventLog,
  EventLogBuilder,
  type EventRow,
  selectRows,
} from './event-log.ts';
export { EventLogFileWriter, readEventLog, writeEventLog } from './event-log-file.ts';
export { type ImportConfig, importConfigSchema, type SourceConfig, sourceSchema } from './import-config.ts';
export { type ImportReport, importEvents, type RejectedRow } from './import-events.ts';
export { readDelimited, readLineBatches, splitQuoted } from './line-reader.ts';
export {
  type PreparedLog,
  type PrepareStep,
  prepareLog,
  SPLIT_PARTS,
  type SplitPart,
  splitSummary,
} from './prepare.ts';
export { type PrepareConfig, prepareConfigSchema } from './prepare-config.ts';
export { IMPORT_PRESETS, parseImportConfig, presetFor } from './presets.ts';
export { compileRowParser } from './row-parser.ts';
export { argsortNumbers, stableSortByGroup } from './sort.ts';
export {
  DEFAULT_EVENT_REWARDS,
  type SequenceTransitions,
  sequenceTransitions,
  writeSequence,
} from './transitions.ts';
