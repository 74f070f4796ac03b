/**
 * DQN throughput beside PyTorch CPU, in one run (issue: foundation). Workload: MLP 64→256→256→50 (ReLU),
 * batch 64, Adam, Huber loss, gradient clipping at 10, uniform replay sampling; plus batch-1 and
 * batch-256 Q inference. PyTorch runs from Debian's python3-torch with 1 thread, then 2 threads with
 * OMP_WAIT_POLICY=PASSIVE. Usage: npx tsx benchmarks/dqn-throughput.ts [--seconds 3] [--json]
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createAgent } from '../src/agents/create-agent.ts';
import type { DqnAgent } from '../src/agents/dqn.ts';
import { Rng } from '../src/core/rng.ts';
import { box, discrete } from '../src/core/spaces.ts';
import { getHeap } from '../src/numeric/heap.ts';
import { type WasmKernels, wasmKernelModule } from '../src/numeric/kernels/wasm-kernels.ts';
import { ensureTorch, rate, runTorchPeer } from './torch-peer.ts';
import { writeResult } from './write-result.ts';

const args = process.argv.slice(2);
const seconds = Number(args[args.indexOf('--seconds') + 1] ?? 3) || 3;
function ours(kernels: 'wasm' | 'reference', double: boolean) {
  const agent = createAgent({
    algorithm: 'dqn',
    observationSpace: box([64]),
    actionSpace: discrete(50),
    network: { hidden: [256, 256] },
    batchSize: 64,
    learningStarts: 1_000_000_000, // fill the replay without learning; update() is called directly
    bufferSize: 10_000,
    double,
    kernels,
  }) as DqnAgent;
  const rng = new Rng(0);
  for (let i = 0; i < 10_000; i++) {
    const o = Float32Array.from({ length: 64 }, () => rng.normal());
    agent.observe({
      observation: o,
      action: rng.int(50),
      reward: rng.normal(),
      nextObservation: o,
      terminated: rng.float() < 0.05,
      truncated: false,
    });
  }
  const updates = rate(() => agent.update(), seconds);
  const x1 = Float32Array.from({ length: 64 }, () => rng.normal());
  const x256 = Float32Array.from({ length: 256 * 64 }, () => rng.normal());
  const batch1 = rate(() => agent.online.forward(x1, 1).slice(), seconds);
  const batch256 = rate(() => agent.online.forward(x256, 256).slice(), seconds);
  agent.dispose();
  return { updatesPerSecond: updates, batch1PerSecond: batch1, batch256PerSecond: batch256 };
}

function torch(threads: number) {
  return runTorchPeer<{
    torch: string;
    updatesPerSecond: number;
    batch1PerSecond: number;
    batch256PerSecond: number;
  }>('torch_dqn.py', threads, [String(seconds)]);
}

type Row = { name: string; updatesPerSecond: number; batch1PerSecond: number; batch256PerSecond: number };

// Child mode: measure our kernels only and print JSON (used to measure the plain-SIMD build, which a
// process that already loaded the relaxed build cannot switch to).
if (args.includes('--ours-json')) {
  console.log(JSON.stringify(ours('wasm', false)));
  process.exit(0);
}

const fused = wasmKernelModule()?.relaxed === true;
const heapKernels = getHeap('wasm').kernels as WasmKernels;
const label = `${fused ? 'wasm relaxed-SIMD (FMA)' : 'wasm SIMD'}, ${heapKernels.threads} thread${heapKernels.threads > 1 ? 's' : ''}`;
const rows: Row[] = [];
console.error(`measuring NextBest ${label}…`);
rows.push({ name: `NextBest ${label}, DQN`, ...ours('wasm', false) });
rows.push({ name: `NextBest ${label}, Double DQN`, ...ours('wasm', true) });
/** Our kernels in a child process with other settings (the kernel choice is fixed per process). */
function child(name: string, env: Record<string, string>) {
  console.error(`measuring NextBest ${name}…`);
  const out = execFileSync(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), '--ours-json', '--seconds', String(seconds)],
    {
      env: { ...process.env, ...env },
      encoding: 'utf8',
    },
  );
  rows.push({ name: `NextBest ${name}, DQN`, ...JSON.parse(out.trim().split('\n').at(-1)!) });
}
if (heapKernels.threads === 1) {
  child(`${fused ? 'wasm relaxed-SIMD (FMA)' : 'wasm SIMD'}, 2 threads (opt-in)`, { NEXTBEST_THREADS: '2' });
}
if (fused) child('wasm SIMD (no FMA), 1 thread', { NEXTBEST_RELAXED_SIMD: '0', NEXTBEST_THREADS: '1' });
console.error('measuring NextBest reference kernels…');
rows.push({ name: 'NextBest reference TypeScript, DQN', ...ours('reference', false) });
let version = 'missing';
if (ensureTorch()) {
  for (const threads of [1, 2]) {
    console.error(`measuring PyTorch, ${threads} thread(s)…`);
    const r = torch(threads);
    version = r.torch;
    rows.push({ name: `PyTorch ${r.torch} CPU, ${threads} thread${threads > 1 ? 's' : ''}, DQN`, ...r });
  }
}
const peer = rows.find((r) => r.name.startsWith('PyTorch') && r.name.includes('1 thread'));
const fmt = (v: number) => Math.round(v).toLocaleString('en-US');
const ratio = (v: number, p?: number) => (p ? `${(v / p).toFixed(2)}×` : '–');
const lines = [
  '| implementation | DQN updates/s | ratio | batch-1 Q calls/s | ratio | batch-256 Q calls/s | ratio |',
  '|---|---:|---:|---:|---:|---:|---:|',
  ...rows.map(
    (r) =>
      `| ${r.name} | ${fmt(r.updatesPerSecond)} | ${ratio(r.updatesPerSecond, peer?.updatesPerSecond)} | ${fmt(r.batch1PerSecond)} | ${ratio(r.batch1PerSecond, peer?.batch1PerSecond)} | ${fmt(r.batch256PerSecond)} | ${ratio(r.batch256PerSecond, peer?.batch256PerSecond)} |`,
  ),
];
console.log(lines.join('\n'));
console.log('\nRatios are against PyTorch with 1 thread, measured in this same run.');
writeResult('dqn-throughput', { seconds, torch: version, rows });
