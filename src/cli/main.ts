import { listAlgorithms } from '../agents/create-agent.ts';
import { EngineError } from '../core/engine-error.ts';
import { listEnvironments } from '../environments/registry.ts';
import { runDemo } from './commands/demo.ts';
import { runExperimentCommand } from './commands/experiment.ts';
import { runImport } from './commands/import.ts';
import { runModels } from './commands/models.ts';
import { runOpe } from './commands/ope.ts';
import { runMigrate, runServe } from './commands/serve.ts';
import { runSimulate } from './commands/simulate.ts';
import { runTraffic } from './commands/traffic.ts';
import { runEvaluate, runTrain } from './commands/train-evaluate.ts';
import { runTune } from './commands/tune.ts';

const help = `nextbest: a reinforcement-learning decision engine for commerce

Usage: nextbest <command> [flags]     (every command takes --help; tables also come as --json)

Commands:
  experiment   agents against baselines on simulators over seeds, with an HTML report (npm start)
  tune         hyper-parameter search on a simulator (random or successive halving), resumable
  demo         a one-minute demonstration: chain MDP and CartPole
  train        train an agent on an environment and save a snapshot
  evaluate     evaluate a saved agent's greedy policy
  import       stream a shop's event logs (CSV/TSV/JSONL) into a training file, rejects listed by line
  simulate     write a shop's event log from a simulator under a known behaviour policy
  ope          off-policy evaluation of a saved policy on logged bandit rounds (JSONL)
  serve        the decision service (Personalizer v1.0 and session APIs, background learner, dashboard at /)
  migrate      bring the decision store's schema up to date
  models       a running service's model versions: list, promote, rollback, train
  traffic      simulated shoppers for a running service (to watch the learner and the dashboard)
  envs         list environments
  algorithms   list algorithms
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(help);
      return 0;
    case 'experiment':
      return runExperimentCommand(rest);
    case 'tune':
      return runTune(rest);
    case 'demo':
      return runDemo(rest);
    case 'train':
      return runTrain(rest);
    case 'evaluate':
      return runEvaluate(rest);
    case 'import':
      return runImport(rest);
    case 'simulate':
      return runSimulate(rest);
    case 'ope':
      return runOpe(rest);
    case 'serve':
      return runServe(rest);
    case 'migrate':
      return runMigrate(rest);
    case 'models':
      return runModels(rest);
    case 'traffic':
      return runTraffic(rest);
    case 'envs':
      console.log(
        rest.includes('--json') ? JSON.stringify(listEnvironments()) : listEnvironments().join('\n'),
      );
      return 0;
    case 'algorithms':
      console.log(rest.includes('--json') ? JSON.stringify(listAlgorithms()) : listAlgorithms().join('\n'));
      return 0;
    default:
      throw new EngineError('E_USAGE', `unknown command '${command}'`, { hint: "run 'nextbest --help'" });
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof EngineError) {
    console.error(`nextbest: ${error.format()}`);
    process.exitCode = 2;
  } else {
    throw error;
  }
}
