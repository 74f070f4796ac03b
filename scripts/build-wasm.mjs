// Compiles assembly/kernels.ts with the AssemblyScript compiler from npm (no system toolchain), twice:
//   build/kernels.wasm          WebAssembly SIMD (128-bit), runs on every Node ≥ 16;
//   build/kernels-relaxed.wasm  the same with fused multiply-add (relaxed SIMD), used when the runtime
//                               validates it (Node ≥ 22, or Node 20 with --experimental-wasm-relaxed-simd).
// Runs on `npm ci` (prepare) and `npm run build:wasm`.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
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

const source = await readFile(join(root, 'assembly', 'kernels.ts'), 'utf8');
const plainMadd = 'return f32x4.add(c, f32x4.mul(a, b)); // MADD';
if (!source.includes(plainMadd))
  throw new Error('assembly/kernels.ts: the MADD line the relaxed build swaps is missing');
const relaxedSource = join(root, 'build', 'kernels-relaxed.ts');
await writeFile(relaxedSource, source.replace(plainMadd, 'return f32x4.relaxed_madd(a, b, c);'));

async function compile(input, output, features) {
  const { error, stderr } = await asc.main([
    input,
    '--outFile',
    join(root, 'build', output),
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
    // Shared memory, so that a worker thread can run half of a large product on the same buffers.
    '--sharedMemory',
    '--maximumMemory',
    '65536',
    ...features.flatMap((f) => ['--enable', f]),
  ]);
  if (error) {
    console.error(stderr.toString());
    console.error(`nextbest: building ${output} failed: ${error.message}`);
    process.exit(1);
  }
}
await compile(join(root, 'assembly', 'kernels.ts'), 'kernels.wasm', ['simd', 'threads']);
await compile(relaxedSource, 'kernels-relaxed.wasm', ['simd', 'relaxed-simd', 'threads']);
console.error('nextbest: built build/kernels.wasm and build/kernels-relaxed.wasm (WebAssembly SIMD kernels)');
