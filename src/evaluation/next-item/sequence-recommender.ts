import { z } from 'zod';
import { loadAgent } from '../../agents/create-agent.ts';
import { emptyBatch, SqnAgent, type SqnConfigInput, sqnConfigSchema } from '../../agents/sqn.ts';
import { parseConfig } from '../../core/config.ts';
import { EngineError, withPath } from '../../core/engine-error.ts';
import { Rng } from '../../core/rng.ts';
import { box, discrete } from '../../core/spaces.ts';
import {
  attributeColumn,
  ContextEncoder,
  type ContextFeatureSpecInput,
  contextFeatureSpecSchema,
} from '../../data/context-features.ts';
import { CANONICAL_EVENT_TYPES } from '../../data/event-log.ts';
import type { PreparedLog } from '../../data/prepare.ts';
import {
  DEFAULT_EVENT_REWARDS,
  type SequenceTransitions,
  sequenceTransitions,
  writeSequence,
} from '../../data/transitions.ts';
import { sequenceNetworkSchema } from '../../numeric/sequence/sequence-network.ts';
import type { NextItemModel, SessionPrefix } from './next-item-model.ts';
import { ndcg, rankOf } from './ranking-metrics.ts';

export interface SequenceRecommenderOptions {
  encoder?: 'gru' | 'attention';
  /** `sqn`: supervised + Q-learning heads; `supervised`: the encoder alone. */
  mode?: 'sqn' | 'supervised';
  /** Passes over the training transitions (the best epoch on validation is kept). */
  epochs?: number;
  seed?: number;
  /** The last k items the encoder reads. */
  length?: number;
  rewards?: Readonly<Record<string, number>>;
  /** Event types that enter the state sequence (default: all); see `sequenceTransitions`. */
  historyTypes?: string[];
  /** Event types that enter the state as passed-over items (a second token kind); see `sequenceTransitions`. */
  impressionTypes?: string[];
  /**
   * Event types whose rows are trained on (default: all). Validation ranks the next history-type
   * event when `historyTypes` is given: the item the user goes on to interact with.
   */
  actionTypes?: string[];
  /**
   * User and context features read beside the sequence: user attributes of the log and the time of
   * day and week (see `ContextEncoder`). Default: none.
   */
  context?: ContextFeatureSpecInput;
  /**
   * An item attribute (e.g. the category) whose values group the items: each group adds an input
   * embedding and an output vector to its items (see `itemGroups`). Items without a value share one
   * group. Default: none.
   */
  itemGroups?: string;
  /**
   * Other SQN settings (learning rate, batch size, CQL, γ, network...). Unless set here, the network
   * ties its supervised head to the item embeddings (when the widths match), uses dropout 0.25, and
   * the batch size is `defaultBatchSize` of the training transitions.
   */
  agent?: Partial<Omit<SqnConfigInput, 'algorithm' | 'observationSpace' | 'actionSpace'>>;
  /** Keep the weights of the epoch with the best validation NDCG@10 (default), or the last epoch's. */
  keepBest?: boolean;
  onEpoch?: (report: EpochReport) => void;
}

type TypeLists = 'historyTypes' | 'actionTypes' | 'impressionTypes' | 'context' | 'itemGroups';

export interface EpochReport {
  epoch: number;
  epochs: number;
  loss: number;
  /** NDCG@10 over every validation interaction (NaN when the log has no validation part). */
  validationNdcg: number;
  seconds: number;
}

/** The network schema's own defaults (widths), read where a default depends on them. */
const NETWORK_DEFAULTS = sequenceNetworkSchema.parse({});

/** Dropout of an encoder trained on a log, unless its network config sets one. */
export const DEFAULT_LOG_DROPOUT = 0.25;

/**
 * The batch size of an epoch over `transitions` unless the agent config sets one: 256 (SQN's), or
 * smaller, down to 32, so that a small log still gives about 64 steps per epoch. With 256 a log of
 * 1,700 events trains for 7 steps an epoch, too few for a GRU to learn anything in 10 epochs.
 */
export function defaultBatchSize(transitions: number): number {
  let size = 256;
  while (size > 32 && transitions / size < 64) size /= 2;
  return size;
}

/** The trainable next-item models by name: GRU4Rec- and SASRec-style encoders, alone or under SQN. */
export const SEQUENCE_MODELS: Readonly<
  Record<string, { encoder: 'gru' | 'attention'; mode: 'sqn' | 'supervised' }>
> = {
  gru4rec: { encoder: 'gru', mode: 'supervised' },
  'sqn-gru4rec': { encoder: 'gru', mode: 'sqn' },
  sasrec: { encoder: 'attention', mode: 'supervised' },
  'sqn-sasrec': { encoder: 'attention', mode: 'sqn' },
};

/** The names the CLI and benchmarks use: GRU4Rec / SASRec-style encoders, alone or under SQN. */
export function sequenceModelName(encoder: 'gru' | 'attention', mode: 'sqn' | 'supervised'): string {
  const base = encoder === 'gru' ? 'gru4rec' : 'sasrec';
  return mode === 'sqn' ? `sqn-${base}` : base;
}

/**
 * A sequence encoder trained on a log's training sessions, offline: minibatches of logged
 * transitions in a seeded shuffled order, one SQN (or supervised) step each; after every epoch,
 * NDCG@10 on the validation sessions decides which epoch's weights are kept (early stopping without
 * looking at the test part). Scores items with the supervised head, as SQN recommends.
 */
export class SequenceRecommender implements NextItemModel {
  readonly name: string;
  agent: SqnAgent | null = null;
  history: EpochReport[] = [];
  private readonly options: Required<Omit<SequenceRecommenderOptions, 'agent' | 'onEpoch' | TypeLists>> &
    Pick<SequenceRecommenderOptions, 'agent' | 'onEpoch' | TypeLists>;
  private state = new Int32Array(0);
  /** The fitted user/context encoder (null when the model reads the sequence alone). */
  contextEncoder: ContextEncoder | null = null;
  private contextRow = new Float32Array(0);
  /** The training log's event type names (prefix types index them). */
  private typeNames: string[] = [];

  /** The event type names a prefix's types index (the training log's). */
  get eventTypes(): readonly string[] {
    return this.typeNames;
  }

  constructor(options: SequenceRecommenderOptions = {}) {
    this.options = {
      encoder: options.encoder ?? 'gru',
      mode: options.mode ?? 'sqn',
      epochs: options.epochs ?? 10,
      keepBest: options.keepBest ?? true,
      seed: options.seed ?? 0,
      length: options.length ?? 10,
      rewards: options.rewards ?? DEFAULT_EVENT_REWARDS,
      agent: options.agent,
      onEpoch: options.onEpoch,
      ...(options.historyTypes ? { historyTypes: [...options.historyTypes] } : {}),
      ...(options.actionTypes ? { actionTypes: [...options.actionTypes] } : {}),
      ...(options.impressionTypes ? { impressionTypes: [...options.impressionTypes] } : {}),
      ...(options.context ? { context: contextFeatureSpecSchema.parse(options.context) } : {}),
      ...(options.itemGroups ? { itemGroups: options.itemGroups } : {}),
    };
    this.name = sequenceModelName(this.options.encoder, this.options.mode);
  }

  /**
   * Check, without training, that these options make a valid model on this log: the SQN config `fit`
   * would build parses (E_CONFIG_INVALID naming the field otherwise) and the context and item-group
   * attributes exist.
   */
  checkConfig(prepared: PreparedLog): void {
    const encoder = this.fitContextEncoder(prepared);
    try {
      // The batch size default depends on the training transitions only; any size checks the rest.
      this.agentConfig(prepared, 256 * 64, encoder?.size ?? 0);
    } catch (error) {
      // The SQN config is the options' `agent`, with the network under it: name the field from there.
      throw withPath(error, 'agent');
    }
  }

  private fitContextEncoder(prepared: PreparedLog): ContextEncoder | null {
    const spec = this.options.context;
    return spec && (spec.userAttributes?.length || spec.time) ? ContextEncoder.fit(prepared, spec) : null;
  }

  fit(prepared: PreparedLog): void {
    const o = this.options;
    const encoder = this.fitContextEncoder(prepared);
    const F = encoder?.size ?? 0;
    const shared = {
      ...(encoder ? { context: encoder } : {}),
      length: o.length,
      rewards: o.rewards,
      historyTypes: o.historyTypes,
      impressionTypes: o.impressionTypes,
    };
    const train = sequenceTransitions(prepared, { ...shared, part: 'train', actionTypes: o.actionTypes });
    const validation = sequenceTransitions(prepared, {
      ...shared,
      part: 'validation',
      actionTypes: o.historyTypes ?? o.actionTypes,
    });
    const config = this.agentConfig(prepared, train.size, F);
    this.agent?.dispose();
    const agent = new SqnAgent(config);
    this.agent = agent;
    this.state = new Int32Array(o.length);
    this.contextEncoder = encoder;
    this.contextRow = new Float32Array(F);
    this.typeNames = [...prepared.log.typeNames];
    const rng = new Rng(o.seed + 7);
    const order = Int32Array.from({ length: train.size }, (_, i) => i);
    const batch = emptyBatch(config.batchSize, o.length, F);
    let best = Number.NEGATIVE_INFINITY;
    let bestParams: Float32Array | null = null;
    this.history = [];
    for (let epoch = 1; epoch <= o.epochs; epoch++) {
      const started = performance.now();
      shuffle(order, rng);
      let loss = 0;
      let steps = 0;
      for (let from = 0; from < train.size; from += config.batchSize) {
        const count = Math.min(config.batchSize, train.size - from);
        gather(train, order, from, count, batch);
        loss += agent.learn(batch, count);
        steps++;
      }
      const validationNdcg = validation.size > 0 ? this.validationNdcg(validation) : Number.NaN;
      const report = {
        epoch,
        epochs: o.epochs,
        loss: loss / Math.max(1, steps),
        validationNdcg,
        seconds: (performance.now() - started) / 1000,
      };
      this.history.push(report);
      o.onEpoch?.(report);
      if (Number.isNaN(validationNdcg) || validationNdcg > best) {
        best = Number.isNaN(validationNdcg) ? best : validationNdcg;
        bestParams = agent.online.params.data.slice();
      }
    }
    if (bestParams && o.keepBest) agent.online.params.set(bestParams);
  }

  /** The SQN config of an encoder over this log, with a log's defaults (see `fit`). */
  private agentConfig(prepared: PreparedLog, transitions: number, F: number) {
    const o = this.options;
    const items = prepared.log.itemIds.length;
    const network = o.agent?.network ?? {};
    return parseConfig(
      sqnConfigSchema,
      {
        learningStarts: 0,
        batchSize: defaultBatchSize(transitions),
        ...o.agent,
        algorithm: 'sqn',
        observationSpace: box([o.length + F]),
        actionSpace: discrete(items),
        seed: o.seed,
        mode: o.mode,
        network: {
          // Trained on logs, an encoder ties its output to the item embeddings and drops a quarter
          // of its units unless told otherwise: on YOOCHOOSE and DIGINETICA both beat the untied,
          // undropped network (benchmarks/RESULTS.md, decision 0014).
          tiedOutput:
            o.encoder === 'attention' ||
            (network.hidden ?? NETWORK_DEFAULTS.hidden) === (network.embedding ?? NETWORK_DEFAULTS.embedding),
          dropout: DEFAULT_LOG_DROPOUT,
          ...network,
          encoder: o.encoder,
          tokenKinds: o.impressionTypes ? 2 : 1,
          contextFeatures: F,
          ...(o.itemGroups ? { itemGroups: itemGroupsOf(prepared, o.itemGroups) } : {}),
        },
      },
      'sequence model config',
    );
  }

  /** Mean NDCG@10 of the acting head over held-out transitions, scored in batches. */
  private validationNdcg(held: SequenceTransitions): number {
    const agent = this.agent;
    if (!agent) return Number.NaN;
    const chunk = 256;
    const items = agent.items;
    let total = 0;
    for (let from = 0; from < held.size; from += chunk) {
      const count = Math.min(chunk, held.size - from);
      const F = held.features;
      const scores = agent.scoreBatch(
        held.states.subarray(from * held.length, (from + count) * held.length),
        count,
        agent.config.actWith,
        held.contexts.subarray(from * F, (from + count) * F),
      );
      for (let i = 0; i < count; i++) {
        total += ndcg(rankOf(scores.subarray(i * items, (i + 1) * items), held.actions[from + i]), 10);
      }
    }
    return total / held.size;
  }

  score(prefix: SessionPrefix, out: Float32Array): void {
    if (!this.agent) throw new Error(`${this.name}: fit() before score()`);
    const { historyTypes, impressionTypes } = this.options;
    const catalogue = this.agent.items;
    const tokens: number[] = [];
    for (let i = 0; i < prefix.items.length; i++) {
      const type = this.typeNames[prefix.types[i]];
      if (impressionTypes?.includes(type)) tokens.push(catalogue + prefix.items[i]);
      else if (!historyTypes || historyTypes.includes(type)) tokens.push(prefix.items[i]);
    }
    writeSequence(tokens, 0, tokens.length, this.options.length, this.state, 0);
    const encoder = this.contextEncoder;
    if (encoder) {
      if (encoder.time && prefix.timestampMs === undefined) {
        throw new EngineError(
          'E_CONTEXT_MISSING',
          `${this.name} reads the time of day: give the prefix a timestamp`,
        );
      }
      encoder.encode(prefix.attribute ?? (() => undefined), prefix.timestampMs ?? 0, this.contextRow, 0);
    }
    out.set(this.agent.scores(this.state, this.agent.config.actWith, encoder ? this.contextRow : undefined));
  }

  /**
   * The trained model as a JSON document: the agent snapshot, the item ids its actions index, and
   * how it was trained. `SequenceRecommender.fromJSON` restores it.
   */
  toJSON(itemIds: readonly string[]): SequenceModelDocument {
    if (!this.agent) throw new Error(`${this.name}: fit() before toJSON()`);
    const { agent: _agent, onEpoch: _onEpoch, ...options } = this.options;
    return {
      format: 'nextbest.sequence-model',
      version: 1,
      name: this.name,
      options,
      itemIds: [...itemIds],
      typeNames: this.typeNames,
      ...(this.contextEncoder ? { contextEncoder: this.contextEncoder.toJSON() } : {}),
      history: this.history,
      agent: this.agent.toJSON() as unknown as Record<string, unknown>,
    };
  }

  /**
   * Restore a model written by toJSON. `itemIds` are the log's, which must be the model's. `typeNames`
   * are the log's event types: the log's type indices are read through them (a log may list its types in
   * another order than the training log did), and every type the model's options name must be among them.
   */
  static fromJSON(
    document: unknown,
    itemIds?: readonly string[],
    typeNames?: readonly string[],
  ): SequenceRecommender {
    const parsed = sequenceModelDocumentSchema.safeParse(document);
    if (!parsed.success) {
      throw new EngineError('E_MODEL_INVALID', 'not a NextBest sequence model file', {
        hint: "pass a file written by 'nextbest train --data'",
      });
    }
    const doc = parsed.data;
    if (
      itemIds &&
      (itemIds.length !== doc.itemIds.length || itemIds.some((id, i) => id !== doc.itemIds[i]))
    ) {
      throw new EngineError(
        'E_MODEL_MISMATCH',
        `the model was trained on a catalogue of ${doc.itemIds.length} items that differs from this log's ${itemIds.length}`,
        { hint: 'evaluate a model on the event log it was trained from' },
      );
    }
    const model = new SequenceRecommender(doc.options as SequenceRecommenderOptions);
    model.agent = loadAgent(doc.agent as never) as SqnAgent;
    model.state = new Int32Array(model.options.length);
    if (doc.contextEncoder !== undefined) {
      model.contextEncoder = ContextEncoder.fromJSON(doc.contextEncoder);
      model.contextRow = new Float32Array(model.contextEncoder.size);
    }
    // Files from before typeNames was saved came from logs whose types were the canonical ones.
    model.typeNames = typeNames ? [...typeNames] : (doc.typeNames ?? [...CANONICAL_EVENT_TYPES]);
    if (typeNames) {
      for (const list of ['historyTypes', 'actionTypes', 'impressionTypes'] as const) {
        const missing = (model.options[list] ?? []).filter((name) => !typeNames.includes(name));
        if (missing.length > 0) {
          throw new EngineError(
            'E_MODEL_MISMATCH',
            `the model's ${list} name event type(s) ${missing.map((m) => `'${m}'`).join(', ')} that this log does not have (its types: ${typeNames.join(', ')})`,
            { hint: 'evaluate a model on an event log with the event types it was trained on', path: list },
          );
        }
      }
    }
    model.history = doc.history as EpochReport[]; // written by toJSON (NaN became null)
    return model;
  }

  dispose(): void {
    this.agent?.dispose();
    this.agent = null;
  }
}

const sequenceModelDocumentSchema = z.object({
  format: z.literal('nextbest.sequence-model'),
  version: z.literal(1),
  name: z.string(),
  options: z.record(z.string(), z.unknown()),
  itemIds: z.array(z.string()),
  /** Absent in files written before history types existed. */
  typeNames: z.array(z.string()).optional(),
  /** The fitted user/context encoder, when the model reads features beside the sequence. */
  contextEncoder: z.unknown().optional(),
  history: z.array(z.unknown()),
  agent: z.record(z.string(), z.unknown()),
});
export type SequenceModelDocument = z.output<typeof sequenceModelDocumentSchema>;

/** Group index of each item from an item attribute: values in first-seen order, missing values one group. */
function itemGroupsOf(prepared: PreparedLog, attribute: string): number[] {
  const { log } = prepared;
  const values = attributeColumn(log, 'item', attribute, 'itemGroups');
  const index = new Map<string, number>();
  const missing = -1;
  const groups = log.itemIds.map((_, i) => {
    const v = values[i];
    if (v === null || v === undefined || v === '') return missing;
    const key = String(v);
    let g = index.get(key);
    if (g === undefined) {
      g = index.size;
      index.set(key, g);
    }
    return g;
  });
  return groups.map((g) => (g === missing ? index.size : g));
}

function shuffle(order: Int32Array, rng: Rng): void {
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
}

function gather(
  from: SequenceTransitions,
  order: Int32Array,
  start: number,
  count: number,
  into: ReturnType<typeof emptyBatch>,
): void {
  const k = from.length;
  for (let b = 0; b < count; b++) {
    const j = order[start + b];
    into.states.set(from.states.subarray(j * k, (j + 1) * k), b * k);
    into.nextStates.set(from.nextStates.subarray(j * k, (j + 1) * k), b * k);
    into.actions[b] = from.actions[j];
    into.rewards[b] = from.rewards[j];
    into.terminated[b] = from.terminated[j];
  }
  const F = from.features;
  if (F > 0) {
    for (let b = 0; b < count; b++) {
      const j = order[start + b];
      into.contexts.set(from.contexts.subarray(j * F, (j + 1) * F), b * F);
      into.nextContexts.set(from.nextContexts.subarray(j * F, (j + 1) * F), b * F);
    }
  }
}
