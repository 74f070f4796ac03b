import { api, type DecisionSummary, type Explanation, type Importance, RequestError } from './api.ts';
import { bar, card, clear, emptyState, errorBox, h, num, pct, when } from './dom.ts';

/** A feature list one object per line (long vectors stay on their line). */
const compactJson = (value: unknown[]) => `[\n${value.map((v) => `  ${JSON.stringify(v)}`).join(',\n')}\n]`;

const rewardText = (values: number[]) =>
  values.length === 0 ? '—' : values.map((v) => num(v, 3)).join(' + ');

function decisionRow(d: DecisionSummary): HTMLElement {
  return h(
    'tr',
    { 'data-event': d.eventId },
    h('td', { title: when(d.createdAt) }, new Date(d.createdAt).toLocaleTimeString('en-GB')),
    h(
      'td',
      { class: 'mono' },
      h('a', { href: `#/decision/${encodeURIComponent(d.eventId)}` }, d.eventId.slice(0, 14)),
    ),
    h(
      'td',
      { class: 'mono' },
      d.sessionId
        ? h('a', { href: `#/session/${encodeURIComponent(d.sessionId)}` }, `${d.sessionId} #${d.step}`)
        : '—',
    ),
    h('td', { class: 'mono' }, d.chosenId),
    h('td', {}, pct(d.propensity)),
    h(
      'td',
      {},
      h('span', { class: `badge ${d.explored ? 'explore' : 'exploit'}` }, d.explored ? 'explore' : 'exploit'),
    ),
    h('td', {}, rewardText(d.rewards)),
    h('td', {}, `v${d.modelVersion}`),
  );
}

function decisionTable(rows: DecisionSummary[]): HTMLTableElement {
  return h(
    'table',
    { class: 'decisions' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Time', 'Event', 'Session · step', 'Chosen', 'Probability', '', 'Reward', 'Model'].map((c) =>
          h('th', {}, c),
        ),
      ),
    ),
    h('tbody', {}, rows.map(decisionRow)),
  );
}

function importancePanel(): HTMLElement {
  const panel = h(
    'section',
    { class: 'panel importance' },
    h('h3', {}, 'What the live model looks at'),
    h('p', { class: 'muted' }, 'Loading…'),
  );
  void api<Importance>('GET', '/v1/importance?decisions=500')
    .then((imp) => {
      clear(panel);
      panel.append(h('h3', {}, `What model v${imp.modelVersion} looks at`));
      if (imp.features.length === 0 || imp.features.every((f) => f.importance === 0)) {
        panel.append(
          h(
            'p',
            { class: 'muted' },
            'Nothing yet: the model has not learned any weights, or there are no decisions to look at.',
          ),
        );
        return;
      }
      const topShare = imp.features[0].share || 1;
      panel.append(
        h(
          'p',
          { class: 'muted small' },
          `Over the newest ${imp.decisions} decisions: how far each feature group spreads the candidates' scores (max − min), as a share of all groups. Context features act through their crosses with the candidates.`,
        ),
        h(
          'table',
          { class: 'bars' },
          h(
            'tbody',
            {},
            imp.features
              .slice(0, 15)
              .map((f) =>
                h(
                  'tr',
                  { 'data-feature': f.feature },
                  h('td', { class: 'mono' }, f.feature),
                  h('td', { class: 'wide' }, bar(f.share / topShare)),
                  h('td', {}, pct(f.share)),
                ),
              ),
          ),
        ),
      );
    })
    .catch((error) => {
      clear(panel);
      panel.append(h('h3', {}, 'What the live model looks at'), errorBox(error));
    });
  return panel;
}

/** The head of a single decision's or session's page: what it is, its id, and the way back. */
const detailHead = (title: string, id: string) =>
  h(
    'div',
    { class: 'page-head' },
    h('h2', {}, title),
    h('span', { class: 'mono muted' }, id),
    h('a', { href: '#/decisions' }, '← all decisions'),
  );

/** Decision explorer: look up an event or a session; the newest decisions; global feature importance. */
export function decisionsPage(root: HTMLElement): () => void {
  const message = h('div', { class: 'status', role: 'status' });
  const input = h('input', {
    type: 'search',
    name: 'lookup',
    placeholder: 'event id or session id',
    'aria-label': 'Event id or session id',
    autocomplete: 'off',
  });
  const lookup = async (event: Event) => {
    event.preventDefault();
    const id = input.value.trim();
    if (!id) return;
    message.textContent = '';
    try {
      const session = await api<{ decisions: DecisionSummary[] }>(
        'GET',
        `/v1/decisions?limit=1&sessionId=${encodeURIComponent(id)}`,
      );
      location.hash =
        session.decisions.length > 0
          ? `#/session/${encodeURIComponent(id)}`
          : `#/decision/${encodeURIComponent(id)}`;
    } catch (error) {
      message.textContent = error instanceof Error ? error.message : String(error);
      message.className = 'status bad';
    }
  };
  const list = h('div', { class: 'table-wrap' }, h('p', { class: 'muted' }, 'Loading…'));
  let next: number | null = null;
  let table: HTMLTableElement | null = null;
  const more = h(
    'button',
    { type: 'button', class: 'secondary', hidden: true, onclick: () => void load() },
    'Older decisions',
  );
  const load = async () => {
    try {
      const page = await api<{ decisions: DecisionSummary[]; next: number | null }>(
        'GET',
        `/v1/decisions?limit=50${next ? `&before=${next}` : ''}`,
      );
      if (!table) {
        clear(list);
        if (page.decisions.length === 0) {
          list.append(
            emptyState(
              'No decisions logged',
              h(
                'p',
                {},
                'Every call to /personalizer/v1.0/rank or /v1/decisions is logged here with its candidates, probabilities and rewards.',
              ),
            ),
          );
          return;
        }
        table = decisionTable(page.decisions);
        list.append(table);
      } else {
        table.tBodies[0].append(...page.decisions.map(decisionRow));
      }
      next = page.next;
      more.hidden = next === null;
    } catch (error) {
      clear(list);
      list.append(errorBox(error));
    }
  };
  root.append(
    h('div', { class: 'page-head' }, h('h2', {}, 'Decisions')),
    h(
      'form',
      { class: 'lookup', onsubmit: lookup },
      input,
      h('button', { type: 'submit', class: 'primary' }, 'Look up'),
    ),
    message,
    h(
      'div',
      { class: 'split' },
      h('section', { class: 'panel' }, h('h3', {}, 'Newest decisions'), list, more),
      importancePanel(),
    ),
  );
  void load();
  return () => {};
}

/** One decision: its context, every candidate's score and probability, the reward, and why it was chosen. */
export function decisionPage(root: HTMLElement, eventId: string): () => void {
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  root.append(detailHead('Decision', eventId), body);
  api<Explanation>('GET', `/v1/decisions/${encodeURIComponent(eventId)}/explanation?top=12`)
    .then((x) => {
      clear(body);
      const eligible = x.candidates.filter((c) => !c.excluded);
      const scores = eligible.map((c) => c.score);
      // Bars from zero (or from the lowest score when some are negative) up to the best score.
      const lo = Math.min(0, ...scores);
      const hi = Math.max(...scores);
      const maxDiff = Math.max(...x.versusRunnerUp.map((t) => Math.abs(t.difference)), 1e-12);
      const maxTerm = Math.max(...x.score.map((t) => Math.abs(t.contribution)), 1e-12);
      const runnerUp = x.candidates.find((c) => c.id === x.runnerUpId);
      const chosen = x.candidates.find((c) => c.chosen);
      body.append(
        h(
          'div',
          { class: 'cards' },
          card('Chosen', x.chosenId, { valueClass: 'mono', valueAttributes: { 'data-chosen': x.chosenId } }),
          card('Probability', pct(x.propensity), {
            detail: x.explored ? 'exploration' : 'the model’s choice',
          }),
          card('Reward', x.reward === null ? 'none' : num(x.reward, 3), {
            detail:
              x.rewards.length > 1
                ? `received ${rewardText(x.rewards)}`
                : x.reward === null
                  ? 'the default reward applies'
                  : '',
          }),
          card('Model', `v${x.modelVersion}`, { detail: when(x.createdAt) }),
          x.sessionId
            ? card('Session', h('a', { href: `#/session/${encodeURIComponent(x.sessionId)}` }, x.sessionId), {
                detail: `step ${x.step}`,
                valueClass: 'mono',
              })
            : null,
        ),
        ...(x.note ? [h('p', { class: 'status bad' }, x.note)] : []),
        h(
          'div',
          { class: 'split' },
          h(
            'section',
            { class: 'panel' },
            h('h3', {}, 'Candidates'),
            h(
              'table',
              { class: 'candidates' },
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  ['', 'Action', 'Score', '', 'Probability'].map((c) => h('th', {}, c)),
                ),
              ),
              h(
                'tbody',
                {},
                x.candidates.map((c) =>
                  h(
                    'tr',
                    { class: c.chosen ? 'chosen' : c.excluded ? 'excluded' : '', 'data-action': c.id },
                    h('td', {}, c.chosen ? '✔' : c.excluded ? 'excluded' : ''),
                    h('td', { class: 'mono' }, c.id),
                    h('td', { class: 'mono' }, num(c.score, 4)),
                    h(
                      'td',
                      { class: 'wide' },
                      c.excluded ? '' : bar(hi > lo ? (c.score - lo) / (hi - lo) : hi > 0 ? 1 : 0),
                    ),
                    h('td', {}, pct(c.probability)),
                  ),
                ),
              ),
            ),
          ),
          h(
            'section',
            { class: 'panel why' },
            h('h3', {}, runnerUp && chosen ? `Why ${chosen.id} over ${runnerUp.id}` : 'Why this action'),
            runnerUp && chosen
              ? h(
                  'p',
                  { class: 'muted small' },
                  `Score ${num(chosen.score, 4)} against ${num(runnerUp.score, 4)}. Each row is coefficient × value of one feature for the chosen action minus the same for the runner-up (model v${x.explainedWith}). Bias and context-only terms (${num(x.sharedShift, 4)} here) add the same to every candidate, so they never decide.`,
                )
              : h('p', { class: 'muted small' }, 'Only one candidate was eligible.'),
            x.explored
              ? h(
                  'p',
                  { class: 'status' },
                  'This decision explored: it was drawn at random, not because it scored best.',
                )
              : null,
            x.versusRunnerUp.length === 0
              ? h(
                  'p',
                  { class: 'muted' },
                  'No feature separates them yet: the model has not learned weights for these features.',
                )
              : h(
                  'table',
                  { class: 'bars attributions' },
                  h(
                    'tbody',
                    {},
                    x.versusRunnerUp.map((t) =>
                      h(
                        'tr',
                        { 'data-term': t.name },
                        h('td', { class: 'mono' }, t.name),
                        h('td', { class: 'wide' }, bar(t.difference / maxDiff, 'diverging')),
                        h('td', { class: 'mono' }, `${t.difference >= 0 ? '+' : ''}${num(t.difference, 4)}`),
                      ),
                    ),
                  ),
                ),
            h('h3', {}, `Score of ${x.chosenId}: largest terms`),
            x.score.every((t) => t.contribution === 0)
              ? h('p', { class: 'muted' }, 'Every term is zero: this model version has not learned yet.')
              : '',
            h(
              'table',
              { class: 'bars' },
              h(
                'tbody',
                {},
                x.score
                  .filter((t) => t.contribution !== 0)
                  .map((t) =>
                    h(
                      'tr',
                      {},
                      h('td', { class: 'mono' }, t.kind === 'bias' ? 'bias' : t.name),
                      h('td', { class: 'wide' }, bar(t.contribution / maxTerm, 'diverging')),
                      h(
                        'td',
                        { class: 'mono', title: `weight ${t.weight} × value ${t.value}` },
                        num(t.contribution, 4),
                      ),
                    ),
                  ),
              ),
            ),
          ),
        ),
        h(
          'section',
          { class: 'panel' },
          h('h3', {}, 'Context'),
          h('pre', { class: 'code' }, compactJson(x.context)),
        ),
      );
    })
    .catch((error) => {
      clear(body);
      body.append(
        error instanceof RequestError && error.status === 404
          ? emptyState(
              `No decision or session '${eventId}'`,
              h(
                'p',
                {},
                'Check the id: event ids are returned by rank and decision calls; session ids are the ones your shop sent.',
              ),
            )
          : errorBox(error),
      );
    });
  return () => {};
}

/** One session: its decisions in order with their rewards and the session's return. */
export function sessionPage(root: HTMLElement, sessionId: string): () => void {
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  root.append(detailHead('Session', sessionId), body);
  api<{ decisions: DecisionSummary[] }>(
    'GET',
    `/v1/decisions?limit=500&sessionId=${encodeURIComponent(sessionId)}`,
  )
    .then(({ decisions }) => {
      clear(body);
      if (decisions.length === 0) {
        body.append(
          emptyState(
            `No session '${sessionId}'`,
            h('p', {}, 'Sessions come from the native API: POST /v1/decisions with a sessionId.'),
          ),
        );
        return;
      }
      const steps = [...decisions].reverse();
      const total = steps.reduce((s, d) => s + d.rewards.reduce((a, b) => a + b, 0), 0);
      body.append(
        h(
          'div',
          { class: 'cards' },
          card('Steps', String(steps.length)),
          card('Return', num(total, 3), { detail: 'sum of every reward received' }),
          card('Started', when(steps[0].createdAt), { valueClass: 'small' }),
        ),
        h('section', { class: 'panel' }, h('div', { class: 'table-wrap' }, decisionTable(steps))),
      );
    })
    .catch((error) => {
      clear(body);
      body.append(errorBox(error));
    });
  return () => {};
}
