import { messageOf, requestJson, type FileEntity, type Page } from './api';
import type { App } from './app';
import { formatBytes, formatDate, h, replaceChildren } from './dom';

const pageSize = 20;
const fileTypes = ['document', 'document_template', 'text', 'image', 'video', 'audio', 'spreadsheet', 'presentation', 'font', 'archive', 'application', 'unknown'];
const sorts: [string, string][] = [
  ['-created_at', 'Newest first'],
  ['created_at', 'Oldest first'],
  ['filename', 'Name'],
  ['-size_bytes', 'Largest first'],
];

/** `GET /v2/files`: search, filters, sort and paging with the API's cursors. */
export class FileList {
  readonly element: HTMLElement;
  private readonly form: HTMLFormElement;
  private readonly body = h('div', { class: 'file-results' });
  private readonly pager = h('nav', { class: 'pager', 'aria-label': 'Pages of files' });
  /** The cursor of every page shown so far; the last is the current page's. */
  private cursors: (string | undefined)[] = [undefined];
  private query: Record<string, string> = {};
  private loading = 0;

  constructor(private readonly app: App) {
    const field = (label: string, control: HTMLElement) => h('div', { class: 'field' }, h('label', { for: control.id }, label), control);
    const select = (id: string, options: [string, string][]) => h('select', { id, name: id }, options.map(([value, text]) => h('option', { value }, text)));
    this.form = h(
      'form',
      { class: 'filters', role: 'search', 'aria-label': 'Search and filter files', onsubmit: (event: Event) => this.submit(event) },
      field('Search', h('input', { id: 'q', name: 'q', type: 'search', placeholder: 'Name or title contains', maxlength: 256 })),
      field('Type', select('type', [['', 'Any type'], ...fileTypes.map((type): [string, string] => [type, type.replace('_', ' ')])])),
      field('Extension', h('input', { id: 'extension', name: 'extension', placeholder: 'pdf', size: 6, maxlength: 33 })),
      field('Tag', h('input', { id: 'tag', name: 'tag', size: 10 })),
      field('Access', select('access_control', [['', 'Any'], ['private', 'Private'], ['public-read', 'Public']])),
      field('Created from', h('input', { id: 'created_after', name: 'created_after', type: 'date' })),
      field('Created before', h('input', { id: 'created_before', name: 'created_before', type: 'date' })),
      field('Sort', select('sort', sorts)),
      h('div', { class: 'filter-buttons' }, h('button', { type: 'submit', class: 'primary' }, 'Apply filters'), h('button', { type: 'reset', onclick: () => setTimeout(() => this.form.requestSubmit()) }, 'Clear filters')),
      h(
        'details',
        { class: 'more-filters' },
        h('summary', {}, 'More filters'),
        h(
          'div',
          { class: 'filters-row' },
          field('MIME type', h('input', { id: 'mime_type', name: 'mime_type', placeholder: 'image/*', size: 14, maxlength: 255 })),
          field('Min size (KB)', h('input', { id: 'size_min', name: 'size_min', type: 'number', min: 0, step: 'any', size: 8 })),
          field('Max size (KB)', h('input', { id: 'size_max', name: 'size_max', type: 'number', min: 0, step: 'any', size: 8 })),
          field('Created by (user id)', h('input', { id: 'created_by', name: 'created_by', size: 12, maxlength: 256 })),
          field('Related to (entity id)', h('input', { id: 'relation', name: 'relation', size: 12 })),
          h('div', { class: 'field checkbox' }, h('input', { id: 'shared', name: 'shared', type: 'checkbox', value: 'true' }), h('label', { for: 'shared' }, 'Shared with me by other orgs')),
        ),
      ),
    );
    this.element = h('section', { class: 'card', 'aria-labelledby': 'files-title' }, h('h2', { id: 'files-title' }, 'Files'), this.form, this.body, this.pager);
  }

  reload(): void {
    void this.load();
  }

  private submit(event: Event): void {
    event.preventDefault();
    const data = new FormData(this.form);
    this.query = {};
    for (const [name, value] of data) if (typeof value === 'string' && value.trim() !== '') this.query[name] = value.trim();
    // Sizes are typed in KB (1,000 bytes, as the sizes shown); the API takes bytes.
    for (const name of ['size_min', 'size_max']) {
      const kilobytes = this.query[name];
      if (kilobytes !== undefined) this.query[name] = String(Math.round(Number(kilobytes) * 1000));
    }
    this.cursors = [undefined];
    void this.load();
  }

  private async load(): Promise<void> {
    const ticket = ++this.loading;
    this.body.setAttribute('aria-busy', 'true');
    try {
      const page = await requestJson<Page<FileEntity>>(this.app.session, 'GET', '/v2/files', {
        query: { ...this.query, limit: pageSize, cursor: this.cursors[this.cursors.length - 1] },
      });
      if (ticket !== this.loading) return;
      this.render(page);
    } catch (error) {
      if (ticket !== this.loading) return;
      this.app.showError(`Could not list files: ${messageOf(error)}`);
      replaceChildren(this.body, h('p', { class: 'empty' }, 'The files could not be listed.'));
    } finally {
      if (ticket === this.loading) this.body.removeAttribute('aria-busy');
    }
  }

  private render(page: Page<FileEntity>): void {
    const filtered = Object.keys(this.query).some((name) => name !== 'sort');
    if (page.results.length === 0) {
      replaceChildren(this.body, h('p', { class: 'empty' }, filtered ? 'No file matches these filters.' : 'No files yet. Upload one above.'));
    } else {
      replaceChildren(
        this.body,
        h(
          'table',
          { class: 'files' },
          h('caption', { class: 'visually-hidden' }, `Files, page ${this.cursors.length}`),
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Preview')), h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Type'), h('th', { scope: 'col' }, 'Size'), h('th', { scope: 'col' }, 'Created'))),
          h('tbody', {}, page.results.map((file) => this.row(file))),
        ),
      );
    }
    this.app.announce(`${page.results.length} ${page.results.length === 1 ? 'file' : 'files'} on page ${this.cursors.length}${page.next_cursor ? ', more on the next page' : ''}`);
    const previous = h('button', { type: 'button', disabled: this.cursors.length === 1, onclick: () => this.go(-1) }, 'Previous page');
    const next = h('button', { type: 'button', disabled: !page.next_cursor, onclick: () => this.go(1, page.next_cursor) }, 'Next page');
    replaceChildren(this.pager, previous, h('span', {}, `Page ${this.cursors.length}`), next);
  }

  private go(step: 1 | -1, cursor?: string): void {
    if (step === 1) this.cursors.push(cursor);
    else if (this.cursors.length > 1) this.cursors.pop();
    void this.load();
  }

  private row(file: FileEntity): HTMLTableRowElement {
    const open = h('a', { href: `#file=${file._id}` }, file.filename);
    return h(
      'tr',
      {},
      h('td', { class: 'thumb-cell' }, this.app.thumbnails.element(file, 48, 'thumb')),
      h('td', {}, open, file._title && file._title !== file.filename ? h('span', { class: 'subtitle' }, file._title) : null),
      h('td', {}, file.type ?? ''),
      h('td', {}, file.readable_size ?? (file.size_bytes === undefined ? '' : formatBytes(file.size_bytes))),
      h('td', {}, formatDate(file._created_at)),
    );
  }
}
