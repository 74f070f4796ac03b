import { api, type Report } from './api.ts';
import { ago, clear, code, emptyState, errorBox, h, when } from './dom.ts';

/** Experiments: the HTML reports `nextbest experiment` and `nextbest tune` wrote, listed and opened here. */
export function experimentsPage(root: HTMLElement, query: URLSearchParams): () => void {
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const opened = query.get('open');
  let blobUrl = '';
  root.append(h('div', { class: 'page-head' }, h('h2', {}, 'Experiments')), body);

  const show = async (report: Report, viewer: HTMLElement) => {
    clear(viewer);
    viewer.append(h('p', { class: 'muted' }, `Opening ${report.path}…`));
    try {
      const html = await api<string>('GET', `/v1/reports/file?path=${encodeURIComponent(report.path)}`);
      URL.revokeObjectURL(blobUrl);
      blobUrl = URL.createObjectURL(new Blob([html], { type: 'text/html' }));
      clear(viewer);
      viewer.append(
        h(
          'div',
          { class: 'toolbar' },
          h('strong', {}, report.title),
          h('a', { href: blobUrl, target: '_blank', rel: 'noopener' }, 'Open in a new tab'),
        ),
        // Reports are static HTML and SVG: shown in a sandbox without scripts.
        h('iframe', { class: 'report', sandbox: '', srcdoc: html, title: report.title }),
      );
    } catch (error) {
      clear(viewer);
      viewer.append(errorBox(error));
    }
  };

  api<{ folder: string; reports: Report[] }>('GET', '/v1/reports')
    .then(({ folder, reports }) => {
      clear(body);
      if (reports.length === 0) {
        body.append(
          emptyState(
            'No reports yet',
            h(
              'p',
              {},
              `Runs write HTML reports into the reports folder the server was started with (${folder}). Run one there, for example:`,
            ),
            code(
              'npm start                      # agents against baselines on the ecommerce simulator\nnextbest tune --config configs/tune-cartpole.json',
            ),
            h('p', {}, 'then reload this page.'),
          ),
        );
        return;
      }
      const viewer = h('div', { class: 'viewer' });
      body.append(
        h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { class: 'reports' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ['Report', 'File', 'Written', 'Size'].map((c) => h('th', {}, c)),
              ),
            ),
            h(
              'tbody',
              {},
              reports.map((r) =>
                h(
                  'tr',
                  { 'data-report': r.path },
                  h(
                    'td',
                    {},
                    h(
                      'a',
                      {
                        href: `#/experiments?open=${encodeURIComponent(r.path)}`,
                        onclick: (e: Event) => {
                          e.preventDefault();
                          history.replaceState(null, '', `#/experiments?open=${encodeURIComponent(r.path)}`);
                          void show(r, viewer);
                        },
                      },
                      r.title,
                    ),
                  ),
                  h('td', { class: 'mono small' }, r.path),
                  h('td', { title: when(r.modifiedAt) }, ago(r.modifiedAt)),
                  h('td', {}, `${Math.max(1, Math.round(r.bytes / 1024))} KiB`),
                ),
              ),
            ),
          ),
        ),
        viewer,
      );
      const first = reports.find((r) => r.path === opened);
      if (first) void show(first, viewer);
    })
    .catch((error) => {
      clear(body);
      body.append(errorBox(error));
    });
  return () => URL.revokeObjectURL(blobUrl);
}
