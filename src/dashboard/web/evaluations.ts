import { api, type OfflineEvaluation } from './api.ts';
import { ago, confirmDialog, emptyState, errorBox, h, num, when } from './dom.ts';

const EVALUATIONS = '/personalizer/v1.0/evaluations';
const signed = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(4)}`;

/**
 * Learning settings: run an offline evaluation with a search over learning settings on the service's own
 * log (the last 30 days), show each suggestion with its estimated gain per decision and 95% interval,
 * and apply it only when the person confirms. Polls while an evaluation is pending.
 */
export function evaluationsPanel(report: (text: string, tone: 'ok' | 'bad' | '') => void): {
  element: HTMLElement;
  stop: () => void;
} {
  const list = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  let timer: ReturnType<typeof setTimeout> | undefined;

  const start = async () => {
    const end = new Date();
    report('Starting an offline evaluation…', '');
    try {
      await api('POST', EVALUATIONS, {
        name: `dashboard ${end.toISOString().slice(0, 16).replace('T', ' ')}`,
        startTime: new Date(end.getTime() - 30 * 86_400_000).toISOString(),
        endTime: end.toISOString(),
        enableOfflineExperimentation: true,
      });
      report('Evaluation started: it replays the log with each learning setting.', 'ok');
    } catch (error) {
      report(error instanceof Error ? error.message : String(error), 'bad');
    }
    await load();
  };

  const answer = async (e: OfflineEvaluation, apply: boolean) => {
    const s = e.suggestion;
    if (!s) return;
    if (apply) {
      const ok = await confirmDialog(
        'Apply the suggested learning settings?',
        `The learner will train with "${s.arguments}" from its next round on. Estimated gain ${signed(s.estimatedGain)} reward per decision, 95% interval [${s.gainInterval.map((x) => x.toFixed(4)).join(', ')}], on ${num(e.events ?? 0, 0)} logged decisions.${s.recommended ? '' : ' The interval includes 0: the gain is not established, and the settings may do worse.'}`,
        'Apply settings',
      );
      if (!ok) return;
    }
    try {
      await api(
        'POST',
        `/v1/evaluations/${e.id}/${apply ? 'apply' : 'reject'}`,
        apply ? { force: !s.recommended } : undefined,
      );
      report(apply ? 'Learning settings applied.' : 'The current learning settings are kept.', 'ok');
    } catch (error) {
      report(error instanceof Error ? error.message : String(error), 'bad');
    }
    await load();
  };

  const row = (e: OfflineEvaluation) => {
    const online = e.policyResults?.find((p) => p.policySource === 'Online')?.totalSummary;
    const s = e.suggestion;
    const detail =
      e.status === 'pending'
        ? h('span', { class: 'muted' }, 'running…')
        : e.error
          ? h('span', { class: 'bad' }, `${e.error.code}: ${e.error.message}`)
          : s
            ? h(
                'div',
                {},
                h('div', { class: 'mono small' }, s.arguments),
                h(
                  'div',
                  { 'data-gain': s.estimatedGain },
                  `Gain ${signed(s.estimatedGain)} per decision [${s.gainInterval.map((x) => x.toFixed(4)).join(', ')}] over the current ${online ? online.averageReward.toFixed(4) : '—'}: `,
                  h('strong', {}, s.recommended ? 'recommended' : 'not sure (interval includes 0)'),
                ),
              )
            : h('span', { class: 'muted' }, 'no alternative settings compared');
    const actions =
      e.status === 'completed' && s
        ? h(
            'div',
            { class: 'toolbar' },
            h(
              'button',
              {
                type: 'button',
                class: s.recommended ? 'primary small' : 'secondary small',
                'data-action': 'apply',
                onclick: () => void answer(e, true),
              },
              'Apply',
            ),
            h(
              'button',
              {
                type: 'button',
                class: 'secondary small',
                'data-action': 'keep',
                onclick: () => void answer(e, false),
              },
              'Keep current',
            ),
          )
        : h('span', { class: 'badge' }, e.status);
    return h(
      'tr',
      { 'data-evaluation': e.id, 'data-status': e.status },
      h('td', { title: when(e.creationTime) }, `${e.name} · ${ago(e.creationTime)}`),
      h('td', {}, e.events === undefined ? '—' : num(e.events, 0)),
      h('td', {}, detail),
      h('td', {}, actions),
    );
  };

  const load = async () => {
    clearTimeout(timer);
    try {
      const all = await api<OfflineEvaluation[]>('GET', EVALUATIONS);
      list.replaceChildren(
        all.length === 0
          ? emptyState(
              'No offline evaluation yet',
              h(
                'p',
                {},
                'Search replays the last 30 days of decisions with other learning settings and estimates, with a 95% interval, what each would have earned. Nothing changes until you apply a suggestion.',
              ),
            )
          : h(
              'div',
              { class: 'table-wrap' },
              h(
                'table',
                { class: 'evaluations' },
                h(
                  'thead',
                  {},
                  h(
                    'tr',
                    {},
                    ['Evaluation', 'Decisions', 'Suggestion', ''].map((c) => h('th', {}, c)),
                  ),
                ),
                h('tbody', {}, all.slice(0, 5).map(row)),
              ),
            ),
      );
      if (all.some((e) => e.status === 'pending')) timer = setTimeout(() => void load(), 1500);
    } catch (error) {
      list.replaceChildren(errorBox(error));
    }
  };

  void load();
  return {
    element: h(
      'section',
      { class: 'panel', id: 'learning-settings' },
      h('h3', {}, 'Learning settings'),
      h(
        'div',
        { class: 'toolbar' },
        h(
          'button',
          {
            type: 'button',
            class: 'secondary',
            'data-action': 'search-settings',
            onclick: () => void start(),
          },
          'Search for better settings',
        ),
      ),
      list,
    ),
    stop: () => clearTimeout(timer),
  };
}
