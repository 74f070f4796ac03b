import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../../src/core/config.ts';
import { Rng } from '../../src/core/rng.ts';
import { EventLogBuilder, prepareConfigSchema, prepareLog } from '../../src/data/index.ts';
import {
  evaluateNextItem,
  hitRatio,
  ndcg,
  PopularityModel,
  rankOf,
  SessionKnnModel,
} from '../../src/evaluation/index.ts';

describe('ranking metrics', () => {
  it('HR and NDCG at k match hand-computed values, ties broken uniformly in expectation', () => {
    const scores = Float32Array.from([0.9, 0.5, 0.5, 0.5, 0.1]);
    assert.deepEqual(rankOf(scores, 0), { better: 0, tied: 0 });
    assert.equal(hitRatio(rankOf(scores, 0), 1), 1);
    assert.equal(ndcg(rankOf(scores, 0), 5), 1);
    // Target 2 ties with two others after one better item: positions 2, 3 or 4, each with chance 1/3.
    const rank = rankOf(scores, 2);
    assert.deepEqual(rank, { better: 1, tied: 2 });
    assert.equal(hitRatio(rank, 1), 0);
    assert.ok(Math.abs(hitRatio(rank, 2) - 1 / 3) < 1e-12);
    assert.equal(hitRatio(rank, 4), 1);
    const expected = (1 / Math.log2(3) + 1 / Math.log2(4)) / 3; // positions 2 and 3 fall inside k = 3
    assert.ok(Math.abs(ndcg(rank, 3) - expected) < 1e-12);
    assert.equal(ndcg(rankOf(scores, 4), 4), 0);
  });
});

describe('next-item evaluation on sessions with structure', () => {
  // Sessions walk a fixed chain of items (i → i+1) with occasional jumps; a popular item
  // appears everywhere. Session kNN should learn the chain; popularity cannot.
  const builder = new EventLogBuilder();
  const rng = new Rng(5);
  const t0 = Date.UTC(2024, 0, 1);
  for (let s = 0; s < 2000; s++) {
    let item = rng.int(40);
    const start = t0 + s * 3_600_000;
    const length = 3 + rng.int(5);
    for (let k = 0; k < length; k++) {
      const purchase = k === length - 1;
      builder.add({
        user: `u${s}`,
        item: rng.float() < 0.15 ? 'popular' : `i${item}`,
        type: purchase ? 'purchase' : 'click',
        timestampMs: start + k * 60_000,
      });
      item = rng.float() < 0.9 ? (item + 1) % 40 : rng.int(40);
    }
  }
  const prepared = prepareLog(builder.build(), parseConfig(prepareConfigSchema, {}, 'prepare'));

  it('session kNN beats popularity on both click and purchase targets, with intervals apart', () => {
    const popularity = new PopularityModel();
    popularity.fit(prepared);
    const knn = new SessionKnnModel();
    knn.fit(prepared);
    const a = evaluateNextItem(popularity, prepared, { seed: 1 });
    const b = evaluateNextItem(knn, prepared, { seed: 1 });
    assert.equal(a.sessions, b.sessions);
    assert.ok(
      a.groups.click.targets > 100 && a.groups.purchase.targets > 10,
      JSON.stringify(a.groups.purchase),
    );
    for (const group of ['click', 'purchase']) {
      const p = a.groups[group].metrics['hr@10'];
      const k = b.groups[group].metrics['hr@10'];
      assert.ok(k.lower > p.upper, `${group}: knn ${JSON.stringify(k)} vs popularity ${JSON.stringify(p)}`);
      assert.ok(p.lower <= p.value && p.value <= p.upper);
    }
    // Popularity ranks 'popular' first for every target: its click HR@1 is the share of 'popular' targets.
    assert.ok(a.groups.click.metrics['hr@20'].value < 0.7);
  });

  it('counts one prediction per held-out event after the first of its session', () => {
    const knn = new SessionKnnModel();
    knn.fit(prepared);
    const result = evaluateNextItem(knn, prepared, { part: 'validation', ks: [10] });
    let expected = 0;
    for (let s = 0; s < prepared.sessionPart.length; s++) {
      if (prepared.sessionPart[s] === 1)
        expected += prepared.sessionStarts[s + 1] - prepared.sessionStarts[s] - 1;
    }
    assert.equal(result.groups.click.targets + result.groups.purchase.targets, expected);
    assert.deepEqual(Object.keys(result.groups.click.metrics), ['hr@10', 'ndcg@10']);
  });
});
