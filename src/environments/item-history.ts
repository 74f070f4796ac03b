import { EngineError } from '../core/engine-error.ts';
import { box, discrete } from '../core/spaces.ts';
import type { Environment, StepInfo, StepResult } from '../core/types.ts';

/**
 * A simulator seen the way a sequence recommender trained on a shop's log sees it: the observation is
 * the last k items the shopper clicked this session (item i of `itemIds` as i + 1, left-padded with 0,
 * as SQN reads them; with `impressions`, also the items passed over) and the actions are the log's items, so a model trained offline on a log the
 * simulator wrote acts in it unchanged and its true online return can be measured.
 *
 * The inner environment reports the item each step showed (`info.item`) and whether it was clicked
 * (`info.clicked`); its actions are either item ids (the whole catalogue) or, when `info.candidates`
 * lists item ids, indices into that list. Items the log never saw cannot be chosen; items the inner
 * environment masks (sold out, not offered) are masked here too.
 */
export class ItemHistoryEnvironment implements Environment {
  readonly id: string;
  readonly observationSpace;
  readonly actionSpace;
  private readonly itemOf: Int32Array;
  /** The inner environment's action count (whole-catalogue mode: its item ids are below it). */
  private readonly innerActions: number;
  private readonly indexOf = new Map<number, number>();
  private history: number[] = [];
  /** Candidate mode: the inner action of each allowed item at this step. */
  private innerAction = new Int32Array(0);

  constructor(
    readonly inner: Environment,
    readonly options: {
      itemIds: readonly string[];
      length: number;
      /**
       * Items shown and not clicked enter the history too, as a second token kind (item i as N + i + 1),
       * for models trained with impression types (`tokenKinds: 2`). Default false: clicks only.
       */
      impressions?: boolean;
      /**
       * User/context features appended to the observation after the k items, for models trained with
       * them: `encode` writes `features` values from the inner environment's info (e.g. its
       * `profile`) at `at`. Default: none.
       */
      context?: { features: number; encode: (info: StepInfo, out: Float32Array, at: number) => void };
    },
  ) {
    this.id = `${inner.id}/item-history`;
    const n = inner.actionSpace.kind === 'discrete' ? inner.actionSpace.n : 0;
    this.innerActions = n;
    this.itemOf = Int32Array.from(options.itemIds, (id, i) => {
      const item = Number(id);
      if (!Number.isInteger(item) || item < 0) {
        throw new EngineError(
          'E_CONFIG_INVALID',
          `item id '${id}' (index ${i}) is not one of ${inner.id}'s item numbers`,
          { hint: 'use the item dictionary of a log this simulator wrote', path: 'itemIds' },
        );
      }
      this.indexOf.set(item, i);
      return item;
    });
    if (!Number.isInteger(options.length) || options.length < 1) {
      throw new EngineError('E_CONFIG_INVALID', `length must be a positive integer, got ${options.length}`, {
        path: 'length',
      });
    }
    if (n === 0) {
      throw new EngineError('E_CONFIG_INVALID', `${inner.id} has no discrete action space`);
    }
    this.actionSpace = discrete(options.itemIds.length);
    const features = options.context?.features ?? 0;
    this.observationSpace =
      features > 0
        ? box([options.length + features])
        : box([options.length], 0, options.itemIds.length * (options.impressions ? 2 : 1));
  }

  reset(options: { seed?: number } = {}): { observation: Float32Array; info: StepInfo } {
    const { info } = this.inner.reset(options);
    this.history = [];
    return { observation: this.observe(info), info: this.translate(info) };
  }

  step(action: number): StepResult {
    if (!Number.isInteger(action) || action < 0 || action >= this.itemOf.length) {
      throw new EngineError(
        'E_ACTION_OUT_OF_RANGE',
        `${this.id} has actions 0..${this.itemOf.length - 1}, got ${action}`,
      );
    }
    const inner = this.innerAction[action];
    if (inner < 0) {
      throw new EngineError(
        'E_ACTION_MASKED',
        `item '${this.options.itemIds[action]}' is not available now`,
        {
          hint: 'respect info.actionMask',
        },
      );
    }
    const result = this.inner.step(inner);
    const shown = result.info.item;
    const index = typeof shown === 'number' ? this.indexOf.get(shown) : undefined;
    if (index !== undefined) {
      if (result.info.clicked === true) this.history.push(index);
      else if (this.options.impressions) this.history.push(this.itemOf.length + index);
    }
    return { ...result, observation: this.observe(result.info), info: this.translate(result.info) };
  }

  private observe(info: StepInfo): Float32Array {
    const k = this.options.length;
    const context = this.options.context;
    const o = new Float32Array(k + (context?.features ?? 0));
    const recent = this.history.slice(-k);
    for (let i = 0; i < recent.length; i++) o[k - recent.length + i] = recent[i] + 1;
    context?.encode(info, o, k);
    return o;
  }

  /** The inner info with a mask (and inner action) per log item; per-action features do not carry over. */
  private translate(info: StepInfo): StepInfo {
    const { actionFeatures: _features, actionMask: innerMask, ...rest } = info;
    const items = this.itemOf.length;
    const mask = new Uint8Array(items);
    this.innerAction = new Int32Array(items).fill(-1);
    const candidates = info.candidates instanceof Int32Array ? info.candidates : null;
    if (candidates) {
      for (let c = 0; c < candidates.length; c++) {
        const index = this.indexOf.get(candidates[c]);
        if (index === undefined || (innerMask && !innerMask[c])) continue;
        mask[index] = 1;
        this.innerAction[index] = c;
      }
    } else {
      for (let i = 0; i < items; i++) {
        const item = this.itemOf[i];
        const allowed = innerMask ? innerMask[item] === 1 : item < this.innerActions;
        if (!allowed) continue;
        mask[i] = 1;
        this.innerAction[i] = item;
      }
    }
    return { ...rest, actionMask: mask };
  }
}
