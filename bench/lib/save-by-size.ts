import http from 'node:http';
import type { BenchContext } from './context';
import { apiEvent, invoke } from './events';
import { pdf, pdfBytes, type TicketBody } from './ops';

const MiB = 1024 * 1024;

/**
 * Sizes a save is timed at. The stack's default threshold (256 MiB) puts 8 MiB on one
 * CopyObject and the two larger ones on parallel UploadPartCopy.
 */
export const saveSizes = [
  { label: '8m', size: 8 * MiB },
  { label: '256m', size: 256 * MiB },
  { label: '1g', size: 1024 * MiB },
] as const;

export type SaveSizeLabel = (typeof saveSizes)[number]['label'];

export interface SaveBySizeSamples {
  /** Wall ms of the save handler, in-process, per size. */
  samples: Record<SaveSizeLabel, number[]>;
  /** Why a size has fewer samples than asked, when it does. */
  errors: Partial<Record<SaveSizeLabel, string>>;
}

/**
 * Uploads a PDF of each size (streamed from one repeated 1 MiB block, so a GiB never sits in
 * memory), times its save, then deletes the file untimed so the disk holds one at a time.
 */
export async function measureSaveBySize(context: BenchContext, options: { samples: Record<SaveSizeLabel, number> }): Promise<SaveBySizeSamples> {
  const result: SaveBySizeSamples = { samples: { '8m': [], '256m': [], '1g': [] }, errors: {} };
  const block = pdfBytes(MiB);
  for (const { label, size } of saveSizes) {
    try {
      for (let i = 0; i < options.samples[label]; i += 1) {
        const ticket = await invoke<TicketBody>(
          context.handlers['upload-file'],
          apiEvent({ method: 'POST', route: '/v2/files/upload', body: { filename: `bench-${label}.pdf`, mime_type: pdf }, claims: context.claims }),
          [201],
        );
        await putRepeated(ticket.upload_url, block, size, pdf);
        const started = performance.now();
        const entity = await invoke<{ _id: string }>(
          context.handlers['save-file'],
          apiEvent({ method: 'POST', route: '/v2/files', body: { s3ref: ticket.s3ref }, claims: context.claims }),
          [201],
        );
        result.samples[label].push(performance.now() - started);
        await invoke(
          context.handlers['delete-file'],
          apiEvent({ method: 'DELETE', route: '/v2/files/{id}', pathParameters: { id: entity._id }, claims: context.claims }),
          [200],
        );
      }
    } catch (error) {
      result.errors[label] = error instanceof Error ? error.message : String(error);
    }
  }
  return result;
}

/** A PUT of `size` bytes, `block` over and over, with its Content-Length as S3 requires. */
function putRepeated(url: string, block: Buffer, size: number, contentType: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'PUT', headers: { 'content-type': contentType, 'content-length': String(size) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        response.statusCode === 200 ? resolve() : reject(new Error(`PUT to S3: ${response.statusCode} ${Buffer.concat(chunks).toString().slice(0, 300)}`)),
      );
    });
    request.on('error', reject);
    let written = 0;
    const writeMore = (): void => {
      while (written < size) {
        const chunk = block.subarray(0, Math.min(block.length, size - written));
        written += chunk.length;
        if (!request.write(chunk)) return void request.once('drain', writeMore);
      }
      request.end();
    };
    writeMore();
  });
}
