import { EngineError } from '../../core/engine-error.ts';
import { serviceFromEnvironment } from '../../serving/client.ts';
import { parseCommandLine } from '../args.ts';
import { formatTable } from '../table.ts';

export const modelsHelp = `nextbest models [list | promote <version> | rollback | train] [--url http://127.0.0.1:8080] [--json]

Model versions of a running decision service, over its HTTP API (key from NEXTBEST_API_KEY):
  list              versions, newest first, with their off-policy estimates (default)
  promote <version> make a version live
  rollback          put the previously live version back (the current one is marked rejected)
  train             run a learner round now and print its evaluation`;

interface Estimate {
  value: number;
  lower: number;
  upper: number;
}
interface ModelRow {
  version: number;
  state: string;
  source: string;
  createdAt: string;
  trainedEvents: number;
  evaluation: {
    candidate: Estimate;
    live: Estimate & { version: number };
    holdout: { decisions: number };
    reason: string;
  } | null;
}

const ci = (e: Estimate) => `${e.value.toFixed(4)} [${e.lower.toFixed(4)}, ${e.upper.toFixed(4)}]`;

export async function runModels(argv: string[]): Promise<number> {
  const parsed = parseCommandLine('models', argv, {
    url: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean' },
  });
  const f = parsed.flags;
  const positional = parsed.positionals;
  if (f.help) {
    console.log(modelsHelp);
    return 0;
  }
  const [action = 'list', version] = positional;
  // A busy learner answers train with 409 and a body saying so: printed, not thrown.
  const request = serviceFromEnvironment(f.url, { accept: [409] });
  let result: unknown;
  if (action === 'list') {
    result = await request('GET', '/v1/models');
    if (!f.json) {
      const { live, models } = result as { live: number; models: ModelRow[] };
      console.log(`live model: version ${live}`);
      console.log(
        formatTable(
          [
            'version',
            'state',
            'source',
            'created',
            'trained on',
            'estimate [95% CI]',
            'live then',
            'held out',
          ],
          models.map((m) => [
            String(m.version),
            m.state,
            m.source,
            m.createdAt.replace('T', ' ').slice(0, 19),
            String(m.trainedEvents),
            m.evaluation ? ci(m.evaluation.candidate) : '',
            m.evaluation ? `v${m.evaluation.live.version} ${m.evaluation.live.value.toFixed(4)}` : '',
            m.evaluation ? String(m.evaluation.holdout.decisions) : '',
          ]),
        ),
      );
      return 0;
    }
  } else if (action === 'promote') {
    if (!version || !/^\d+$/.test(version)) {
      throw new EngineError('E_USAGE', 'promote needs a version number', {
        hint: 'nextbest models promote 3',
      });
    }
    result = await request('POST', `/v1/models/${version}/promote`);
  } else if (action === 'rollback') {
    result = await request('POST', '/v1/models/rollback');
  } else if (action === 'train') {
    result = await request('POST', '/v1/models/train');
  } else {
    throw new EngineError('E_USAGE', `unknown models action '${action}'`, {
      hint: 'list, promote, rollback or train',
    });
  }
  console.log(JSON.stringify(result, null, f.json ? 0 : 2));
  return 0;
}
