import { randomUUID } from 'node:crypto';
import { DeleteObjectsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { BenchContext } from './context';
import { pdf, putObject } from './ops';
import { mbPerSecond, pool, roundOrder } from './stats';
import type { ThroughputResult } from './throughput';

export type MultipartContender = 'multipart_flow' | 'raw_put';

/**
 * One big file through the multipart routes over the HTTP API, as a client does it: uploadFile
 * (multipart), part URLs, the parts PUT `partConcurrency` at a time, save (which completes the
 * upload where it is). Answers the saved object's key.
 */
async function multipartFlow(context: BenchContext, bytes: Buffer, partConcurrency: number): Promise<string> {
  const headers = { authorization: `Bearer ${context.token}`, 'content-type': 'application/json' };
  const call = async <T>(path: string, body: unknown, status: number): Promise<T> => {
    const response = await fetch(`${context.stack.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
    if (response.status !== status) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  const ticket = await call<{ upload_id: string; part_size: number; s3ref: { key: string } }>(
    '/v2/files/upload',
    { filename: 'bench.pdf', mime_type: pdf, size_bytes: bytes.length, upload_method: 'multipart' },
    201,
  );
  const count = Math.ceil(bytes.length / ticket.part_size);
  const numbers = Array.from({ length: count }, (_, index) => index + 1);
  const { parts } = await call<{ parts: Array<{ part_number: number; url: string }> }>(
    `/v1/files/upload/${ticket.upload_id}/parts`,
    { part_numbers: numbers },
    200,
  );
  await pool(parts, partConcurrency, async ({ part_number, url }) => {
    const start = (part_number - 1) * ticket.part_size;
    const response = await fetch(url, { method: 'PUT', body: bytes.subarray(start, start + ticket.part_size) });
    if (response.status !== 200) throw new Error(`part ${part_number}: ${response.status} ${await response.text()}`);
    await response.arrayBuffer();
  });
  const saved = await call<{ s3ref: { key: string } }>('/v2/files', { s3ref: ticket.s3ref }, 201);
  return saved.s3ref.key;
}

/**
 * `multipart_flow_vs_raw_put_64m`: `files` files of `bytes` through the multipart flow and
 * as plain presigned PUTs (one PUT each, signed like the service signs them), one file at a
 * time, contenders alternating over `rounds`. Presigning the raw PUTs and deleting what each
 * round left are not timed.
 */
export async function measureMultipart(
  context: BenchContext,
  options: { bytes: Buffer; files: number; rounds: number; partConcurrency: number },
): Promise<Record<MultipartContender, ThroughputResult>> {
  const contenders: MultipartContender[] = ['multipart_flow', 'raw_put'];
  const totals: Record<MultipartContender, { files: number; ms: number }> = { multipart_flow: { files: 0, ms: 0 }, raw_put: { files: 0, ms: 0 } };
  const perRound = Math.max(1, Math.round(options.files / options.rounds));
  for (let round = 0; round < options.rounds; round += 1) {
    for (const contender of roundOrder(contenders, round)) {
      const keys: string[] = [];
      let ms = 0;
      for (let file = 0; file < perRound; file += 1) {
        const rawKey = `temp/bench-raw/${randomUUID()}/bench.pdf`;
        const url =
          contender === 'raw_put'
            ? await getSignedUrl(context.s3, new PutObjectCommand({ Bucket: context.stack.bucket, Key: rawKey, ContentType: pdf }), {
                expiresIn: 900,
                signableHeaders: new Set(['content-type']),
              })
            : '';
        const started = performance.now();
        if (contender === 'raw_put') await putObject(url, options.bytes, pdf);
        keys.push(contender === 'raw_put' ? rawKey : await multipartFlow(context, options.bytes, options.partConcurrency));
        ms += performance.now() - started;
      }
      totals[contender].files += perRound;
      totals[contender].ms += ms;
      await context.s3.send(
        new DeleteObjectsCommand({ Bucket: context.stack.bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }),
      );
    }
  }
  const result = (contender: MultipartContender): ThroughputResult => {
    const { files, ms } = totals[contender];
    const bytes = files * options.bytes.length;
    return { files, bytes, ms, mb_per_s: mbPerSecond(bytes, ms) };
  };
  return { multipart_flow: result('multipart_flow'), raw_put: result('raw_put') };
}
