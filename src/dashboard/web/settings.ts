import { api, RequestError } from './api.ts';
import { clear, errorBox, h } from './dom.ts';

type Value = string | number | boolean;

interface Field {
  key: string;
  label: string;
  help: string;
  kind: 'text' | 'number' | 'select' | 'checkbox';
  options?: string[];
  min?: number;
  max?: number;
  step?: string;
  integer?: boolean;
  /** A message when the value is wrong, checked before sending (the service checks again). */
  check?: (v: Value) => string | null;
}

const DURATION =
  /^P(?:\d+(?:\.\d+)?D)?(?:T(?:\d+(?:\.\d+)?H)?(?:\d+(?:\.\d+)?M)?(?:\d+(?:\.\d+)?S)?)?$|^(?:\d+\.)?\d{1,2}:\d{2}:\d{2}(?:\.\d+)?$/;
const duration = (v: Value) =>
  typeof v === 'string' && DURATION.test(v) && v !== 'P' && !v.endsWith('T')
    ? null
    : 'an ISO 8601 duration such as PT10M or a time span such as 00:10:00';

const SERVICE_FIELDS: Field[] = [
  {
    key: 'learningMode',
    label: 'Learning mode',
    kind: 'select',
    options: ['Online', 'Apprentice', 'LoggingOnly'],
    help: 'Online explores and serves the model; Apprentice serves your default action and learns from it; LoggingOnly only logs.',
  },
  {
    key: 'explorationPercentage',
    label: 'Exploration',
    kind: 'number',
    min: 0,
    max: 1,
    step: '0.01',
    help: 'Share of decisions drawn at random (0 to 1) so the learner sees what it would not choose.',
  },
  {
    key: 'rewardWaitTime',
    label: 'Reward wait time',
    kind: 'text',
    check: duration,
    help: 'How long rewards are joined to a decision, e.g. PT10M.',
  },
  {
    key: 'defaultReward',
    label: 'Default reward',
    kind: 'number',
    step: 'any',
    help: 'The reward of a decision that got none within the wait time.',
  },
  {
    key: 'rewardAggregation',
    label: 'Reward aggregation',
    kind: 'select',
    options: ['earliest', 'sum'],
    help: 'When several rewards arrive: keep the first, or add them up.',
  },
  {
    key: 'modelExportFrequency',
    label: 'Retrain every',
    kind: 'text',
    check: duration,
    help: 'How often the learner trains and judges a candidate, e.g. PT5M.',
  },
  {
    key: 'logRetentionDays',
    label: 'Log retention (days)',
    kind: 'number',
    min: -1,
    integer: true,
    step: '1',
    help: 'Decisions older than this are deleted; -1 keeps them forever.',
  },
];

const LEARNER_FIELDS: Field[] = [
  {
    key: 'promotion',
    label: 'Promotion rule',
    kind: 'select',
    options: ['lower-bound', 'estimate', 'always', 'manual'],
    help: 'lower-bound: promote when the candidate’s lower 95% bound beats the live estimate; manual: never by itself.',
  },
  {
    key: 'estimator',
    label: 'Off-policy estimator',
    kind: 'select',
    options: ['wpdis', 'pdis', 'wdr', 'dr'],
    help: 'How a candidate is judged on held-out sessions.',
  },
  {
    key: 'holdoutFraction',
    label: 'Held-out share',
    kind: 'number',
    min: 0.05,
    max: 0.5,
    step: '0.01',
    help: 'Newest share of ready decisions kept out of training to judge the candidate.',
  },
  {
    key: 'minEvents',
    label: 'Minimum decisions per round',
    kind: 'number',
    min: 10,
    integer: true,
    step: '1',
    help: 'A round waits until this many decisions are ready.',
  },
  {
    key: 'epochs',
    label: 'Epochs',
    kind: 'number',
    min: 1,
    max: 50,
    integer: true,
    step: '1',
    help: 'Passes over the new decisions per round.',
  },
  {
    key: 'discount',
    label: 'Discount γ',
    kind: 'number',
    min: 0,
    max: 0.999,
    step: '0.01',
    help: 'Weight of later rewards in a session: 0 is a bandit, 0.9 values what a decision leads to.',
  },
  {
    key: 'sessionTimeout',
    label: 'Session timeout',
    kind: 'text',
    check: duration,
    help: 'A session with no decision for this long is over, e.g. PT30M.',
  },
  {
    key: 'autoSwitchFromApprentice',
    label: 'Leave Apprentice by itself',
    kind: 'checkbox',
    help: 'Switch to Online once the learned policy’s lower bound reaches the baseline’s.',
  },
];

function check(field: Field, raw: Value): string | null {
  if (field.kind === 'number') {
    const v = raw as number;
    if (typeof v !== 'number' || !Number.isFinite(v)) return 'a number is needed';
    if (field.integer && !Number.isInteger(v)) return 'a whole number is needed';
    if (field.min !== undefined && v < field.min) return `at least ${field.min}`;
    if (field.max !== undefined && v > field.max) return `at most ${field.max}`;
  }
  return field.check?.(raw) ?? null;
}

/** A settings form over one configuration resource: GET to fill, PUT to save; messages next to the field. */
function settingsForm(title: string, path: string, fields: Field[], testId: string): HTMLElement {
  const section = h(
    'section',
    { class: 'panel', 'data-form': testId },
    h('h3', {}, title),
    h('p', { class: 'muted' }, 'Loading…'),
  );
  let current: Record<string, Value> = {};
  const inputs = new Map<string, HTMLInputElement | HTMLSelectElement>();
  const errors = new Map<string, HTMLElement>();
  const status = h('span', { class: 'status', role: 'status', 'aria-live': 'polite' });

  const read = (field: Field): Value => {
    const input = inputs.get(field.key) as HTMLInputElement;
    if (field.kind === 'checkbox') return input.checked;
    if (field.kind === 'number') return input.value.trim() === '' ? Number.NaN : Number(input.value);
    return input.value.trim();
  };
  const save = async (event: Event) => {
    event.preventDefault();
    status.textContent = '';
    status.className = 'status';
    const next: Record<string, Value> = { ...current };
    let bad = false;
    for (const field of fields) {
      const value = read(field);
      const message = check(field, value);
      const slot = errors.get(field.key) as HTMLElement;
      slot.textContent = message ?? '';
      inputs.get(field.key)?.setAttribute('aria-invalid', String(message !== null));
      if (message) bad = true;
      next[field.key] = value;
    }
    if (bad) {
      status.textContent = 'Fix the fields marked in red.';
      status.className = 'status bad';
      return;
    }
    try {
      current = await api<Record<string, Value>>('PUT', path, next);
      status.textContent = `Saved at ${new Date().toLocaleTimeString('en-GB')}.`;
      status.className = 'status ok';
    } catch (error) {
      const field = error instanceof RequestError ? error.field : null;
      const slot = field ? errors.get(field) : undefined;
      if (slot) slot.textContent = (error as Error).message.replace(/^[^:]+: /, '');
      status.textContent = error instanceof Error ? `Not saved: ${error.message}` : 'Not saved';
      status.className = 'status bad';
    }
  };

  api<Record<string, Value>>('GET', path)
    .then((config) => {
      current = config;
      clear(section);
      const form = h('form', { class: 'settings', novalidate: true, onsubmit: save });
      for (const field of fields) {
        const id = `${testId}-${field.key}`;
        let input: HTMLInputElement | HTMLSelectElement;
        if (field.kind === 'select') {
          input = h(
            'select',
            { id, name: field.key },
            (field.options ?? []).map((o) => h('option', { value: o }, o)),
          );
          input.value = String(config[field.key] ?? '');
        } else if (field.kind === 'checkbox') {
          input = h('input', { id, name: field.key, type: 'checkbox' });
          (input as HTMLInputElement).checked = Boolean(config[field.key]);
        } else {
          input = h('input', {
            id,
            name: field.key,
            type: field.kind === 'number' ? 'number' : 'text',
            ...(field.step ? { step: field.step } : {}),
            ...(field.min !== undefined ? { min: field.min } : {}),
            ...(field.max !== undefined ? { max: field.max } : {}),
          });
          input.value = String(config[field.key] ?? '');
        }
        inputs.set(field.key, input);
        const error = h('span', { class: 'field-error', id: `${id}-error` });
        input.setAttribute('aria-describedby', `${id}-error`);
        errors.set(field.key, error);
        form.append(
          h(
            'div',
            { class: 'field' },
            h('label', { for: id }, field.label),
            input,
            h('small', { class: 'muted' }, field.help),
            error,
          ),
        );
      }
      form.append(
        h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save'), status),
      );
      section.append(h('h3', {}, title), form);
    })
    .catch((error) => {
      clear(section);
      section.append(h('h3', {}, title), errorBox(error));
    });
  return section;
}

/** Settings: the service configuration (Personalizer's) and the learner's, edited with validation messages. */
export function settingsPage(root: HTMLElement): () => void {
  root.append(
    h('div', { class: 'page-head' }, h('h2', {}, 'Settings')),
    h(
      'div',
      { class: 'split' },
      settingsForm('Service', '/personalizer/v1.0/configurations/service', SERVICE_FIELDS, 'service'),
      settingsForm('Learner', '/v1/configurations/learner', LEARNER_FIELDS, 'learner'),
    ),
  );
  return () => {};
}
