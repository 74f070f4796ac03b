/**
 * Sequence-encoder training steps/s beside PyTorch CPU, in one run (issue 5). Workload: item
 * embedding 64, a GRU of hidden 64 or two single-head self-attention blocks of width 64, sequences
 * of 20 items, batch 64, a linear softmax head over 1,000 items, cross-entropy, Adam. One step is
 * forward, loss, backward and the optimiser update. PyTorch runs from Debian's python3-torch
 * (benchmarks/peers/torch_sequence.py) with 1 thread, then 2.
 * Usage: node --import tsx benchmarks/sequence-encoders.ts [--seconds 3]
 */
import { Rng } from '../src/core/rng.ts';
import { getHeap } from '../src/numeric/heap.ts';
import { wasmKernelModule } from '../src/numeric/kernels/wasm-kernels.ts';
import { softmaxCrossEntropy } from '../src/numeric/losses.ts';
import { Optimizer } from '../src/numeric/optimizers.ts';
import { SequenceNetwork } from '../src/numeric/sequence/sequence-network.ts';
import { ensureTorch, rate, runTorchPeer } from './torch-peer.ts';
import { writeResult } from './write-result.ts';

const args = process.argv.slice(2);
const seconds = Number(args[args.indexOf('--seconds') + 1] ?? 3) || 3;
const ITEMS = 1000;
const T = 20;
const BATCH = 64;

function ours(encoder: 'gru' | 'attention', kernels: 'wasm' | 'reference'): number {
  const heap = getHeap(kernels);
  const rng = new Rng(0);
  const net = new SequenceNetwork(
    heap,
    ITEMS,
    ['supervised'],
    { encoder, embedding: 64, hidden: 64, maxLength: T, blocks: 2 },
    rng,
  );
  const optimizer = new Optimizer(heap, net.params, net.grads, { learningRate: 1e-3 });
  const poolX = Int32Array.from({ length: 4096 * T }, () => 1 + rng.int(ITEMS));
  const poolY = Int32Array.from({ length: 4096 }, () => rng.int(ITEMS));
  const x = new Int32Array(BATCH * T);
  const y = new Int32Array(BATCH);
  const gradient = new Float32Array(BATCH * ITEMS);
  const result = rate(
    () => {
      for (let b = 0; b < BATCH; b++) {
        const i = rng.int(4096);
        x.set(poolX.subarray(i * T, (i + 1) * T), b * T);
        y[b] = poolY[i];
      }
      const { supervised } = net.forward(x, BATCH);
      softmaxCrossEntropy(supervised, y, BATCH, ITEMS, gradient);
      net.zeroGrad();
      net.backward({ supervised: gradient }, BATCH);
      optimizer.apply();
    },
    kernels === 'wasm' ? seconds : seconds / 3,
  );
  optimizer.dispose();
  net.dispose();
  return result;
}

type Row = { name: string; gru: number; attention: number };
const rows: Row[] = [];
console.error('measuring NextBest wasm kernels…');
const label = wasmKernelModule()?.relaxed ? 'wasm relaxed-SIMD (FMA)' : 'wasm SIMD';
rows.push({
  name: `NextBest ${label}, 1 thread`,
  gru: ours('gru', 'wasm'),
  attention: ours('attention', 'wasm'),
});
console.error('measuring NextBest reference kernels…');
rows.push({
  name: 'NextBest reference TypeScript',
  gru: ours('gru', 'reference'),
  attention: ours('attention', 'reference'),
});
let version = 'missing';
if (ensureTorch()) {
  for (const threads of [1, 2]) {
    console.error(`measuring PyTorch, ${threads} thread(s)…`);
    const r = runTorchPeer<{ torch: string; gru: number; attention: number }>('torch_sequence.py', threads, [
      String(seconds),
    ]);
    version = r.torch;
    rows.push({
      name: `PyTorch ${r.torch} CPU, ${threads} thread${threads > 1 ? 's' : ''}`,
      gru: r.gru,
      attention: r.attention,
    });
  }
}
const peer = rows.find((r) => r.name.startsWith('PyTorch') && r.name.endsWith('1 thread'));
const fmt = (v: number) => v.toFixed(1);
const ratio = (v: number, p?: number) => (p ? `${(v / p).toFixed(2)}×` : '–');
console.log(
  [
    '| implementation | GRU steps/s | ratio | self-attention steps/s | ratio |',
    '|---|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${fmt(r.gru)} | ${ratio(r.gru, peer?.gru)} | ${fmt(r.attention)} | ${ratio(r.attention, peer?.attention)} |`,
    ),
  ].join('\n'),
);
console.log('\nRatios are against PyTorch with 1 thread, measured in this same run.');
writeResult('sequence-encoders', { seconds, torch: version, items: ITEMS, length: T, batch: BATCH, rows });
