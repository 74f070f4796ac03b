import { type Activity, api } from './api.ts';
import { type TimeChart, timeChart } from './charts.ts';
import { ago, card, clear, code, emptyState, errorBox, h, num, pct } from './dom.ts';

const RANGES: Array<{ id: string; label: string; seconds: number | null }> = [
  { id: '15m', label: '15 min', seconds: 900 },
  { id: '1h', label: '1 hour', seconds: 3600 },
  { id: '24h', label: '24 hours', seconds: 86_400 },
  { id: '7d', label: '7 days', seconds: 604_800 },
  { id: 'all', label: 'All', seconds: null },
];

const perMinute = (v: number) => (v >= 100 ? v.toFixed(0) : Number(v.toFixed(2)).toString());
const share = (v: number) => `${Math.round(v * 100)}%`;

/** Overview: traffic, reward rate and CTR, exploration share and the live model over a chosen range. */
export function overviewPage(root: HTMLElement, query: URLSearchParams): () => void {
  const rangeId = RANGES.some((r) => r.id === query.get('range')) ? (query.get('range') as string) : 'all';
  let charts: TimeChart[] = [];
  let timer = 0;
  let auto = query.get('auto') !== 'off';
  const body = h('div', { class: 'overview-body' }, h('p', { class: 'muted' }, 'Loading…'));
  const rangeButtons = h(
    'div',
    { class: 'segmented', role: 'group', 'aria-label': 'Time range' },
    RANGES.map((r) =>
      h(
        'a',
        {
          href: `#/overview?range=${r.id}`,
          class: r.id === rangeId ? 'active' : '',
          'aria-pressed': r.id === rangeId,
        },
        r.label,
      ),
    ),
  );
  const autoBox = h('input', {
    type: 'checkbox',
    id: 'auto-refresh',
    ...(auto ? { checked: true } : {}),
    onchange: (e: Event) => {
      auto = (e.target as HTMLInputElement).checked;
      schedule();
    },
  });
  root.append(
    h(
      'div',
      { class: 'page-head' },
      h('h2', {}, 'Overview'),
      rangeButtons,
      h('label', { class: 'inline' }, autoBox, ' refresh every 10 s'),
    ),
    body,
  );

  const draw = (a: Activity) => {
    for (const c of charts) c.destroy();
    charts = [];
    clear(body);
    if (a.allTime.events === 0) {
      body.append(
        emptyState(
          'No decisions yet',
          h('p', {}, 'The service has not been asked for a decision. Send one from your shop, for example:'),
          code(`curl -X POST ${location.origin}/personalizer/v1.0/rank \\
  -H "Ocp-Apim-Subscription-Key: $NEXTBEST_API_KEY" -H "content-type: application/json" \\
  -d '{"contextFeatures":[{"device":"mobile"}],"actions":[{"id":"shoes","features":[{"price":40}]},{"id":"hat","features":[{"price":15}]}]}'`),
          h('p', {}, 'or let simulated shoppers drive it for a few minutes:'),
          code(`nextbest traffic --url ${location.origin} --sessions 300`),
        ),
      );
      return;
    }
    const r = a.range;
    const minutes = (new Date(a.to).getTime() - new Date(a.from).getTime()) / 60_000;
    body.append(
      h(
        'div',
        { class: 'cards' },
        card('Decisions', num(r.decisions, 0), {
          detail: `${num(a.allTime.events, 0)} in all`,
          stat: 'decisions',
        }),
        card('Decisions / min', perMinute(r.decisions / Math.max(minutes, 1 / 60)), {
          detail: 'mean over the range',
          stat: 'rate',
        }),
        card('Reward rate', num(r.rewardRate, 3), { detail: 'mean reward per decision', stat: 'reward' }),
        card('CTR', pct(r.ctr), { detail: 'decisions with a positive reward', stat: 'ctr' }),
        card('Exploration', pct(r.exploration), {
          detail: `target ${pct(a.explorationPercentage, 0)} · ${a.learningMode}`,
          stat: 'exploration',
        }),
        card('Live model', `v${a.live.version}`, { detail: `since ${ago(a.live.since)}`, stat: 'live' }),
      ),
    );
    if (r.decisions === 0) {
      body.append(
        emptyState(
          'No decisions in this range',
          h(
            'p',
            {},
            `The latest decision was ${ago(a.allTime.to)}. `,
            h('a', { href: '#/overview?range=all' }, 'Show all time'),
            '.',
          ),
        ),
      );
      return;
    }
    const s = a.series;
    const target = s.t.map(() => a.explorationPercentage);
    charts = [
      timeChart(
        'Decisions per minute',
        s.t,
        [{ label: 'decisions / min', values: s.perMinute, color: '#2563eb', fill: true }],
        {
          format: perMinute,
        },
      ),
      timeChart(
        'Reward rate and CTR',
        s.t,
        [
          { label: 'reward per decision', values: s.rewardRate, color: '#059669' },
          { label: 'CTR', values: s.ctr, color: '#d97706', right: true },
        ],
        { format: (v) => Number(v.toPrecision(3)).toString(), rightFormat: share },
      ),
      timeChart(
        'Exploration and the live model',
        s.t,
        [
          { label: 'explored share', values: s.exploration, color: '#7c3aed' },
          { label: 'target', values: target, color: '#9ca3af', dash: [4, 4] },
          { label: 'model version', values: s.modelVersion, color: '#111827', right: true, stepped: true },
        ],
        { format: share, rightFormat: (v) => (Number.isInteger(v) ? `v${v}` : '') },
      ),
    ];
    body.append(
      h(
        'div',
        { class: 'charts' },
        charts.map((c) => c.element),
      ),
      h(
        'p',
        { class: 'muted small' },
        `${num(a.bucketSeconds, 0)}-second buckets from ${new Date(a.from).toLocaleString('en-GB')} to ${new Date(a.to).toLocaleString('en-GB')}. Exploration: the share of decisions that did not take the top-probability action.`,
      ),
    );
  };

  const load = async () => {
    const range = RANGES.find((x) => x.id === rangeId);
    const to = new Date();
    const params = new URLSearchParams({ buckets: '60' });
    if (range?.seconds) params.set('from', new Date(to.getTime() - range.seconds * 1000).toISOString());
    params.set('to', to.toISOString());
    try {
      draw(await api<Activity>('GET', `/v1/activity?${params}`));
    } catch (error) {
      clear(body);
      body.append(errorBox(error));
    }
  };
  const schedule = () => {
    clearInterval(timer);
    if (auto) timer = window.setInterval(load, 10_000);
  };
  void load();
  schedule();
  return () => {
    clearInterval(timer);
    for (const c of charts) c.destroy();
  };
}
