import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../../src/core/rng.ts';
import { EcommerceEnvironment } from '../../src/environments/ecommerce.ts';
import { environmentContract } from '../contracts/environment-contract.ts';

describe('Environment contract', () => {
  environmentContract(
    'ecommerce',
    () => new EcommerceEnvironment({ items: 50, users: 50, meanStock: 3 }),
    200,
  );
});

type Picker = (env: EcommerceEnvironment, mask: Uint8Array, rng: Rng) => number;

function simulate(pick: Picker, options: Record<string, unknown> = {}, sessions = 400) {
  const env = new EcommerceEnvironment({ seed: 3, ...options });
  const rng = new Rng(9);
  let steps = 0;
  let clicks = 0;
  let purchases = 0;
  let total = 0;
  let clickbaitShown = 0;
  for (let e = 0; e < sessions; e++) {
    let { info } = env.reset({ seed: 1000 + e });
    for (;;) {
      const result = env.step(pick(env, info.actionMask!, rng));
      steps++;
      total += result.reward;
      if (result.info.clicked) clicks++;
      if (result.info.purchased) purchases++;
      if (result.info.clickbait) clickbaitShown++;
      info = result.info;
      if (result.terminated || result.truncated) break;
    }
  }
  return {
    ctr: clicks / steps,
    stepsPerSession: steps / sessions,
    purchasesPerSession: purchases / sessions,
    returnPerSession: total / sessions,
    clickbaitShare: clickbaitShown / steps,
  };
}

/** The best allowed item by a score computed from the simulator's oracle. */
const bestBy =
  (score: (p: ReturnType<EcommerceEnvironment['outcomeProbabilities']>) => number): Picker =>
  (env, mask) => {
    let best = -1;
    let bestValue = Number.NEGATIVE_INFINITY;
    for (let a = 0; a < mask.length; a++) {
      if (!mask[a]) continue;
      const v = score(env.outcomeProbabilities(a));
      if (v > bestValue) {
        best = a;
        bestValue = v;
      }
    }
    return best;
  };

// Immediate expected shaped reward (purchase 1, click 0.5) — what a one-step bandit maximises.
const myopic = bestBy((p) => 0.5 * p.click + 0.5 * p.click * p.cartGivenClick * p.purchaseGivenCart);
// Also values the satisfaction a click leaves behind (longer sessions, more purchases later).
const farsighted = bestBy((p) => myopicValue(p) + 2 * p.click * p.satisfactionChange);
function myopicValue(p: ReturnType<EcommerceEnvironment['outcomeProbabilities']>) {
  return 0.5 * p.click + 0.5 * p.click * p.cartGivenClick * p.purchaseGivenCart;
}
const random: Picker = (_env, mask, rng) => {
  let a: number;
  do a = rng.int(mask.length);
  while (!mask[a]);
  return a;
};

describe('ecommerce simulator dynamics', () => {
  test('the myopic choice wins clicks now but loses purchases and return over the session', () => {
    const m = simulate(myopic);
    const f = simulate(farsighted);
    const r = simulate(random);
    assert.ok(m.ctr > f.ctr && f.ctr > r.ctr, `CTR myopic ${m.ctr} farsighted ${f.ctr} random ${r.ctr}`);
    assert.ok(
      m.clickbaitShare > 3 * f.clickbaitShare,
      `clickbait share ${m.clickbaitShare} vs ${f.clickbaitShare}`,
    );
    assert.ok(
      f.stepsPerSession > 1.3 * m.stepsPerSession,
      `session length ${f.stepsPerSession} vs ${m.stepsPerSession}`,
    );
    assert.ok(
      f.purchasesPerSession > 1.3 * m.purchasesPerSession,
      `purchases ${f.purchasesPerSession} vs ${m.purchasesPerSession}`,
    );
    assert.ok(
      f.returnPerSession > m.returnPerSession,
      `return ${f.returnPerSession} vs ${m.returnPerSession}`,
    );
  });

  test('without clickbait and boredom the gap closes', () => {
    const options = { clickbaitFraction: 0, boredom: false };
    const m = simulate(myopic, options, 300);
    const f = simulate(farsighted, options, 300);
    assert.ok(
      Math.abs(f.returnPerSession - m.returnPerSession) / m.returnPerSession < 0.25,
      `${f.returnPerSession} vs ${m.returnPerSession}`,
    );
  });

  test('sold-out items are masked and stepping on one is a coded error', () => {
    const env = new EcommerceEnvironment({ items: 5, meanStock: 1, seed: 1 });
    let { info } = env.reset({ seed: 1 });
    let soldOut = -1;
    for (let t = 0; t < 2_000 && soldOut < 0; t++) {
      const allowed = [...info.actionMask!.keys()].filter((a) => info.actionMask![a]);
      if (allowed.length === 0) break;
      const result = env.step(allowed[t % allowed.length]);
      info = result.info;
      soldOut = info.actionMask!.indexOf(0);
      if (result.terminated || result.truncated) info = env.reset().info;
    }
    assert.ok(soldOut >= 0, 'some item sold out');
    assert.throws(
      () => env.step(soldOut),
      (e: unknown) => (e as { code: string }).code === 'E_ACTION_MASKED',
    );
  });

  test('reward kinds: revenue and margin follow purchases; action features describe every item', () => {
    const env = new EcommerceEnvironment({ reward: { kind: 'revenue' }, seed: 2 });
    const { info } = env.reset({ seed: 2 });
    assert.equal(info.actionFeatures!.length, 200);
    assert.equal(info.actionFeatures![0].length, 10 + 9);
    assert.equal(env.actionFeatureSize, 19);
    let seen = 0;
    for (let t = 0; t < 3_000 && seen < 5; t++) {
      const r = env.step(t % 200);
      if (r.info.purchased) {
        assert.equal(r.reward, r.info.revenue);
        assert.ok((r.info.revenue as number) > 0);
        seen++;
      } else assert.equal(r.reward, 0);
      if (r.terminated || r.truncated) env.reset();
    }
    assert.ok(seen > 0);
  });

  test('action features handed out earlier never change (copy-on-write on purchases)', () => {
    const env = new EcommerceEnvironment({ seed: 4 });
    let { info } = env.reset({ seed: 4 });
    const before = info.actionFeatures!;
    for (let t = 0; t < 5_000; t++) {
      const item = t % 200;
      const snapshot = Float32Array.from(before[item]);
      const result = env.step(item);
      if (result.info.purchased) {
        assert.deepEqual(before[item], snapshot, 'the earlier vector is untouched');
        assert.ok(
          result.info.actionFeatures![item][10 + 2] > snapshot[10 + 2],
          'the new one shows the higher popularity',
        );
        return;
      }
      info = result.terminated || result.truncated ? env.reset().info : result.info;
    }
    assert.fail('no purchase in 5,000 steps');
  });
});

describe('ecommerce candidate mode (retrieval offers k items per step)', () => {
  environmentContract(
    'ecommerce with 10 candidates',
    () => new EcommerceEnvironment({ items: 50, users: 50, meanStock: 3, candidates: 10 }),
    200,
  );

  test('each step offers k distinct in-stock items; the action indexes them', () => {
    const env = new EcommerceEnvironment({ seed: 5, candidates: 20 });
    assert.equal(env.actionSpace.n, 20);
    let { info } = env.reset({ seed: 5 });
    for (let t = 0; t < 300; t++) {
      const offered = info.candidates as Int32Array;
      assert.equal(offered.length, 20);
      assert.equal(new Set(offered).size, 20, 'distinct');
      assert.equal(info.actionFeatures!.length, 20);
      const a = t % 20;
      const result = env.step(a);
      assert.equal(result.info.item, offered[a]);
      assert.equal(result.info.category, env.catalogue[offered[a]].category);
      info = result.terminated || result.truncated ? env.reset().info : result.info;
    }
  });

  test('the cross features follow what the shop showed and what the user clicked', () => {
    const env = new EcommerceEnvironment({ seed: 6 });
    env.reset({ seed: 6 });
    const c = env.options.categories;
    let result = env.step(0);
    const category = env.catalogue[0].category;
    const phi = result.info.actionFeatures![0];
    assert.ok(Math.abs(phi[c + 6] - 1 / 3) < 1e-6, 'category exposure after one showing');
    assert.ok(Math.abs(phi[c + 7] - Math.log(2)) < 1e-6, 'item shown once');
    assert.equal(phi[c + 4] > 0, result.info.clicked === true, 'session clicks in the category');
    result = env.step(1);
    const later = result.info.actionFeatures![0];
    const decay = env.catalogue[1].category === category ? 1.7 : 0.7;
    assert.ok(Math.abs(later[c + 6] - decay / 3) < 1e-6, 'exposure decays by 0.7 per step');
  });

  test('more candidates than items is a coded configuration error', () => {
    assert.throws(
      () => new EcommerceEnvironment({ items: 5, candidates: 6 }),
      (e: unknown) => (e as { code: string }).code === 'E_CONFIG_INVALID',
    );
  });
});

describe('ecommerce slates', () => {
  test('a slate of one is step; longer slates follow the multinomial logit and raise CTR', () => {
    const a = new EcommerceEnvironment({ seed: 7, slateSize: 5 });
    const b = new EcommerceEnvironment({ seed: 7, slateSize: 5 });
    a.reset({ seed: 1 });
    b.reset({ seed: 1 });
    for (let t = 0; t < 20; t++) {
      const x = a.step(t);
      const y = b.stepSlate([t]);
      assert.equal(x.reward, y.reward);
      assert.equal(x.info.clicked, y.info.clicked);
      if (x.terminated || x.truncated) break;
    }
    const ctr = (k: number) => {
      const env = new EcommerceEnvironment({ seed: 8, slateSize: 5 });
      let clicks = 0;
      let steps = 0;
      for (let e = 0; e < 200; e++) {
        env.reset({ seed: e });
        for (;;) {
          const first = (steps * 7) % 190;
          const r = env.stepSlate(Array.from({ length: k }, (_, j) => first + j));
          steps++;
          if (r.info.clicked) {
            clicks++;
            const slate = r.info.slate as Int32Array;
            assert.equal(slate[r.info.clickedPosition as number], r.info.item);
          }
          if (r.terminated || r.truncated) break;
        }
      }
      return clicks / steps;
    };
    const one = ctr(1);
    const five = ctr(5);
    assert.ok(five > one + 0.1, `CTR with 5 items ${five} vs 1 item ${one}`);
  });

  test('bad slates are coded errors', () => {
    const env = new EcommerceEnvironment({ seed: 9, slateSize: 3 });
    env.reset({ seed: 1 });
    const code = (c: string) => (e: unknown) => (e as { code: string }).code === c;
    assert.throws(() => env.stepSlate([1, 2, 3, 4]), code('E_SLATE_SIZE'));
    assert.throws(() => env.stepSlate([]), code('E_SLATE_SIZE'));
    assert.throws(() => env.stepSlate([2, 2]), code('E_SLATE_DUPLICATE'));
    assert.throws(() => env.stepSlate([1, 500]), code('E_ACTION_OUT_OF_RANGE'));
  });
});
