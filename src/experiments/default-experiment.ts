/**
 * The experiment `npm start` runs: on ecommerce (clickbait and boredom on) and crm, DQN against a myopic
 * contextual bandit on the same features (LinUCB), the domain heuristics, random, most-popular, and
 * the oracles the ecommerce simulator can compute. Sized for about 3-4 minutes on 2 cores.
 * The same config is in configs/default-experiment.json (a test keeps the two equal).
 */
export const DEFAULT_EXPERIMENT = {
  name: 'default: ecommerce and crm, DQN against the baselines',
  seeds: 5,
  firstSeed: 1,
  evaluationEpisodes: 500,
  evaluationSeed: 1_000_000,
  curvePoints: 20,
  environments: [
    {
      id: 'ecommerce',
      // 200 items, retrieval offers 20 per step; one item in five is clickbait.
      options: { seed: 3, candidates: 20, clickbaitFraction: 0.2, boredom: true },
      entries: [
        {
          name: 'dqn',
          agent: {
            algorithm: 'dqn',
            parametric: true,
            network: { hidden: [32] },
            gamma: 0.9,
            learningRate: 3e-4,
            batchSize: 32,
            trainFrequency: 2,
            bufferSize: 20_000,
            targetUpdateInterval: 500,
            epsilon: { start: 1, end: 0.05, decaySteps: 15_000 },
          },
          steps: 30_000,
        },
        { name: 'linucb', agent: { algorithm: 'linucb', alpha: 0.3 }, steps: 30_000 },
        { name: 'random', baseline: 'random' },
        { name: 'most-popular', baseline: 'most-popular' },
        { name: 'myopic-oracle', baseline: 'myopic-oracle' },
        { name: 'far-sighted-oracle', baseline: 'far-sighted-oracle' },
      ],
    },
    {
      id: 'crm',
      options: {},
      entries: [
        {
          name: 'dqn',
          agent: {
            algorithm: 'dqn',
            network: { hidden: [64, 64] },
            gamma: 0.99,
            nStep: 5,
            loss: 'mse',
            learningRate: 1e-3,
            batchSize: 64,
            trainFrequency: 4,
            targetUpdateInterval: 500,
            epsilon: { start: 1, end: 0.02, decaySteps: 100_000 },
          },
          steps: 200_000,
        },
        { name: 'linucb', agent: { algorithm: 'linucb', alpha: 0.3 }, steps: 30_000 },
        { name: 'random', baseline: 'random' },
        { name: 'most-popular', baseline: 'most-popular' },
        { name: 'playbook', baseline: 'playbook' },
      ],
    },
  ],
};
