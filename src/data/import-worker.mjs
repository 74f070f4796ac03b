// Entry of an import worker thread: Node 20 does not apply the parent's TypeScript loader to a worker's
// entry file, so this JavaScript file registers tsx in the worker before loading the shard reader.
import { register } from 'tsx/esm/api';

register();
await import('./import-worker.ts');
