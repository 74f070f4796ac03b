import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inThreadCompute, WorkerCompute } from '../../src/serving/compute.ts';
import { HashedLinearModel } from '../../src/serving/hashed-linear-model.ts';
import type { LearnJob } from '../../src/serving/learner.ts';
import { DEFAULT_LEARNER_CONFIG, parseLearningArguments } from '../../src/serving/learning-settings.ts';
import { DEFAULT_SERVICE_CONFIG } from '../../src/serving/service-config.ts';
import type { JoinedDecision } from '../../src/store/decision-store.ts';

/** Logged one-step decisions: users like one topic each; the log explored uniformly. */
function decisions(n: number): JoinedDecision[] {
  const topics = ['sport', 'cooking', 'travel'];
  return Array.from({ length: n }, (_, i) => {
    const user = i % 3;
    const chosen = (i * 7 + Math.floor(i / 3)) % 3;
    return {
      seq: i + 1,
      eventId: `e${i}`,
      createdAt: new Date(1_700_000_000_000 + i * 1000),
      context: [{ user: `u${user}` }],
      actions: topics.map((t) => ({ id: t, features: [{ topic: t }] })),
      excluded: [],
      ranking: topics.map((t) => ({ id: t, probability: 1 / 3 })),
      rewardActionId: topics[chosen],
      propensity: 1 / 3,
      modelVersion: 1,
      deferred: false,
      step: null,
      activatedAt: new Date(),
      rewards: [],
      joinedRewards: chosen === user ? [1] : [],
      next: null,
      terminal: true,
    };
  });
}

const job = (): LearnJob => {
  const all = decisions(600);
  return {
    base: new HashedLinearModel(16, 0.1).toBytes(),
    live: null,
    liveVersion: 1,
    training: all.slice(0, 450),
    holdout: all.slice(450),
    service: DEFAULT_SERVICE_CONFIG,
    config: { ...DEFAULT_LEARNER_CONFIG, promotion: 'lower-bound' },
    learning: parseLearningArguments('--cb_explore_adf --epsilon 0.2 -b 16'),
  };
};

test('a learner round on the worker thread gives exactly what it gives on the calling thread', async () => {
  const worker = new WorkerCompute();
  try {
    const [here, there] = await Promise.all([inThreadCompute().learn(job()), worker.learn(job())]);
    assert.equal(worker.jobs, 1);
    assert.deepEqual(Buffer.from(there.candidate), Buffer.from(here.candidate), 'the same model bytes');
    assert.deepEqual(there.evaluation, here.evaluation);
    assert.ok(here.evaluation.promoted, here.evaluation.reason);
    assert.ok(here.evaluation.candidate.value > here.evaluation.live.value);
  } finally {
    await worker.close();
  }
});

test('the worker: errors come back with their code; a dead worker fails its jobs and is replaced', async () => {
  const worker = new WorkerCompute();
  try {
    await assert.rejects(worker.learn({ ...job(), base: new Uint8Array([1, 2, 3]) }), (error: Error) => {
      assert.match(error.message, /model/i);
      assert.equal(typeof (error as { code?: string }).code, 'string');
      return true;
    });
    // A second job after a failed one still runs on the same worker.
    assert.ok((await worker.learn(job())).evaluation.holdout.decisions === 150);
    // Kill the worker under a running job: that job fails with a code; the next one gets a new worker.
    const running = worker.learn(job());
    const internal = (worker as unknown as { worker: { terminate(): Promise<number> } }).worker;
    await internal.terminate();
    await assert.rejects(running, { code: 'E_COMPUTE_WORKER_EXITED' });
    assert.equal((await worker.learn(job())).evaluation.holdout.decisions, 150);
  } finally {
    await worker.close();
  }
});
