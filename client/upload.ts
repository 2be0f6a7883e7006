import { abortError, FileServiceError, isAbortError, throwIfAborted } from './errors';
import { defaultResumeStore, fingerprint, type ResumeStore } from './resume';
import { openSource, type SourceReader, type UploadSource } from './sources';
import { putBody } from './transport';
import type { RequestOptions } from './index';
import type { components } from './schema';

export interface UploadProgress {
  /** Bytes S3 holds or has received so far, parts held from an earlier attempt included. */
  loaded: number;
  total: number;
}

export interface UploadOptions {
  /** Default: the File's or path's name. */
  filename?: string;
  /** Default: the Blob's type; none lets the service type the file from its bytes and name. */
  mimeType?: string;
  /** Upload a new version of this file. */
  fileEntityId?: string;
  /** Further fields of the save body: `_tags`, `relations`, `access_control`, `_title`, ... */
  fields?: Record<string, unknown>;
  onProgress?(progress: UploadProgress): void;
  /** Aborts the requests in flight; the upload rejects with an AbortError and stays resumable. */
  signal?: AbortSignal;
  /** Above this many bytes the file goes up in parts (default 16 MiB; at least 5 MiB). */
  multipartThresholdBytes?: number;
  /** Where unfinished multipart uploads are remembered (default localStorage in a browser, memory in Node). */
  resumeStore?: ResumeStore;
  /** Parts in flight at once (default 4). */
  concurrency?: number;
}

/** A File entity as the service answers it (the OpenAPI document's `FileEntity`). */
export type FileEntity = components['schemas']['FileEntity'];

export const DEFAULT_MULTIPART_THRESHOLD_BYTES = 16 * 1024 * 1024;
const MIN_THRESHOLD_BYTES = 5 * 1024 * 1024;

interface Service {
  baseUrl: string;
  request<T>(method: string, path: string, options?: RequestOptions): Promise<T>;
}

type SingleTicket = components['schemas']['SingleUploadTicket'];
type MultipartTicket = components['schemas']['MultipartUploadTicket'];
type HeldParts = components['schemas']['UploadParts'];
type PartUrls = components['schemas']['UploadPartUrls'];

export async function uploadFile(service: Service, source: UploadSource, options: UploadOptions): Promise<FileEntity> {
  throwIfAborted(options.signal);
  const reader = await openSource(source);
  try {
    const filename = options.filename ?? reader.name;
    if (!filename) throw new TypeError('uploadFile needs options.filename for bytes or a Blob without a name');
    const mimeType = options.mimeType ?? reader.type;
    const threshold = Math.max(options.multipartThresholdBytes ?? DEFAULT_MULTIPART_THRESHOLD_BYTES, MIN_THRESHOLD_BYTES);
    const progress = progressReporter(reader.size, options.onProgress);
    const { s3ref, forget } = reader.size > threshold
      ? await uploadInParts(service, reader, { ...options, filename, mimeType }, progress)
      : { s3ref: await uploadInOnePut(service, reader, { ...options, filename, mimeType }, progress), forget: async () => undefined };
    throwIfAborted(options.signal);
    const saved = await service.request<FileEntity>('POST', '/v2/files', {
      body: { ...options.fields, s3ref, filename, ...(options.fileEntityId ? { _id: options.fileEntityId } : {}) },
      ...(options.signal ? { signal: options.signal } : {}),
    });
    await forget(); // kept until the save succeeds, so a refused save can be tried again
    return saved;
  } finally {
    await reader.close();
  }
}

type Named = UploadOptions & { filename: string; mimeType: string | undefined };

function uploadQuery(options: Named) {
  return options.fileEntityId ? { file_entity_id: options.fileEntityId } : {};
}

async function uploadInOnePut(service: Service, reader: SourceReader, options: Named, progress: Progress) {
  const ticket = await service.request<SingleTicket>('POST', '/v2/files/upload', {
    query: uploadQuery(options),
    body: { filename: options.filename, ...(options.mimeType ? { mime_type: options.mimeType } : {}), size_bytes: reader.size, upload_method: 'put' },
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const body = await reader.slice(0, reader.size);
  const answer = await putBody(ticket.upload_url, body, {
    headers: options.mimeType ? { 'content-type': options.mimeType } : {},
    onBytes: (sent) => progress.part(1, sent),
    signal: options.signal,
  });
  if (answer.status < 200 || answer.status >= 300) throw s3Error(answer.status, answer.text);
  return ticket.s3ref;
}

async function uploadInParts(service: Service, reader: SourceReader, options: Named, progress: Progress) {
  const store = options.resumeStore ?? defaultResumeStore();
  const key = fingerprint({ baseUrl: service.baseUrl, identity: reader.identity, size: reader.size, filename: options.filename, ...(options.fileEntityId ? { fileEntityId: options.fileEntityId } : {}) });
  const signal = options.signal ? { signal: options.signal } : {};

  let entry = await store.get(key);
  let held = new Set<number>();
  if (entry && entry.size_bytes === reader.size) {
    const found = await service.request<HeldParts>('GET', `/v1/files/upload/${encodeURIComponent(entry.upload_id)}/parts`, signal).catch((error: unknown) => {
      if (error instanceof FileServiceError && error.status === 404) return undefined; // gone: start afresh
      throw error;
    });
    if (found) {
      const sizeOf = partSizer(reader.size, entry.part_size);
      held = new Set(found.parts.filter((part) => part.size_bytes === sizeOf(part.part_number)).map((part) => part.part_number));
    } else {
      await store.delete(key);
      entry = undefined;
    }
  } else {
    entry = undefined;
  }
  if (!entry) {
    const ticket = await service.request<MultipartTicket>('POST', '/v2/files/upload', {
      query: uploadQuery(options),
      body: { filename: options.filename, ...(options.mimeType ? { mime_type: options.mimeType } : {}), size_bytes: reader.size, upload_method: 'multipart' },
      ...signal,
    });
    entry = { upload_id: ticket.upload_id, s3ref: ticket.s3ref, part_size: ticket.part_size, size_bytes: reader.size, created_at: new Date().toISOString() };
    await store.set(key, entry);
  }

  const { upload_id: uploadId, part_size: partSize } = entry;
  const count = Math.max(1, Math.ceil(reader.size / partSize));
  const sizeOf = partSizer(reader.size, partSize);
  for (const number of held) progress.part(number, sizeOf(number), number === Math.max(...held));
  const missing = Array.from({ length: count }, (_, index) => index + 1).filter((number) => !held.has(number));

  const partUrl = async (number: number) => {
    const answer = await service.request<PartUrls>('POST', `/v1/files/upload/${encodeURIComponent(uploadId)}/parts`, {
      body: { part_numbers: [number] },
      ...signal,
    });
    const url = answer.parts.find((part) => part.part_number === number)?.url;
    if (!url) throw new FileServiceError(500, `no URL for part ${number}`, answer);
    return url;
  };

  const sendPart = async (number: number) => {
    const start = (number - 1) * partSize;
    const bytes = await reader.slice(start, start + sizeOf(number));
    for (let attempt = 1; ; attempt += 1) {
      throwIfAborted(options.signal);
      const answer = await putBody(await partUrl(number), bytes, { headers: {}, onBytes: (sent) => progress.part(number, sent), signal: options.signal }).catch((error: unknown) => {
        if (isAbortError(error) || attempt >= 3) throw error;
        return undefined; // a broken connection: try again
      });
      if (answer && answer.status >= 200 && answer.status < 300) return;
      progress.part(number, 0);
      // 403: the URL expired (asked again next time round); 5xx: S3 is busy
      if (answer && answer.status !== 403 && answer.status < 500) throw s3Error(answer.status, answer.text);
      if (attempt >= 3) throw s3Error(answer?.status ?? 0, answer?.text ?? '');
    }
  };

  await runPool(missing, Math.max(1, options.concurrency ?? 4), sendPart);
  return { s3ref: entry.s3ref, forget: async () => store.delete(key) };
}

/** Runs `work` over the items, `size` at a time; on the first failure starts no more, waits for the rest, and throws it. */
async function runPool<T>(items: T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      const item = items[next] as T;
      next += 1;
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker));
  if (failure) throw isAbortError(failure.error) ? abortError() : failure.error;
}

function partSizer(size: number, partSize: number) {
  const count = Math.max(1, Math.ceil(size / partSize));
  return (number: number) => (number < count ? partSize : size - (count - 1) * partSize);
}

interface Progress {
  /** This part has `sent` of its bytes at S3 (or on their way); `report` false waits for more. */
  part(number: number, sent: number, report?: boolean): void;
}

function progressReporter(total: number, onProgress: UploadOptions['onProgress']): Progress {
  const sent = new Map<number, number>();
  let reported = -1;
  return {
    part(number, bytes, report = true) {
      sent.set(number, bytes);
      if (!onProgress || !report) return;
      let loaded = 0;
      for (const value of sent.values()) loaded += value;
      loaded = Math.min(loaded, total);
      if (loaded <= reported) return; // a part sent again does not take progress back
      reported = loaded;
      onProgress({ loaded, total });
    },
  };
}

function s3Error(status: number, text: string): FileServiceError {
  const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? (text || 'S3 refused the bytes');
  return new FileServiceError(status, message, text);
}
