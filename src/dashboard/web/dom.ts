/** Small DOM helpers: elements are built with text nodes only, so logged data can never inject markup. */

type Child = Node | string | number | null | undefined | false;
type Attributes = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Array<Child | Child[]>
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.replace(/^on/, ''), value);
    else if (value === true) element.setAttribute(name, '');
    else element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

export function append(parent: Node, children: Array<Child | Child[]>): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(element: Element): void {
  element.replaceChildren();
}

/** A number with `digits` significant decimals, or an em dash for nothing. */
export function num(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en');
  return Number(x.toFixed(digits)).toString();
}

export function pct(x: number | null | undefined, digits = 1): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '—' : `${(x * 100).toFixed(digits)}%`;
}

export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return d.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'medium' });
}

export function ago(iso: string | null | undefined): string {
  if (!iso) return '—';
  const s = Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000);
  if (s < 90) return `${Math.round(s)} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 129_600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} days ago`;
}

/** A stat card: a label, a big value and an optional line of detail. */
export function card(
  label: string,
  value: Node | string,
  options: { detail?: string; stat?: string; valueClass?: string; valueAttributes?: Attributes } = {},
): HTMLElement {
  return h(
    'div',
    { class: 'card', 'data-stat': options.stat },
    h('div', { class: 'card-label' }, label),
    h(
      'div',
      {
        class: `card-value${options.valueClass ? ` ${options.valueClass}` : ''}`,
        ...options.valueAttributes,
      },
      value,
    ),
    options.detail ? h('div', { class: 'card-detail' }, options.detail) : null,
  );
}

/** A page's empty state: what is missing and what to do next. */
export function emptyState(title: string, ...body: Array<Child | Child[]>): HTMLElement {
  return h('div', { class: 'empty' }, h('h3', {}, title), ...body);
}

/** A block of code a user can copy. */
export function code(text: string): HTMLElement {
  return h('pre', { class: 'code' }, h('code', {}, text));
}

export function errorBox(error: unknown): HTMLElement {
  return h('div', { class: 'error', role: 'alert' }, error instanceof Error ? error.message : String(error));
}

/** A horizontal bar for a value in [-1, 1] (negative bars grow left from the middle). */
export function bar(fraction: number, kind: 'plain' | 'diverging' = 'plain'): HTMLElement {
  const f = Math.max(-1, Math.min(1, Number.isFinite(fraction) ? fraction : 0));
  if (kind === 'plain') {
    return h(
      'span',
      { class: 'bar' },
      h('span', { class: 'fill', style: `width:${(Math.abs(f) * 100).toFixed(1)}%` }),
    );
  }
  const width = `${(Math.abs(f) * 50).toFixed(1)}%`;
  const style = f >= 0 ? `left:50%;width:${width}` : `right:50%;width:${width}`;
  return h('span', { class: 'bar diverging' }, h('span', { class: f >= 0 ? 'fill pos' : 'fill neg', style }));
}

/** A modal question; resolves true when the person confirms. */
export function confirmDialog(title: string, message: string, action: string): Promise<boolean> {
  return new Promise((resolve) => {
    const dialog = h(
      'dialog',
      { class: 'confirm', 'aria-labelledby': 'confirm-title' },
      h('h3', { id: 'confirm-title' }, title),
      h('p', {}, message),
    );
    const close = (answer: boolean) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    dialog.append(
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', class: 'secondary', onclick: () => close(false) }, 'Cancel'),
        h(
          'button',
          { type: 'button', class: 'primary', 'data-confirm': true, onclick: () => close(true) },
          action,
        ),
      ),
    );
    dialog.addEventListener('cancel', () => close(false));
    document.body.append(dialog);
    dialog.showModal();
  });
}
