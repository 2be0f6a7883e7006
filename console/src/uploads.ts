import { messageOf } from './api';
import type { App } from './app';
import { formatBytes, h, replaceChildren } from './dom';
import type { Upload } from './upload';

type State = 'queued' | 'uploading' | 'paused' | 'done' | 'failed' | 'cancelled';

interface Item {
  file: File;
  upload: Upload;
  state: State;
  loaded: number;
  controller?: AbortController;
  message?: string;
  row: HTMLLIElement;
}

const parallelUploads = 3;

/** The drop zone, the file picker and one row per upload with its progress, pause, resume and cancel. */
export class UploadPanel {
  readonly element: HTMLElement;
  private readonly list = h('ul', { class: 'uploads', 'aria-label': 'Uploads' });
  private readonly items: Item[] = [];

  constructor(private readonly app: App) {
    const picker = h('input', { type: 'file', multiple: true, class: 'visually-hidden', tabindex: '-1', 'aria-hidden': 'true' });
    picker.addEventListener('change', () => {
      this.add([...(picker.files ?? [])]);
      picker.value = '';
    });
    const zone = h(
      'div',
      { class: 'drop-zone', role: 'region', 'aria-label': 'Drop files here to upload' },
      h('p', {}, 'Drag and drop files here, or'),
      h('button', { type: 'button', class: 'primary', onclick: () => picker.click() }, 'Choose files to upload'),
      picker,
    );
    zone.addEventListener('dragover', (event) => {
      event.preventDefault();
      if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
      zone.classList.add('dragging');
    });
    zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
    zone.addEventListener('drop', (event) => {
      event.preventDefault();
      zone.classList.remove('dragging');
      this.add([...(event.dataTransfer?.files ?? [])]);
    });
    this.element = h('section', { class: 'card', 'aria-labelledby': 'upload-title' }, h('h2', { id: 'upload-title' }, 'Upload'), zone, this.list);
  }

  add(files: File[]): void {
    if (files.length === 0) return;
    for (const file of files) {
      const item: Item = { file, upload: this.app.upload(file), state: 'queued', loaded: 0, row: h('li') };
      this.items.push(item);
      this.list.prepend(item.row);
      this.render(item);
    }
    this.app.announce(`${files.length} ${files.length === 1 ? 'file' : 'files'} queued for upload`);
    this.next();
  }

  /** Starts queued uploads while fewer than `parallelUploads` run. */
  private next(): void {
    while (this.items.filter((item) => item.state === 'uploading').length < parallelUploads) {
      const item = this.items.find((candidate) => candidate.state === 'queued');
      if (!item) return;
      void this.run(item);
    }
  }

  private async run(item: Item): Promise<void> {
    const controller = new AbortController();
    item.controller = controller;
    item.state = 'uploading';
    item.message = undefined;
    this.render(item);
    try {
      await item.upload.upload({
        signal: controller.signal,
        multipartThresholdBytes: this.app.config.multipartThresholdBytes,
        onProgress: ({ loaded }) => {
          if (controller.signal.aborted) return;
          item.loaded = loaded;
          this.renderProgress(item);
        },
      });
      item.state = 'done';
      item.loaded = item.file.size;
      this.app.announce(`Uploaded ${item.file.name}`);
      this.app.refreshFiles();
    } catch (error) {
      // Pause and cancel abort on purpose and have already set the state.
      if (!controller.signal.aborted) {
        item.state = 'failed';
        item.message = messageOf(error);
        this.app.announce(`Upload of ${item.file.name} failed: ${item.message}`);
      }
    } finally {
      if (item.controller === controller) item.controller = undefined;
      this.render(item);
      this.next();
    }
  }

  private pause(item: Item): void {
    item.state = 'paused';
    item.controller?.abort();
    this.app.announce(`Paused ${item.file.name}`);
    this.render(item);
    this.focusAction(item, 'Resume');
  }

  /** Uploading the same File again resumes: the client sends only the parts storage lacks. */
  private resume(item: Item): void {
    item.state = 'queued';
    this.app.announce(`Resuming ${item.file.name}`);
    this.render(item);
    this.next();
    this.focusAction(item, 'Pause');
  }

  private cancel(item: Item): void {
    item.state = 'cancelled';
    item.controller?.abort();
    void item.upload.discard();
    this.app.announce(`Cancelled ${item.file.name}`);
    this.render(item);
  }

  private focusAction(item: Item, action: string): void {
    item.row.querySelector<HTMLButtonElement>(`button[data-action="${action}"]`)?.focus();
  }

  private render(item: Item): void {
    const name = item.file.name;
    const button = (action: string, onclick: () => void) =>
      h('button', { type: 'button', 'data-action': action, 'aria-label': `${action} ${name}`, onclick }, action);
    const actions: HTMLElement[] = [];
    if (item.state === 'uploading') actions.push(button('Pause', () => this.pause(item)));
    if (item.state === 'paused' || item.state === 'failed') actions.push(button(item.state === 'failed' ? 'Retry' : 'Resume', () => this.resume(item)));
    if (item.state === 'queued' || item.state === 'uploading' || item.state === 'paused' || item.state === 'failed') actions.push(button('Cancel', () => this.cancel(item)));
    replaceChildren(
      item.row,
      h('span', { class: 'upload-name' }, name),
      h('progress', { max: Math.max(item.file.size, 1), value: item.state === 'done' ? Math.max(item.file.size, 1) : item.loaded, 'aria-label': `Upload progress of ${name}` }),
      h('span', { class: `upload-state state-${item.state}` }, this.describe(item)),
      h('span', { class: 'upload-actions' }, actions),
    );
  }

  private renderProgress(item: Item): void {
    const progress = item.row.querySelector('progress');
    const state = item.row.querySelector('.upload-state');
    if (progress) progress.value = item.loaded;
    if (state) state.textContent = this.describe(item);
  }

  private describe(item: Item): string {
    const size = formatBytes(item.file.size);
    switch (item.state) {
      case 'queued':
        return `Waiting (${size})`;
      case 'uploading':
        return `${percent(item)} of ${size}`;
      case 'paused':
        return `Paused at ${percent(item)}`;
      case 'done':
        return `Uploaded (${size})`;
      case 'cancelled':
        return 'Cancelled';
      case 'failed':
        return `Failed: ${item.message ?? 'unknown error'}`;
    }
  }
}

function percent(item: Item): string {
  return `${item.file.size === 0 ? 100 : Math.floor((item.loaded / item.file.size) * 100)}%`;
}
