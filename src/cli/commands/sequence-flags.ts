import { z } from 'zod';
import { parseConfig } from '../../core/config.ts';
import { EngineError } from '../../core/engine-error.ts';
import {
  SEQUENCE_MODELS,
  type SequenceRecommenderOptions,
} from '../../evaluation/next-item/sequence-recommender.ts';
import { type SequenceOptionsFile, sequenceOptionsFileSchema } from '../../experiments/tune-sequence.ts';
import { intFlag, jsonFlag, numberFlag, readJson } from '../args.ts';

export { SEQUENCE_MODELS };

/** Flags shared by `train --data` and `evaluate --data` for the sequence models. */
export const sequenceFlagSpecs = {
  epochs: { type: 'string' },
  'learning-rate': { type: 'string' },
  cql: { type: 'string' },
  length: { type: 'string' },
  rewards: { type: 'string' },
  'agent-config': { type: 'string' },
  'history-types': { type: 'string' },
  'impression-types': { type: 'string' },
  'action-types': { type: 'string' },
  'act-with': { type: 'string' },
  'user-features': { type: 'string' },
  'time-features': { type: 'boolean' },
  'item-groups': { type: 'string' },
  options: { type: 'string' },
} as const;

export const sequenceFlagsHelp = `  --epochs 10            passes over the training sessions (the best on validation is kept)
  --learning-rate 0.005  Adam step size
  --cql 0                conservative Q-learning penalty α (SQN models)
  --length 10            the last k interactions the encoder reads
  --rewards '{"purchase":1,"cart":0.5,"click":0.2}'   reward per event type (SQN models)
  --agent-config file    any other SQN setting as JSON (batchSize, gamma, tau, weightDecay,
                         network: {dropout, tiedOutput, embedding, hidden, blocks, attentionHeads}...); defaults:
                         dropout 0.25, tied output, batch 256 or smaller for ≥ 64 steps an epoch
  --history-types click,cart,purchase   event types that make the state (default: all)
  --impression-types impression         event types that enter the state as passed over (default: none)
  --action-types ...     event types trained on as actions (default: all)
  --act-with supervised  the head that ranks: supervised (SQN's choice) or q
  --user-features a,b    user attributes read beside the sequence (name, name:numeric or name:categorical)
  --time-features        also read the hour of day and day of week
  --item-groups category an item attribute that groups items (embedding and score shared per group)
  --options FILE         start from these model settings (the best-options.json that 'tune --data'
                         writes: model, epochs and options); the flags above override them`;

export function sequenceOptions(
  name: string,
  flags: Partial<Record<keyof typeof sequenceFlagSpecs, string | boolean | undefined>>,
  seed: number,
): SequenceRecommenderOptions {
  const model = SEQUENCE_MODELS[name];
  if (!model) {
    throw new EngineError('E_USAGE', `unknown sequence model '${name}'`, {
      path: '--model',
      hint: `models: ${Object.keys(SEQUENCE_MODELS).join(', ')}`,
    });
  }
  const text = (key: keyof typeof sequenceFlagSpecs) => {
    const value = flags[key];
    return typeof value === 'string' ? value : undefined;
  };
  const raw = jsonFlag('rewards', text('rewards'), '{"purchase":1,"click":0.2}');
  const rewards =
    raw === undefined ? undefined : parseConfig(z.record(z.string(), z.number()), raw, '--rewards');
  const actWith = text('act-with');
  if (actWith !== undefined && actWith !== 'supervised' && actWith !== 'q') {
    throw new EngineError('E_USAGE', `--act-with must be supervised or q, got '${actWith}'`, {
      path: '--act-with',
    });
  }
  const agentConfig = text('agent-config');
  const extra = agentConfig ? (readJson(agentConfig, 'agent config') as Record<string, unknown>) : {};
  const userFeatures = typeList('userAttributes', text('user-features')).userAttributes;
  const time = flags['time-features'] === true;
  // From a settings file, the options are exactly the ones written there (no CLI defaults mixed in,
  // so a tuned winner trains as it did in the search); flags given beside it still override.
  const file = text('options') !== undefined ? readOptionsFile(text('options') as string) : undefined;
  const base = file?.options ?? { length: 10, agent: { learningRate: 0.005 } };
  return {
    ...base,
    ...model,
    seed,
    epochs: intFlag('epochs', text('epochs'), file?.epochs ?? 10, 1),
    ...(text('length') !== undefined ? { length: intFlag('length', text('length'), 10, 1) } : {}),
    ...(rewards ? { rewards } : {}),
    ...typeList('historyTypes', text('history-types')),
    ...typeList('impressionTypes', text('impression-types')),
    ...typeList('actionTypes', text('action-types')),
    ...(userFeatures || time ? { context: { userAttributes: userFeatures ?? [], time } } : {}),
    ...(text('item-groups') ? { itemGroups: text('item-groups') } : {}),
    agent: {
      ...base.agent,
      ...extra,
      ...(text('learning-rate') !== undefined
        ? { learningRate: numberFlag('learning-rate', text('learning-rate'), 0.005) }
        : {}),
      ...(text('cql') !== undefined ? { cqlAlpha: numberFlag('cql', text('cql'), 0) } : {}),
      ...(actWith !== undefined ? { actWith } : {}),
    },
  };
}

/** A comma-separated list of event type names as an option (absent when the flag is). */
function typeList(key: string, value: string | undefined): Record<string, string[]> {
  if (value === undefined) return {};
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
  return { [key]: names };
}

/** A model-settings file (see `sequenceOptionsFileSchema`), parsed strictly; errors name the field. */
export function readOptionsFile(path: string): SequenceOptionsFile {
  return parseConfig(
    sequenceOptionsFileSchema,
    readJson(path, 'model options file'),
    `model options file '${path}'`,
  );
}
