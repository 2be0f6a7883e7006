import type { ApiSession, FileEntity } from './api';
import { request } from './api';
import { h } from './dom';

/**
 * Thumbnails fetched with the bearer token into blob URLs: works on the API's origin and
 * across origins alike, with no cookie. Cached per file version until sign-out.
 */
export class Thumbnails {
  private readonly cache = new Map<string, Promise<string | undefined>>();
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly session: ApiSession) {}

  static hasPreview(file: FileEntity): boolean {
    return file.type === 'image' || file.mime_type === 'application/pdf';
  }

  /** An `<img>` (or a placeholder for types without previews, or when the preview fails). */
  element(file: FileEntity, size: number, className: string): HTMLElement {
    const placeholder = h('span', { class: `${className} placeholder`, 'aria-hidden': 'true' }, label(file));
    if (!Thumbnails.hasPreview(file)) return placeholder;
    const image = h('img', { class: className, alt: `Thumbnail of ${file.filename}`, width: size, height: size, decoding: 'async' });
    const holder = h('span', { class: 'thumb-holder' }, placeholder);
    // Twice the size on screen: sharp on high-density displays.
    void this.url(file, size * 2).then((url) => {
      if (!url) return;
      image.src = url;
      holder.replaceChildren(image);
    });
    return holder;
  }

  url(file: FileEntity, size: number): Promise<string | undefined> {
    const key = `${file._id}:${file.versions?.[0]?.s3ref.key ?? file.s3ref?.key ?? ''}:${size}`;
    let cached = this.cache.get(key);
    if (!cached) {
      cached = this.limited(() => this.fetch(file._id, size));
      this.cache.set(key, cached);
      // A failed preview is asked for again next time.
      void cached.then((url) => url || this.cache.delete(key));
    }
    return cached;
  }

  clear(): void {
    for (const url of this.cache.values()) void url.then((value) => value && URL.revokeObjectURL(value));
    this.cache.clear();
  }

  private async fetch(id: string, size: number): Promise<string | undefined> {
    try {
      const response = await request(this.session, 'GET', `/v1/files/${encodeURIComponent(id)}/preview`, { query: { w: size, h: size } });
      return URL.createObjectURL(await response.blob());
    } catch {
      return undefined;
    }
  }

  /** At most four previews at a time, so a page of images does not queue up every other call. */
  private async limited<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= 4) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active += 1;
    try {
      return await task();
    } finally {
      this.active -= 1;
      this.waiting.shift()?.();
    }
  }
}

function label(file: FileEntity): string {
  const extension = file.filename.includes('.') ? file.filename.split('.').pop() ?? '' : '';
  return (extension || file.type || 'file').slice(0, 4).toUpperCase();
}
