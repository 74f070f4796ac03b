// Compiles assembly/kernels.ts to build/kernels.wasm with the AssemblyScript compiler from npm
// (no system toolchain). Runs on `npm ci` (prepare) and `npm run build:wasm`.
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
let asc;
try {
  asc = (await import('assemblyscript/asc')).default;
} catch {
  console.warn('nextbest: assemblyscript is not installed; the TypeScript reference kernels will be used.');
  process.exit(0);
}
await mkdir(join(root, 'build'), { recursive: true });
const { error, stderr } = await asc.main([
  join(root, 'assembly', 'kernels.ts'),
  '--outFile',
  join(root, 'build', 'kernels.wasm'),
  '--textFile',
  join(root, 'build', 'kernels.wat'),
  '--optimizeLevel',
  '3',
  '--shrinkLevel',
  '0',
  '--runtime',
  'stub',
  '--noAssert',
  '--importMemory',
  '--initialMemory',
  '1',
  '--enable',
  'simd',
]);
if (error) {
  console.error(stderr.toString());
  console.error(`nextbest: building the WebAssembly kernels failed: ${error.message}`);
  process.exit(1);
}
console.error('nextbest: built build/kernels.wasm (WebAssembly SIMD kernels)');
