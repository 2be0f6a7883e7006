import { randomUUID } from 'node:crypto';
import { DeleteObjectsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { BenchContext } from './context';
import { pdf, putObject, type TicketBody } from './ops';
import { mbPerSecond, pool, roundOrder } from './stats';
import { tusUpload, type TusServer } from './tus';

export type Contender = 'flow' | 'raw_put' | 'tus';

export interface ThroughputResult {
  files: number;
  bytes: number;
  ms: number;
  mb_per_s: number;
}

/** Per-request latencies of the flow's three steps under the same load (ms). */
export interface FlowSteps {
  upload: number[];
  put: number[];
  save: number[];
}

/** The whole three-step flow through the HTTP API, as a client does it: upload URL, PUT, save. */
async function flow(baseUrl: string, token: string, bytes: Uint8Array, filename: string, steps: FlowSteps): Promise<string> {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  let mark = performance.now();
  const lap = (into: number[]) => {
    const now = performance.now();
    into.push(now - mark);
    mark = now;
  };
  const ticketResponse = await fetch(`${baseUrl}/v2/files/upload`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ filename, mime_type: pdf }),
  });
  if (ticketResponse.status !== 201) throw new Error(`upload: ${ticketResponse.status} ${await ticketResponse.text()}`);
  const ticket = (await ticketResponse.json()) as TicketBody;
  lap(steps.upload);
  await putObject(ticket.upload_url, bytes, pdf);
  lap(steps.put);
  const saved = await fetch(`${baseUrl}/v2/files`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ s3ref: ticket.s3ref, filename }),
  });
  if (saved.status !== 201) throw new Error(`save: ${saved.status} ${await saved.text()}`);
  const entity = (await saved.json()) as { s3ref: { key: string } };
  lap(steps.save);
  return entity.s3ref.key;
}

async function deleteKeys(context: BenchContext, keys: string[]): Promise<void> {
  for (let start = 0; start < keys.length; start += 1000) {
    await context.s3.send(
      new DeleteObjectsCommand({
        Bucket: context.stack.bucket,
        Delete: { Objects: keys.slice(start, start + 1000).map((Key) => ({ Key })), Quiet: true },
      }),
    );
  }
}

/**
 * Throughput of `files` uploads of `bytes` at `concurrency`, for each contender, over
 * `rounds` rounds whose order rotates (see roundOrder). Presigning the raw PUTs and deleting
 * what each round left behind are not timed.
 */
export async function measureThroughput(
  context: BenchContext,
  tus: TusServer,
  options: { bytes: Buffer; files: number; rounds: number; concurrency: number; warmup: number },
): Promise<{ results: Record<Contender, ThroughputResult>; steps: FlowSteps; error?: string }> {
  const { stack } = context;
  const contenders: Contender[] = ['flow', 'raw_put', 'tus'];
  const totals: Record<Contender, { files: number; ms: number }> = {
    flow: { files: 0, ms: 0 },
    raw_put: { files: 0, ms: 0 },
    tus: { files: 0, ms: 0 },
  };
  const perRound = Math.max(1, Math.round(options.files / options.rounds));
  const filename = 'bench.pdf';
  const tusKeysBefore = new Set(tus.keys());
  const steps: FlowSteps = { upload: [], put: [], save: [] };

  const run = async (contender: Contender, count: number, into: FlowSteps): Promise<{ ms: number; leftovers: string[] }> => {
    const items = Array.from({ length: count }, (_, index) => index);
    let urls: string[] = [];
    let rawKeys: string[] = [];
    if (contender === 'raw_put') {
      // Signed like the service signs upload URLs: Content-Type is part of the signature.
      rawKeys = items.map(() => `temp/bench-raw/${randomUUID()}/${filename}`);
      urls = await Promise.all(
        rawKeys.map((Key) =>
          getSignedUrl(context.s3, new PutObjectCommand({ Bucket: stack.bucket, Key, ContentType: pdf }), {
            expiresIn: 900,
            signableHeaders: new Set(['content-type']),
          }),
        ),
      );
    }
    const started = performance.now();
    const keys = await pool(items, options.concurrency, async (index) => {
      switch (contender) {
        case 'flow':
          return flow(stack.url, context.token, options.bytes, filename, into);
        case 'raw_put':
          await putObject(urls[index] as string, options.bytes, pdf);
          return rawKeys[index] as string;
        case 'tus':
          await tusUpload(tus.endpoint, options.bytes, { filename, filetype: pdf });
          return '';
      }
    });
    const ms = performance.now() - started;
    const leftovers = contender === 'tus' ? tus.keys().filter((key) => !tusKeysBefore.has(key)) : keys;
    for (const key of leftovers) tusKeysBefore.add(key);
    return { ms, leftovers };
  };

  let error: string | undefined;
  for (const contender of contenders) {
    if (options.warmup === 0) continue;
    try {
      await deleteKeys(context, (await run(contender, options.warmup, { upload: [], put: [], save: [] })).leftovers);
    } catch (failure) {
      if (contender !== 'tus') throw failure;
      error = `tus failed: ${(failure as Error).message}`;
    }
  }
  for (let round = 0; round < options.rounds; round += 1) {
    for (const contender of roundOrder(contenders, round)) {
      if (contender === 'tus' && error) continue;
      let outcome: { ms: number; leftovers: string[] };
      try {
        outcome = await run(contender, perRound, steps);
      } catch (failure) {
        // Only the peer may fail without failing the benchmark: its absence is reported.
        if (contender !== 'tus') throw failure;
        error = `tus failed: ${(failure as Error).message}`;
        continue;
      }
      const { ms, leftovers } = outcome;
      totals[contender].files += perRound;
      totals[contender].ms += ms;
      await deleteKeys(context, leftovers);
    }
  }

  const result = {} as Record<Contender, ThroughputResult>;
  for (const contender of contenders) {
    const bytes = totals[contender].files * options.bytes.length;
    result[contender] = {
      files: totals[contender].files,
      bytes,
      ms: totals[contender].ms,
      mb_per_s: totals[contender].files > 0 ? mbPerSecond(bytes, totals[contender].ms) : Number.NaN,
    };
  }
  return { results: result, steps, ...(error ? { error } : {}) };
}

