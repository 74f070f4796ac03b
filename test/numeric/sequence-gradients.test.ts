import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createAgent } from '../../src/agents/index.ts';
import { EngineError } from '../../src/core/engine-error.ts';
import { Rng } from '../../src/core/rng.ts';
import { box, discrete } from '../../src/core/spaces.ts';
import { Heap } from '../../src/numeric/heap.ts';
import { ReferenceKernels } from '../../src/numeric/kernels/reference-kernels.ts';
import { SequenceNetwork, type SequenceNetworkOptions } from '../../src/numeric/sequence/sequence-network.ts';
import { kernelHeaps } from '../helpers/heaps.ts';

/**
 * Finite differences over every parameter of a small sequence network, L = Σ c_s ⊙ logits + Σ c_q ⊙ Q,
 * on a batch that mixes full, left-padded and empty sequences. The padding row of the embedding must
 * get no gradient and embeddings of items absent from the batch none either.
 */
function check(
  heap: Heap,
  options: Partial<SequenceNetworkOptions>,
  label: string,
  // Rows: a full sequence, one left-padded to two items, one with a single item, one empty.
  input = Int32Array.from([3, 1, 4, 1, 0, 0, 5, 2, 0, 0, 0, 6, 0, 0, 0, 0]),
): void {
  const rng = new Rng(11);
  const items = 7;
  const T = 4;
  const net = new SequenceNetwork(
    heap,
    items,
    ['supervised', 'q'],
    { embedding: 6, hidden: 5, maxLength: T, blocks: 2, ...options },
    rng,
  );
  const batch = 4;
  const F = options.contextFeatures ?? 0;
  const context = F > 0 ? Float32Array.from({ length: batch * F }, () => rng.normal()) : undefined;
  const cs = Float32Array.from({ length: batch * items }, () => rng.normal());
  const cq = Float32Array.from({ length: batch * items }, () => rng.normal());
  // With dropout, every pass draws the same masks (a fresh Rng of one seed), so L is one function.
  const loss = () => {
    const masks = net.options.dropout > 0 ? new Rng(5) : undefined;
    const out = net.forward(input, batch, undefined, context, masks);
    let total = 0;
    for (let i = 0; i < batch * items; i++) total += cs[i] * out.supervised[i] + cq[i] * out.q[i];
    return total;
  };
  net.zeroGrad();
  loss();
  net.backward({ supervised: cs, q: cq }, batch);
  const analytic = net.grads.data.slice();
  const params = net.params.data;
  // Dropout's masks leave single-item rows with a few units, whose layer norm bends sharply: a
  // shorter step follows that curvature.
  const h = options.dropout ? 2e-3 : 1e-2;
  const center = loss();
  let checked = 0;
  let kinks = 0;
  for (let i = 0; i < params.length; i++) {
    const saved = params[i];
    params[i] = saved + h;
    const up = loss();
    params[i] = saved - h;
    const down = loss();
    params[i] = saved;
    const numeric = (up - down) / (2 * h);
    const agrees = (n: number) => Math.abs(n - analytic[i]) <= 3e-3 + 2e-2 * Math.abs(n);
    if (agrees(numeric)) {
      if (numeric !== 0) checked++;
      continue;
    }
    // A ReLU may switch inside [−h, h] but outside a tenth of it: the closer difference settles it.
    params[i] = saved + h / 10;
    const nearUp = loss();
    params[i] = saved - h / 10;
    const nearDown = loss();
    params[i] = saved;
    if (agrees((nearUp - nearDown) / (h / 5))) {
      checked++;
      continue;
    }
    // Not differentiable here: a ReLU switches inside [−h, h], so the one-sided slopes disagree.
    const right = (up - center) / h;
    const left = (center - down) / h;
    assert.ok(
      Math.abs(right - left) > 0.02 * Math.max(1, Math.abs(right)),
      `${label}: parameter ${i} analytic ${analytic[i]} numeric ${numeric}`,
    );
    kinks++;
  }
  assert.ok(checked > 200, `${label}: only ${checked} parameters had a gradient`);
  assert.ok(kinks <= 4, `${label}: ${kinks} parameters sat on a ReLU kink`);
  // Padding row (index 0) and item 7, which never appears, get exactly zero.
  for (let j = 0; j < 6; j++) assert.equal(analytic[j], 0, `${label}: padding embedding got a gradient`);
  // (A tied head predicts every item with its embedding, so there item 7's row is trained too.)
  if (!options.tiedOutput) {
    for (let j = 0; j < 6; j++) assert.equal(analytic[7 * 6 + j], 0, `${label}: unseen item got a gradient`);
  } else {
    assert.ok(
      analytic.subarray(7 * 6, 8 * 6).some((g) => g !== 0),
      `${label}: the tied head must train the embedding of an item it predicts`,
    );
  }
  net.dispose();
}

describe('sequence encoders: finite-difference gradient checks', () => {
  for (const [name, makeHeap] of kernelHeaps()) {
    test(`GRU encoder with supervised and Q heads (${name} kernels)`, () => {
      check(makeHeap(), { encoder: 'gru' }, `${name}/gru`);
    });
    test(`self-attention encoder, two blocks (${name} kernels)`, () => {
      check(makeHeap(), { encoder: 'attention' }, `${name}/attention`);
    });
    for (const attentionHeads of [2, 3]) {
      test(`self-attention with ${attentionHeads} heads of width ${6 / attentionHeads} (${name} kernels)`, () => {
        check(
          makeHeap(),
          { encoder: 'attention', attentionHeads },
          `${name}/attention-${attentionHeads}-heads`,
        );
      });
    }
    test(`two token kinds (clicked / passed over), GRU (${name} kernels)`, () => {
      // Tokens 8..14 are items 0..6 as the second kind (impressions); token 7 still never appears.
      const input = Int32Array.from([3, 9, 4, 12, 0, 0, 5, 2, 0, 0, 0, 13, 0, 0, 0, 0]);
      check(makeHeap(), { encoder: 'gru', tokenKinds: 2 }, `${name}/gru-kinds`, input);
    });
    for (const encoder of ['gru', 'attention'] as const) {
      test(`item groups (input embeddings and per-head output vectors), ${encoder} (${name} kernels)`, () => {
        check(makeHeap(), { encoder, itemGroups: [0, 1, 0, 2, 1, 2, 0] }, `${name}/${encoder}-groups`);
      });
      test(`user/context features beside the sequence, ${encoder} (${name} kernels)`, () => {
        // The empty fourth row is scored from its context alone.
        check(makeHeap(), { encoder, contextFeatures: 3 }, `${name}/${encoder}-context`);
      });
      test(`supervised head tied to the item embeddings, ${encoder} (${name} kernels)`, () => {
        check(
          makeHeap(),
          { encoder, hidden: 6, tiedOutput: true, itemGroups: [0, 1, 0, 2, 1, 2, 0] },
          `${name}/${encoder}-tied`,
        );
      });
      test(`dropout on the inputs and the representation, ${encoder} (${name} kernels)`, () => {
        check(makeHeap(), { encoder, dropout: 0.3, contextFeatures: 2 }, `${name}/${encoder}-dropout`);
      });
    }
  }

  for (const [name, makeHeap] of kernelHeaps()) {
    test(`a tied head scores a few rows in place and many through the transpose alike (${name} kernels)`, () => {
      const net = new SequenceNetwork(
        makeHeap(),
        11,
        ['supervised'],
        { encoder: 'gru', embedding: 6, hidden: 6, maxLength: 3, tiedOutput: true },
        new Rng(8),
      );
      const rows = 12; // above the few-rows path's 8
      const rng = new Rng(2);
      const input = Int32Array.from({ length: rows * 3 }, () => rng.int(12));
      const many = net.forward(input, rows).supervised.slice();
      for (let r = 0; r < rows; r++) {
        const one = net.forward(input.subarray(r * 3, r * 3 + 3), 1).supervised;
        for (let i = 0; i < 11; i++) {
          assert.ok(
            Math.abs(one[i] - many[r * 11 + i]) < 1e-5,
            `row ${r} item ${i}: ${one[i]} vs ${many[r * 11 + i]}`,
          );
        }
      }
      net.dispose();
    });
  }

  test('network options that cannot go together are E_CONFIG_INVALID, naming the fix', () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [
        { encoder: 'attention', embedding: 6, attentionHeads: 4 },
        /4 attention heads cannot split an embedding of 6/,
      ],
      [{ embedding: 8, hidden: 4, tiedOutput: true }, /set hidden to 8/],
    ];
    for (const [network, fix] of cases) {
      assert.throws(
        () =>
          createAgent({ algorithm: 'sqn', observationSpace: box([3]), actionSpace: discrete(5), network }),
        (e: unknown) => e instanceof EngineError && e.code === 'E_CONFIG_INVALID' && fix.test(e.message),
        `network ${JSON.stringify(network)}`,
      );
    }
  });

  test('a network that reads context features refuses a batch without them', () => {
    const heap = new Heap(new ReferenceKernels());
    const net = new SequenceNetwork(
      heap,
      5,
      ['supervised'],
      { maxLength: 2, contextFeatures: 2 },
      new Rng(1),
    );
    assert.throws(() => net.forward(Int32Array.from([1, 2]), 1), /2 context features/);
    net.dispose();
  });

  for (const encoder of ['gru', 'attention'] as const) {
    test(`dropout acts only in a training forward, and scoring is unchanged by it (${encoder})`, () => {
      const heap = new Heap(new ReferenceKernels());
      const options = { encoder, maxLength: 3, embedding: 8, hidden: 8 };
      const plain = new SequenceNetwork(heap, 6, ['supervised'], options, new Rng(4));
      const dropped = new SequenceNetwork(heap, 6, ['supervised'], { ...options, dropout: 0.5 }, new Rng(4));
      const input = Int32Array.from([1, 2, 3, 0, 4, 5]);
      const a = plain.forward(input, 2).supervised.slice();
      const b = dropped.forward(input, 2).supervised.slice();
      assert.deepEqual(b, a, 'scoring without a dropout Rng must equal the same weights without dropout');
      const t1 = dropped.forward(input, 2, undefined, undefined, new Rng(9)).supervised.slice();
      const t2 = dropped.forward(input, 2, undefined, undefined, new Rng(9)).supervised.slice();
      const t3 = dropped.forward(input, 2, undefined, undefined, new Rng(10)).supervised.slice();
      assert.deepEqual(t2, t1, 'one seed must draw the same masks');
      assert.notDeepEqual(t1, a, 'a training forward must drop units');
      assert.notDeepEqual(t3, t1, 'another seed must draw other masks');
      plain.dispose();
      dropped.dispose();
    });
  }

  test('a left-padded sequence encodes exactly like the same items without padding (GRU)', () => {
    const heap = new Heap(new ReferenceKernels());
    const short = new SequenceNetwork(
      heap,
      5,
      ['supervised'],
      { maxLength: 2, embedding: 4, hidden: 3 },
      new Rng(2),
    );
    const long = new SequenceNetwork(
      heap,
      5,
      ['supervised'],
      { maxLength: 5, embedding: 4, hidden: 3 },
      new Rng(2),
    );
    const a = short.forward(Int32Array.from([2, 3]), 1).supervised.slice();
    const b = long.forward(Int32Array.from([0, 0, 0, 2, 3]), 1).supervised.slice();
    for (let i = 0; i < 5; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-6);
  });
});
