import { parseConfig } from '../../core/config.ts';
import { type PrepareConfig, prepareConfigSchema } from '../../data/prepare-config.ts';
import { readJson } from '../args.ts';

/** The cleaning/split settings of `--prepare FILE`, or the defaults without one. */
export function readPrepareConfig(path: string | undefined): PrepareConfig {
  return parseConfig(
    prepareConfigSchema,
    path ? readJson(path, 'prepare config') : {},
    `prepare config${path ? ` '${path}'` : ''}`,
  );
}
