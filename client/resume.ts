import { browserLocalStorage, requireNode, type KeyValueStorage } from './platform';

/** What a multipart upload needs to be taken up again: the service's answer to uploadFile. */
export interface ResumeEntry {
  upload_id: string;
  s3ref: { bucket: string; key: string };
  part_size: number;
  size_bytes: number;
  created_at: string;
}

/** Where unfinished multipart uploads are remembered, keyed by the source's fingerprint. */
export interface ResumeStore {
  get(key: string): ResumeEntry | undefined | Promise<ResumeEntry | undefined>;
  set(key: string, entry: ResumeEntry): void | Promise<void>;
  delete(key: string): void | Promise<void>;
}

/**
 * The key of a source: the service, the file a version is added to, and what identifies the
 * content (name, size, last modification or a sample of the bytes).
 */
export function fingerprint(parts: { baseUrl: string; identity: string; size: number; filename?: string; fileEntityId?: string }): string {
  return ['file-service-upload', parts.baseUrl.replace(/\/+$/, ''), parts.fileEntityId ?? '', parts.filename ?? '', parts.size, parts.identity].join('|');
}

/** In memory: survives an abort, not a restart. */
export function memoryResumeStore(): ResumeStore {
  const entries = new Map<string, ResumeEntry>();
  return {
    get: (key) => entries.get(key),
    set: (key, entry) => void entries.set(key, entry),
    delete: (key) => void entries.delete(key),
  };
}

const dayMs = 24 * 60 * 60 * 1000;

/** S3 aborts an unfinished multipart upload after a day (the bucket's lifecycle rule). */
function isFresh(entry: ResumeEntry): boolean {
  return Date.now() - Date.parse(entry.created_at) < dayMs;
}

/** In Web Storage (a browser's localStorage by default): survives a reload. Entries older than a day are dropped. */
export function webStorageResumeStore(storage: KeyValueStorage): ResumeStore {
  return {
    get(key) {
      const text = storage.getItem(key);
      if (!text) return undefined;
      try {
        const entry = JSON.parse(text) as ResumeEntry;
        if (isFresh(entry)) return entry;
      } catch {
        // damaged: dropped below
      }
      storage.removeItem(key);
      return undefined;
    },
    set: (key, entry) => storage.setItem(key, JSON.stringify(entry)),
    delete: (key) => storage.removeItem(key),
  };
}

/** One JSON file of entries (Node): survives a restart. Entries older than a day are dropped. */
export function fileResumeStore(path: string): ResumeStore {
  const fs = requireNode<{
    readFile(path: string, encoding: 'utf8'): Promise<string>;
    writeFile(path: string, data: string): Promise<void>;
    rename(from: string, to: string): Promise<void>;
    mkdir(path: string, options: { recursive: true }): Promise<unknown>;
  }>('node:fs/promises');
  const paths = requireNode<{ dirname(path: string): string }>('node:path');
  let queue: Promise<unknown> = Promise.resolve();

  async function load(): Promise<Record<string, ResumeEntry>> {
    try {
      const entries = JSON.parse(await fs.readFile(path, 'utf8')) as Record<string, ResumeEntry>;
      return Object.fromEntries(Object.entries(entries).filter(([, entry]) => isFresh(entry)));
    } catch {
      return {};
    }
  }
  function update(change: (entries: Record<string, ResumeEntry>) => void): Promise<void> {
    const next = queue.then(async () => {
      const entries = await load();
      change(entries);
      await fs.mkdir(paths.dirname(path), { recursive: true });
      const temporary = `${path}.${Math.random().toString(36).slice(2)}.tmp`;
      await fs.writeFile(temporary, JSON.stringify(entries, null, 2));
      await fs.rename(temporary, path);
    });
    queue = next.catch(() => undefined);
    return next;
  }
  return {
    get: async (key) => (await load())[key],
    set: (key, entry) => update((entries) => void (entries[key] = entry)),
    delete: (key) => update((entries) => void delete entries[key]),
  };
}

let sharedMemory: ResumeStore | undefined;

/** localStorage in a browser, else one in-memory store shared by the process's clients. */
export function defaultResumeStore(): ResumeStore {
  const storage = 'document' in globalThis ? browserLocalStorage() : undefined;
  if (storage) return webStorageResumeStore(storage);
  sharedMemory ??= memoryResumeStore();
  return sharedMemory;
}
