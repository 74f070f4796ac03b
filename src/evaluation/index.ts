export * from './next-item/index.ts';
export * from './ope/index.ts';
export { formatMeanCi, normalQuantile, type Summary, summarize, tCritical } from './statistics.ts';
export * from './tuning/index.ts';
