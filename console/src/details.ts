import { messageOf, request, requestJson, tokenOrg, type FileEntity, type FileVersion, type Page, type PublicLink } from './api';
import type { App } from './app';
import { formatBytes, formatDate, h, replaceChildren } from './dom';

/** One file: its metadata, versions, downloads, public links and delete. */
export class FileDetails {
  readonly element = h('section', { class: 'card details', 'aria-labelledby': 'details-title', hidden: true });
  private current?: string;
  private readonly dialog = h('dialog', { class: 'confirm', 'aria-labelledby': 'confirm-title' });

  constructor(private readonly app: App) {
    document.body.append(this.dialog);
  }

  hide(): void {
    this.current = undefined;
    this.element.hidden = true;
    replaceChildren(this.element);
  }

  show(id: string): void {
    this.current = id;
    this.element.hidden = false;
    replaceChildren(this.element, h('h2', { id: 'details-title', tabindex: '-1' }, 'Loading file…'));
    void this.load(id, true);
  }

  private async load(id: string, focus: boolean): Promise<void> {
    const session = this.app.session;
    const path = `/v2/files/${encodeURIComponent(id)}`;
    try {
      const [file, versions, links] = await Promise.all([
        requestJson<FileEntity>(session, 'GET', path),
        requestJson<Page<FileVersion>>(session, 'GET', `/v1/files/${encodeURIComponent(id)}/versions`, { query: { limit: 100 } }),
        // Another org's file shared with you shows without its links, which only its org manages.
        requestJson<Page<PublicLink>>(session, 'GET', `/v1/files/${encodeURIComponent(id)}/public/links`).catch((error: unknown) => messageOf(error)),
      ]);
      if (this.current !== id) return;
      this.render(file, versions, links);
    } catch (error) {
      if (this.current !== id) return;
      replaceChildren(this.element, h('h2', { id: 'details-title', tabindex: '-1' }, 'File not available'), h('p', {}, messageOf(error)), this.closeButton());
    }
    if (focus) this.element.querySelector<HTMLElement>('#details-title')?.focus();
  }

  private closeButton(): HTMLButtonElement {
    return h('button', { type: 'button', class: 'close', onclick: () => this.app.closeFile() }, 'Close details');
  }

  private render(file: FileEntity, versions: Page<FileVersion>, links: Page<PublicLink> | string): void {
    const name = file.filename;
    const meta: [string, string | undefined][] = [
      ['Title', file._title === file.filename ? undefined : file._title],
      ['Type', file.type],
      ['MIME type', file.mime_type],
      ['Size', file.size_bytes === undefined ? undefined : `${file.readable_size ?? formatBytes(file.size_bytes)} (${file.size_bytes} bytes)`],
      ['Created', formatDate(file._created_at)],
      ['Updated', formatDate(file._updated_at)],
      ['Access', file.access_control === 'public-read' ? 'Public (anyone with the public URL)' : 'Private'],
      ['Tags', file._tags?.join(', ')],
      ['ID', file._id],
    ];
    // Another org's file, shared with the caller's org: view and download only.
    const ownOrg = tokenOrg(this.app.session.token);
    const shared = ownOrg !== undefined && file._org !== undefined && file._org !== ownOrg;
    const versionPicker = h('input', { type: 'file', class: 'visually-hidden', tabindex: '-1', 'aria-hidden': 'true' });
    versionPicker.addEventListener('change', () => {
      const picked = versionPicker.files?.[0];
      versionPicker.value = '';
      if (picked) void this.uploadVersion(file, picked);
    });
    replaceChildren(
      this.element,
      h('div', { class: 'details-head' }, h('h2', { id: 'details-title', tabindex: '-1' }, name), this.closeButton()),
      h('div', { class: 'preview' }, this.app.thumbnails.element(file, 240, 'large-thumb')),
      h('dl', { class: 'meta' }, meta.filter(([, value]) => value).flatMap(([term, value]) => [h('dt', {}, term), h('dd', {}, value)])),
      h(
        'div',
        { class: 'actions' },
        h('button', { type: 'button', class: 'primary', onclick: () => void this.download(file, 0) }, 'Download'),
        !shared && h('button', { type: 'button', onclick: () => versionPicker.click() }, 'Upload a new version'),
        !shared && versionPicker,
        !shared && h('button', { type: 'button', class: 'danger', onclick: () => this.confirmDelete(file) }, 'Delete file'),
      ),
      shared && h('p', { class: 'help' }, `Shared with you by the org ${file._org}: you can view and download it; changes stay with that org.`),
      h('h3', { id: 'versions-title' }, `Versions (${versions.results.length}${versions.next_cursor ? '+' : ''})`),
      h(
        'table',
        { class: 'versions', 'aria-labelledby': 'versions-title' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Version'), h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Size'), h('th', { scope: 'col' }, 'Saved'), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
        h(
          'tbody',
          {},
          versions.results.map((version, index) => {
            const number = versions.results.length - index;
            return h(
              'tr',
              {},
              h('td', {}, index === 0 ? `${number} (latest)` : `${number}`),
              h('td', {}, version.filename ?? ''),
              h('td', {}, version.readable_size ?? (version.size_bytes === undefined ? '' : formatBytes(version.size_bytes))),
              h('td', {}, formatDate(version.created_at)),
              h('td', {}, h('button', { type: 'button', 'aria-label': `Download version ${number}`, onclick: () => void this.download(file, version.version) }, 'Download')),
            );
          }),
        ),
      ),
      !shared && this.accessSection(file),
      !shared && this.linksSection(file, links),
    );
  }

  private linksSection(file: FileEntity, page: Page<PublicLink> | string): HTMLElement {
    if (typeof page === 'string') return h('div', { class: 'links-section' }, h('h3', {}, 'Public links'), h('p', { class: 'empty' }, `Public links are not available: ${page}`));
    const links = page.results;
    const expires = h('input', { id: 'link-expires', type: 'date', 'aria-describedby': 'link-expires-help' });
    const form = h(
      'form',
      { class: 'link-form', onsubmit: (event: Event) => { event.preventDefault(); void this.createLink(file, expires.value); } },
      h('div', { class: 'field' }, h('label', { for: 'link-expires' }, 'Link expires on (optional)'), expires),
      h('p', { id: 'link-expires-help', class: 'help' }, 'Anyone with a public link downloads the latest version, without signing in, until it expires or is revoked.'),
      h('button', { type: 'submit' }, 'Create public link'),
    );
    const list = links.length === 0
      ? h('p', { class: 'empty' }, 'No public links.')
      : h(
          'ul',
          { class: 'links', 'aria-label': 'Public links' },
          links.map((link, index) => {
            const number = index + 1;
            return h(
              'li',
              {},
              h('input', { type: 'text', readonly: true, value: link.link, 'aria-label': `Public link ${number}` }),
              h('span', { class: 'help' }, [link.expires_at ? `Expires ${formatDate(link.expires_at)}` : 'Never expires', link.last_accessed_at ? ` · last opened ${formatDate(link.last_accessed_at)}` : ' · never opened'].join('')),
              h('button', { type: 'button', 'aria-label': `Copy public link ${number}`, onclick: (event: Event) => void this.copy(link.link, event) }, 'Copy'),
              h('button', { type: 'button', 'aria-label': `Revoke public link ${number}`, class: 'danger', onclick: () => void this.revokeLink(file, link) }, 'Revoke'),
            );
          }),
        );
    return h('div', { class: 'links-section' }, h('h3', {}, 'Public links'), list, form);
  }

  private async download(file: FileEntity, version: number): Promise<void> {
    try {
      const { download_url } = await requestJson<{ download_url: string }>(this.app.session, 'GET', `/v1/files/${encodeURIComponent(file._id)}/download`, { query: { version } });
      // The presigned URL answers as an attachment: the browser saves it and the console stays.
      const anchor = h('a', { href: download_url, rel: 'noopener', hidden: true });
      document.body.append(anchor);
      anchor.click();
      anchor.remove();
      this.app.announce(`Downloading ${file.filename}`);
    } catch (error) {
      this.app.showError(`Download failed: ${messageOf(error)}`);
    }
  }

  private async uploadVersion(file: FileEntity, picked: File): Promise<void> {
    this.app.announce(`Uploading a new version of ${file.filename}`);
    try {
      await this.app.upload(picked).upload({ fileEntityId: file._id, multipartThresholdBytes: this.app.config.multipartThresholdBytes });
      this.app.announce(`Saved a new version of ${file.filename}`);
      this.app.refreshFiles();
      if (this.current === file._id) await this.load(file._id, false);
    } catch (error) {
      this.app.showError(`The new version was not saved: ${messageOf(error)}`);
    }
  }

  /** `access_control`: a public file's `public_url` downloads its latest version for anyone. */
  private accessSection(file: FileEntity): HTMLElement {
    const isPublic = file.access_control === 'public-read';
    return h(
      'div',
      { class: 'access-section' },
      h('h3', {}, 'Public access'),
      isPublic && file.public_url
        ? h(
            'div',
            { class: 'public-url' },
            h('input', { type: 'text', readonly: true, value: file.public_url, 'aria-label': 'Public URL' }),
            h('button', { type: 'button', onclick: (event: Event) => void this.copy(file.public_url ?? '', event) }, 'Copy public URL'),
          )
        : h('p', { class: 'help' }, 'Private: only your org sees it, and whoever has one of its public links.'),
      h('button', { type: 'button', onclick: () => void this.setAccess(file, isPublic ? 'private' : 'public-read') }, isPublic ? 'Make private' : 'Make public'),
    );
  }

  private async setAccess(file: FileEntity, access: 'private' | 'public-read'): Promise<void> {
    try {
      await requestJson<FileEntity>(this.app.session, 'PATCH', `/v2/files/${encodeURIComponent(file._id)}`, { body: { access_control: access } });
      this.app.announce(access === 'public-read' ? `${file.filename} is public` : `${file.filename} is private`);
      await this.load(file._id, false);
      this.element.querySelector<HTMLButtonElement>('.access-section > button')?.focus();
      this.app.refreshFiles();
    } catch (error) {
      this.app.showError(`Access was not changed: ${messageOf(error)}`);
    }
  }

  private async createLink(file: FileEntity, expiresOn: string): Promise<void> {
    try {
      const body = expiresOn ? { expires_at: new Date(`${expiresOn}T23:59:59`).toISOString() } : undefined;
      await requestJson<string>(this.app.session, 'POST', `/v1/files/${encodeURIComponent(file._id)}/public/links`, { body: body ?? {} });
      this.app.announce('Public link created');
      await this.load(file._id, false);
    } catch (error) {
      this.app.showError(`The public link was not created: ${messageOf(error)}`);
    }
  }

  private async revokeLink(file: FileEntity, link: PublicLink): Promise<void> {
    try {
      await request(this.app.session, 'DELETE', `/v1/files/public/links/${encodeURIComponent(link.id)}`);
      this.app.announce('Public link revoked');
      await this.load(file._id, false);
      this.element.querySelector<HTMLElement>('.link-form button')?.focus();
    } catch (error) {
      this.app.showError(`The public link was not revoked: ${messageOf(error)}`);
    }
  }

  private async copy(text: string, event: Event): Promise<void> {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // No clipboard permission: select the link so that Ctrl+C copies it.
      const input = (event.target as HTMLElement).parentElement?.querySelector('input');
      input?.select();
      this.app.announce('The link is selected: press Ctrl+C (⌘C) to copy it');
      return;
    }
    this.app.announce('Link copied to the clipboard');
  }

  private confirmDelete(file: FileEntity): void {
    const cancel = h('button', { type: 'button', class: 'primary', onclick: () => this.dialog.close('cancel') }, 'Cancel');
    const confirm = h('button', { type: 'button', class: 'danger', onclick: () => this.dialog.close('delete') }, 'Delete');
    replaceChildren(
      this.dialog,
      h('h2', { id: 'confirm-title' }, `Delete ${file.filename}?`),
      h('p', {}, 'This removes the file, every version and every public link. It cannot be undone.'),
      h('div', { class: 'actions' }, cancel, confirm),
    );
    this.dialog.returnValue = '';
    this.dialog.onclose = () => {
      if (this.dialog.returnValue === 'delete') void this.delete(file);
      else this.element.querySelector<HTMLButtonElement>('button.danger')?.focus();
    };
    this.dialog.showModal();
    cancel.focus();
  }

  private async delete(file: FileEntity): Promise<void> {
    try {
      await request(this.app.session, 'DELETE', `/v2/files/${encodeURIComponent(file._id)}`);
      this.app.announce(`Deleted ${file.filename}`);
      this.app.closeFile();
      this.app.refreshFiles();
    } catch (error) {
      this.app.showError(`The file was not deleted: ${messageOf(error)}`);
    }
  }
}
