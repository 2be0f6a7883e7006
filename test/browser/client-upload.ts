import { createFileServiceClient } from '../../client';
import type { ClientRun, ClientRunResult } from './client-run';

/*
 * Runs in the browser: the typed client uploads a generated File in parts (XMLHttpRequest
 * progress), is aborted midway, and uploads it again, resuming from localStorage.
 */

/** The same bytes as `patternBytes` in the test. */
function pattern(size: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(new ArrayBuffer(size));
  for (let i = 0; i < size; i += 1) bytes[i] = (i * 31 + (i >>> 12)) & 255;
  return bytes;
}

async function uploadWithClient(run: ClientRun): Promise<ClientRunResult> {
  const files = createFileServiceClient({ baseUrl: run.api, token: async () => run.token });
  const file = new File([pattern(run.size)], 'page.bin', { type: 'application/octet-stream', lastModified: 1_700_000_000_000 });
  const controller = new AbortController();
  const firstEvents: number[] = [];
  const firstAttempt = await files
    .uploadFile(file, {
      multipartThresholdBytes: run.thresholdBytes,
      concurrency: 1,
      signal: controller.signal,
      onProgress: ({ loaded }) => {
        firstEvents.push(loaded);
        if (loaded >= run.abortAtBytes) controller.abort();
      },
    })
    .then(() => 'finished', (error: Error) => error.name);
  const rememberedUploads = Object.keys(localStorage).filter((key) => key.startsWith('file-service-upload')).length;
  const secondEvents: number[] = [];
  const saved = await files.uploadFile(file, { multipartThresholdBytes: run.thresholdBytes, onProgress: ({ loaded }) => secondEvents.push(loaded) });
  return { id: saved._id, size_bytes: saved.size_bytes, firstAttempt, firstEvents, secondEvents, rememberedUploads };
}

(globalThis as unknown as { uploadWithClient: typeof uploadWithClient }).uploadWithClient = uploadWithClient;
