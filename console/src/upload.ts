import { createFileServiceClient, defaultResumeStore, type ResumeEntry, type ResumeStore } from '../../client';
import type { ApiSession, FileEntity } from './api';
import { request } from './api';

export interface UploadOptions {
  /** Upload a new version of this file. */
  fileEntityId?: string;
  onProgress?(progress: { loaded: number; total: number }): void;
  signal?: AbortSignal;
  multipartThresholdBytes?: number;
}

/** One file's upload: calling `upload` again after an abort resumes it; `discard` gives it up. */
export interface Upload {
  /** Uploads and saves the file: the saved File entity. Aborting `signal` rejects with an AbortError. */
  upload(options: UploadOptions): Promise<FileEntity>;
  /** Aborts the unfinished multipart upload in storage and forgets it, so nothing is resumed. */
  discard(): Promise<void>;
}

export type Uploader = (file: File) => Upload;

/**
 * Uploads with the service's client: one PUT, or above the threshold resumable parts that
 * localStorage remembers, so the same file picked again (even after a reload) sends only the
 * parts storage lacks.
 */
export function createUploader(session: ApiSession): Uploader {
  const client = createFileServiceClient({ baseUrl: session.apiUrl, token: session.token });
  const shared = defaultResumeStore();
  return (file) => {
    let remembered: { key: string; entry: ResumeEntry } | undefined;
    // The same store, noting which unfinished upload is this file's.
    const store: ResumeStore = {
      async get(key) {
        const entry = await shared.get(key);
        if (entry) remembered = { key, entry };
        return entry;
      },
      async set(key, entry) {
        remembered = { key, entry };
        await shared.set(key, entry);
      },
      async delete(key) {
        if (remembered?.key === key) remembered = undefined;
        await shared.delete(key);
      },
    };
    return {
      upload: (options) => client.uploadFile(file, { ...options, resumeStore: store }) as Promise<FileEntity>,
      async discard() {
        if (!remembered) return;
        const { key, entry } = remembered;
        remembered = undefined;
        await shared.delete(key);
        await request(session, 'DELETE', `/v1/files/upload/${encodeURIComponent(entry.upload_id)}`).catch(() => undefined);
      },
    };
  };
}
