#!/usr/bin/env node
// Thin launcher: runs the TypeScript CLI through tsx so the package needs no separate compile step.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const tsxLoader = require.resolve('tsx');
const entry = join(here, '..', 'src', 'cli', 'main.ts');
// Fused multiply-add kernels need relaxed SIMD, behind a flag on Node 20 (on by default from Node 22).
const flags = Number(process.versions.node.split('.')[0]) < 22 ? ['--experimental-wasm-relaxed-simd'] : [];
const result = spawnSync(
  process.execPath,
  [...flags, '--import', tsxLoader, entry, ...process.argv.slice(2)],
  {
    stdio: 'inherit',
  },
);
process.exit(result.status ?? 1);
