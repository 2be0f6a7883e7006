import AwsS3 from '@uppy/aws-s3';
import Uppy from '@uppy/core';
import type { UppyRun } from './uppy-run';

/*
 * Runs in the browser: Uppy 6 with @uppy/aws-s3's `signRequest`, signed by the service's
 * `POST /v1/files/upload/sign`, uploads a generated file in parts. After `pauseAfterPart`
 * parts it pauses, waits, and resumes.
 */

/** The same bytes as `patternBytes` in the test. */
function pattern(size: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(new ArrayBuffer(size));
  for (let i = 0; i < size; i += 1) bytes[i] = (i * 31 + (i >>> 12)) & 255;
  return bytes;
}

async function uploadWithUppy(run: UppyRun): Promise<{ key: string; events: string[] }> {
  const uppy = new Uppy();
  uppy.use(AwsS3, {
    shouldUseMultipart: true,
    getChunkSize: () => run.partSize,
    // The service chooses the key; the browser's key only names the file.
    generateObjectKey: (file) => file.name ?? 'file',
    signRequest: async (request) => {
      const response = await fetch(`${run.api}/v1/files/upload/sign`, {
        method: 'POST',
        headers: { authorization: `Bearer ${run.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(request),
      });
      if (!response.ok) throw new Error(`signRequest: ${response.status} ${await response.text()}`);
      return response.json();
    },
  });
  const id = uppy.addFile({ name: 'clip.bin', type: 'application/octet-stream', data: new Blob([pattern(run.size)]) });
  const events: string[] = [];
  let paused = false;
  uppy.on('s3-multipart:part-uploaded', (_file, part) => {
    events.push(`part ${part.PartNumber}`);
    if (!paused && part.PartNumber === run.pauseAfterPart) {
      paused = true;
      uppy.pauseResume(id);
      events.push('paused');
      setTimeout(() => {
        events.push('resumed');
        uppy.pauseResume(id);
      }, 300);
    }
  });
  const key = new Promise<string>((resolve, reject) => {
    uppy.on('upload-success', (_file, response) => resolve(String((response?.body as { key?: string } | undefined)?.key)));
    uppy.on('upload-error', (_file, error) => reject(error));
  });
  void uppy.upload();
  return { key: await key, events };
}

(window as unknown as { uploadWithUppy: typeof uploadWithUppy }).uploadWithUppy = uploadWithUppy;
