import { describe } from 'node:test';
import { box, discrete } from '../../src/core/spaces.ts';
import { CartPoleEnvironment } from '../../src/environments/cartpole.ts';
import { ChainEnvironment } from '../../src/environments/chain.ts';
import { agentContract } from './agent-contract.ts';
import { environmentContract } from './environment-contract.ts';

describe('Environment contract', () => {
  environmentContract('chain', () => new ChainEnvironment({ slip: 0.2 }));
  environmentContract('cartpole', () => new CartPoleEnvironment());
});

describe('Agent contract', () => {
  const spaces = { observationSpace: box([6]), actionSpace: discrete(4) };
  const small = { hidden: [16, 16] };
  const fast = { batchSize: 16, learningStarts: 32, bufferSize: 500 };
  agentContract('tabular-q', { algorithm: 'tabular-q', ...spaces, seed: 3 }, 6, 4);
  agentContract('dqn', { algorithm: 'dqn', ...spaces, seed: 3, network: small, ...fast }, 6, 4);
  agentContract(
    'dqn (dueling, 3-step, prioritised, Polyak)',
    {
      algorithm: 'dqn',
      ...spaces,
      seed: 3,
      network: small,
      ...fast,
      dueling: true,
      nStep: 3,
      prioritizedReplay: true,
      tau: 0.05,
      targetUpdateInterval: 1,
    },
    6,
    4,
  );
  agentContract('reinforce', { algorithm: 'reinforce', ...spaces, seed: 3, network: small }, 6, 4);
  agentContract('linucb (ε = 0.1)', { algorithm: 'linucb', ...spaces, seed: 3, epsilon: 0.1 }, 6, 4);
  agentContract(
    'linear-thompson',
    { algorithm: 'linear-thompson', ...spaces, seed: 3, propensitySamples: 20 },
    6,
    4,
  );
  agentContract('epsilon-greedy', { algorithm: 'epsilon-greedy', ...spaces, seed: 3 }, 6, 4);
  agentContract(
    'hybrid-linucb (ε = 0.1)',
    { algorithm: 'hybrid-linucb', ...spaces, seed: 3, epsilon: 0.1 },
    6,
    4,
  );
});
