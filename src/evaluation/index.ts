export { formatMeanCi, normalQuantile, type Summary, summarize, tCritical } from './statistics.ts';
