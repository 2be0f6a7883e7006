import type { ApiSession, FileEntity } from './api';
import { requestJson } from './api';

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

export function createUploader(session: ApiSession): Uploader {
  return (file) => ({ upload: (options) => uploadInOnePut(session, file, options), discard: async () => undefined });
}

async function uploadInOnePut(session: ApiSession, file: File, options: UploadOptions): Promise<FileEntity> {
  const query = { file_entity_id: options.fileEntityId };
  const body = { filename: file.name, mime_type: file.type, size_bytes: file.size, upload_method: 'put' };
  const upload = await requestJson<{ s3ref: { bucket: string; key: string }; upload_url: string }>(session, 'POST', '/v2/files/upload', { query, body });
  await put(upload.upload_url, file, options);
  return requestJson<FileEntity>(session, 'POST', '/v2/files', { body: { s3ref: upload.s3ref, filename: file.name, ...(options.fileEntityId ? { _id: options.fileEntityId } : {}) } });
}

function put(url: string, file: File, options: UploadOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    if (file.type) xhr.setRequestHeader('content-type', file.type);
    xhr.upload.onprogress = (event) => options.onProgress?.({ loaded: event.loaded, total: event.total || file.size });
    xhr.onload = () => (xhr.status < 300 ? resolve() : reject(new Error(`Storage refused the bytes (${xhr.status})`)));
    xhr.onerror = () => reject(new Error('The upload failed (network error)'));
    xhr.onabort = () => reject(new DOMException('The upload was aborted', 'AbortError'));
    options.signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(file);
  });
}
