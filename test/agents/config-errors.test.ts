import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createAgent, loadAgent } from '../../src/agents/create-agent.ts';
import { EngineError } from '../../src/core/engine-error.ts';
import { box, discrete } from '../../src/core/spaces.ts';
import { createEnvironment } from '../../src/environments/registry.ts';

const spaces = { observationSpace: box([4]), actionSpace: discrete(2) };

function expectError(run: () => unknown, code: string, path?: string): EngineError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof EngineError, `expected an EngineError, got ${error}`);
    assert.equal(error.code, code);
    if (path) assert.equal(error.path, path);
    assert.ok(error.hint, 'every error carries a hint');
    return error;
  }
  assert.fail(`expected ${code}`);
}

describe('bad configs give coded errors naming the field', () => {
  test('the four keys suffice; defaults fill the rest', () => {
    for (const algorithm of ['tabular-q', 'dqn', 'reinforce']) {
      const agent = createAgent({ algorithm, ...spaces });
      assert.equal(agent.algorithm, algorithm);
      agent.dispose?.();
    }
  });

  test('unknown or missing algorithm', () => {
    const e = expectError(
      () => createAgent({ algorithm: 'dqn2', ...spaces }),
      'E_UNKNOWN_ALGORITHM',
      'algorithm',
    );
    assert.match(e.hint!, /dqn/);
    expectError(() => createAgent({ ...spaces }), 'E_CONFIG_INVALID', 'algorithm');
  });

  test('wrong types and ranges name the nested field', () => {
    expectError(
      () => createAgent({ algorithm: 'dqn', ...spaces, learningRate: -1 }),
      'E_CONFIG_INVALID',
      'learningRate',
    );
    expectError(() => createAgent({ algorithm: 'dqn', ...spaces, gamma: 1.5 }), 'E_CONFIG_INVALID', 'gamma');
    expectError(
      () => createAgent({ algorithm: 'dqn', ...spaces, network: { hidden: [64, 0] } }),
      'E_CONFIG_INVALID',
      'network.hidden.1',
    );
    expectError(
      () => createAgent({ algorithm: 'dqn', ...spaces, epsilon: { start: 2 } }),
      'E_CONFIG_INVALID',
      'epsilon.start',
    );
    expectError(() => createAgent({ algorithm: 'dqn', ...spaces, batchsize: 32 }), 'E_CONFIG_INVALID');
    expectError(
      () => createAgent({ algorithm: 'dqn', ...spaces, batchSize: 64, learningStarts: 10 }),
      'E_CONFIG_INVALID',
      'learningStarts',
    );
    expectError(
      () =>
        createAgent({
          algorithm: 'dqn',
          observationSpace: box([4]),
          actionSpace: { kind: 'discrete', n: 0 },
        }),
      'E_CONFIG_INVALID',
      'actionSpace.n',
    );
  });

  test('a box action space and a wrong observation size are coded errors', () => {
    expectError(
      () => createAgent({ algorithm: 'dqn', observationSpace: box([4]), actionSpace: box([2]) }),
      'E_ACTION_SPACE_KIND',
    );
    const agent = createAgent({ algorithm: 'dqn', ...spaces });
    expectError(() => agent.act(new Float32Array(3)), 'E_OBSERVATION_SIZE');
  });

  test('environments and snapshots', () => {
    expectError(() => createEnvironment('nope'), 'E_UNKNOWN_ENVIRONMENT');
    expectError(() => createEnvironment('chain', { length: 1 }), 'E_CONFIG_INVALID', 'length');
    expectError(() => loadAgent({ format: 'other' } as never), 'E_SNAPSHOT_INVALID');
  });
});
