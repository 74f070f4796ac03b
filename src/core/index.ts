export { parseConfig } from './config.ts';
export { EngineError, type EngineErrorOptions, isEngineError } from './engine-error.ts';
export { deriveSeed, Rng, type RngState } from './rng.ts';
export { actionCount, box, discrete, flatSize, spaceContains, spaceSchema } from './spaces.ts';
export type * from './types.ts';
