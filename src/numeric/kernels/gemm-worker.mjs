// A compute worker for WasmKernels: runs the lower rows of a large gemm on the shared WebAssembly
// memory while the main thread runs the upper rows. Plain JavaScript so it starts without a loader.
// Protocol over an Int32Array `control`: [0] job sequence (−1 = stop), [1] last job done, [2..12] gemm
// arguments. The worker spins briefly for the next job (low latency in a training loop), then blocks.
import { workerData } from 'node:worker_threads';

const { module, memory, control, panel } = workerData;
const instance = new WebAssembly.Instance(module, {
  env: {
    memory,
    abort: () => {
      throw new Error('nextbest wasm kernel aborted in a worker');
    },
  },
});
const { gemm, setPanel } = instance.exports;
setPanel(panel);
const ctrl = new Int32Array(control);
// Ready: the main thread waits for this before handing over its first job.
Atomics.store(ctrl, 13, 1);
Atomics.notify(ctrl, 13);
const SPIN = 20000;
let seen = 0;
for (;;) {
  let spins = 0;
  while (Atomics.load(ctrl, 0) === seen && spins < SPIN) spins++;
  if (Atomics.load(ctrl, 0) === seen) Atomics.wait(ctrl, 0, seen);
  seen = Atomics.load(ctrl, 0);
  if (seen < 0) break;
  gemm(ctrl[2], ctrl[3], ctrl[4], ctrl[5], ctrl[6], ctrl[7], ctrl[8], ctrl[9], ctrl[10], ctrl[11], ctrl[12]);
  Atomics.store(ctrl, 1, seen);
  Atomics.notify(ctrl, 1);
}
