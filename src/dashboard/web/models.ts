import { api, type ModelVersion, type TrainRound } from './api.ts';
import { intervalChart } from './charts.ts';
import { ago, clear, confirmDialog, emptyState, errorBox, h, num, when } from './dom.ts';
import { evaluationsPanel } from './evaluations.ts';

const f4 = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : '—');
const ci = (e: { value: number; lower: number; upper: number } | undefined) =>
  e ? `${f4(e.value)} [${f4(e.lower)}, ${f4(e.upper)}]` : '—';

/** Models: every version with its off-policy estimate and 95% interval; promote and roll back, confirmed. */
export function modelsPage(root: HTMLElement): () => void {
  const status = h('div', { class: 'status', role: 'status', 'aria-live': 'polite' });
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));

  const act = async <T>(label: string, run: () => Promise<T>, done: (result: T) => string) => {
    status.textContent = `${label}…`;
    status.className = 'status';
    try {
      const result = await run();
      status.textContent = done(result);
      status.className = 'status ok';
      await load();
    } catch (error) {
      status.textContent = error instanceof Error ? error.message : String(error);
      status.className = 'status bad';
    }
  };

  const promote = async (m: ModelVersion) => {
    const ok = await confirmDialog(
      `Promote version ${m.version}?`,
      `Version ${m.version} will serve every decision from now on, on every replica. The version live now is kept: "Roll back" returns to it.`,
      `Promote v${m.version}`,
    );
    if (ok)
      await act(
        `Promoting v${m.version}`,
        () => api('POST', `/v1/models/${m.version}/promote`),
        () => `Version ${m.version} is live.`,
      );
  };
  const rollback = async (live: number) => {
    const ok = await confirmDialog(
      'Roll back the live model?',
      `Version ${live} stops serving and the version that was live before it serves again, on every replica.`,
      'Roll back',
    );
    if (ok) {
      await act(
        'Rolling back',
        () => api<ModelVersion>('POST', '/v1/models/rollback'),
        (m) => `Rolled back: version ${m.version} is live.`,
      );
    }
  };
  const train = () =>
    act(
      'Training a candidate',
      () => api<TrainRound>('POST', '/v1/models/train'),
      (round) =>
        round.status !== 'trained'
          ? `Nothing trained: ${round.reason ?? round.status}.`
          : `Version ${round.model?.version} ${round.evaluation?.promoted ? 'promoted' : 'kept as a candidate'}: ${round.evaluation?.reason}.`,
    );

  const draw = (live: number, models: ModelVersion[]) => {
    clear(body);
    const evaluated = models.filter((m) => m.evaluation).slice(0, 12);
    body.append(
      h(
        'div',
        { class: 'toolbar' },
        h('button', { type: 'button', class: 'primary', onclick: () => void train() }, 'Train now'),
        h(
          'button',
          {
            type: 'button',
            class: 'secondary',
            'data-action': 'rollback',
            onclick: () => void rollback(live),
          },
          'Roll back',
        ),
        h('span', { class: 'muted' }, `Live: version ${live}`),
      ),
    );
    if (evaluated.length === 0) {
      body.append(
        emptyState(
          'No candidate has been judged yet',
          h(
            'p',
            {},
            'The learner trains a candidate every modelExportFrequency once enough decisions have had their reward window close, judges it off-policy on the newest held-out decisions, and promotes it when its lower 95% bound beats the live model. Send traffic, or press Train now.',
          ),
        ),
      );
    } else {
      body.append(
        h(
          'section',
          { class: 'panel' },
          h('h3', {}, 'Off-policy estimates of each candidate (95% intervals)'),
          h(
            'p',
            { class: 'muted small' },
            'Dot and bar: the candidate on the decisions held out from its training. Black tick: the live model’s estimate on the same decisions.',
          ),
          intervalChart(
            evaluated.map((m) => ({
              label: `v${m.version}${m.state === 'live' ? ' (live)' : ''}`,
              estimate: m.evaluation?.candidate ?? { value: 0, lower: 0, upper: 0 },
              marker: m.evaluation?.live.value,
              tone: m.state === 'live' ? '#059669' : m.state === 'rejected' ? '#dc2626' : '#2563eb',
            })),
            { markerLabel: 'live estimate' },
          ),
        ),
      );
    }
    body.append(
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'models' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              [
                'Version',
                'State',
                'Source',
                'Created',
                'Trained on',
                'Candidate estimate [95% CI]',
                'Live then',
                'Verdict',
                '',
              ].map((c) => h('th', {}, c)),
            ),
          ),
          h(
            'tbody',
            {},
            models.map((m) =>
              h(
                'tr',
                { 'data-version': m.version, class: m.state === 'live' ? 'live' : '' },
                h('td', {}, `v${m.version}`),
                h('td', {}, h('span', { class: `badge ${m.state}` }, m.state)),
                h('td', {}, m.source),
                h('td', { title: when(m.createdAt) }, ago(m.createdAt)),
                h('td', {}, m.trainedEvents ? `${num(m.trainedEvents, 0)} decisions` : '—'),
                h('td', { class: 'mono' }, ci(m.evaluation?.candidate)),
                h(
                  'td',
                  { class: 'mono' },
                  m.evaluation ? `v${m.evaluation.live.version}: ${f4(m.evaluation.live.value)}` : '—',
                ),
                h('td', { class: 'small' }, m.evaluation?.reason ?? ''),
                h(
                  'td',
                  {},
                  m.state === 'live'
                    ? h('span', { class: 'muted' }, 'serving')
                    : h(
                        'button',
                        { type: 'button', class: 'secondary small', onclick: () => void promote(m) },
                        'Promote',
                      ),
                ),
              ),
            ),
          ),
        ),
      ),
    );
  };

  const load = async () => {
    try {
      const { live, models } = await api<{ live: number; models: ModelVersion[] }>('GET', '/v1/models');
      draw(live, models);
    } catch (error) {
      clear(body);
      body.append(errorBox(error));
    }
  };

  const settings = evaluationsPanel((text, tone) => {
    status.textContent = text;
    status.className = `status ${tone}`.trim();
  });
  root.append(h('div', { class: 'page-head' }, h('h2', {}, 'Models')), status, body, settings.element);
  void load();
  return settings.stop;
}
