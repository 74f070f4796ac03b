// Worker threads start without the parent's module loader: load the TypeScript worker through tsx.
import { tsImport } from 'tsx/esm/api';

await tsImport('./sequence-worker.ts', import.meta.url);
