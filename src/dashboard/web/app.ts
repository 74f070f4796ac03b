import { api, apiKey, RequestError, SIGNED_OUT } from './api.ts';
import { decisionPage, decisionsPage, sessionPage } from './decisions.ts';
import { h } from './dom.ts';
import { experimentsPage } from './experiments.ts';
import { modelsPage } from './models.ts';
import { overviewPage } from './overview.ts';
import { settingsPage } from './settings.ts';

type Page = (root: HTMLElement, query: URLSearchParams, id: string) => () => void;

const PAGES: Array<{ path: string; label: string; page: Page; nav: boolean }> = [
  { path: 'overview', label: 'Overview', page: (root, query) => overviewPage(root, query), nav: true },
  { path: 'models', label: 'Models', page: (root) => modelsPage(root), nav: true },
  { path: 'decisions', label: 'Decisions', page: (root) => decisionsPage(root), nav: true },
  { path: 'decision', label: 'Decision', page: (root, _q, id) => decisionPage(root, id), nav: false },
  { path: 'session', label: 'Session', page: (root, _q, id) => sessionPage(root, id), nav: false },
  {
    path: 'experiments',
    label: 'Experiments',
    page: (root, query) => experimentsPage(root, query),
    nav: true,
  },
  { path: 'settings', label: 'Settings', page: (root) => settingsPage(root), nav: true },
];

const app = document.getElementById('app') as HTMLElement;
let cleanup: () => void = () => {};

/** The sign-in form: the key is checked against the service and kept for this browser tab only. */
function signIn(reason?: string): void {
  cleanup();
  cleanup = () => {};
  const input = h('input', {
    type: 'password',
    id: 'api-key',
    name: 'apiKey',
    autocomplete: 'current-password',
    required: true,
    minlength: 8,
    placeholder: 'NEXTBEST_API_KEY',
  });
  const message = h('p', { class: 'field-error', role: 'alert' }, reason ?? '');
  const button = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const submit = async (event: Event) => {
    event.preventDefault();
    const key = input.value.trim();
    if (key.length < 8) {
      message.textContent =
        'The key is at least 8 characters: the NEXTBEST_API_KEY the server was started with.';
      return;
    }
    button.disabled = true;
    message.textContent = '';
    try {
      await api('GET', '/v1/models', undefined, key);
      apiKey.set(key);
      if (!location.hash || location.hash === '#/') location.hash = '#/overview';
      shell();
    } catch (error) {
      message.textContent =
        error instanceof RequestError && error.status === 401
          ? 'The service refused this key. Use the NEXTBEST_API_KEY it was started with.'
          : error instanceof Error
            ? error.message
            : String(error);
    } finally {
      button.disabled = false;
    }
  };
  app.replaceChildren(
    h(
      'main',
      { class: 'signin' },
      h(
        'form',
        { class: 'panel', onsubmit: submit },
        h('h1', {}, 'NextBest'),
        h(
          'p',
          { class: 'muted' },
          'Sign in with the service’s API key. It is kept for this tab only and sent with each request.',
        ),
        h('label', { for: 'api-key' }, 'API key'),
        input,
        message,
        button,
      ),
    ),
  );
  input.focus();
}

let main: HTMLElement;
let nav: HTMLElement;

function shell(): void {
  nav = h(
    'nav',
    { 'aria-label': 'Pages' },
    PAGES.filter((p) => p.nav).map((p) => h('a', { href: `#/${p.path}`, 'data-page': p.path }, p.label)),
  );
  main = h('main', { id: 'page' });
  app.replaceChildren(
    h(
      'header',
      { class: 'top' },
      h('a', { class: 'brand', href: '#/overview' }, 'NextBest'),
      nav,
      h('a', { class: 'link', href: '/docs', target: '_blank', rel: 'noopener' }, 'API'),
      h(
        'button',
        {
          type: 'button',
          class: 'link',
          onclick: () => {
            apiKey.clear();
            signIn('Signed out.');
          },
        },
        'Sign out',
      ),
    ),
    main,
  );
  route();
}

function route(): void {
  if (!apiKey.get()) {
    signIn();
    return;
  }
  if (!main?.isConnected) {
    shell();
    return;
  }
  const [pathPart, queryPart = ''] = location.hash.replace(/^#\/?/, '').split('?');
  const [path, ...rest] = pathPart.split('/');
  const entry = PAGES.find((p) => p.path === path) ?? PAGES[0];
  const active = entry.nav
    ? entry.path
    : entry.path === 'decision' || entry.path === 'session'
      ? 'decisions'
      : '';
  for (const link of nav.querySelectorAll('a')) {
    link.classList.toggle('active', link.dataset.page === active);
    if (link.dataset.page === active) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  cleanup();
  main.replaceChildren();
  document.title = `${entry.label} · NextBest`;
  cleanup = entry.page(main, new URLSearchParams(queryPart), decodeURIComponent(rest.join('/')));
}

window.addEventListener('hashchange', route);
window.addEventListener(SIGNED_OUT, () => signIn('The service refused the key: sign in again.'));
route();
