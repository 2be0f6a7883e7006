import { randomBytes, randomUUID } from 'node:crypto';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
} from '@aws-sdk/client-s3';
import { GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { BenchContext } from './context';
import { apiEvent, invoke } from './events';
import { roundOrder } from './stats';

export interface TicketBody {
  s3ref: { bucket: string; key: string };
  upload_url: string;
}

interface EntityBody {
  _id: string;
  s3ref: { bucket: string; key: string };
}

/** `size` bytes that pass the service's PDF signature check (`%PDF-` then random bytes). */
export function pdfBytes(size: number): Buffer {
  const bytes = randomBytes(size);
  Buffer.from('%PDF-1.7\n').copy(bytes, 0);
  return bytes;
}

export const pdf = 'application/pdf';
export const text = 'text/plain';

async function timed<T>(samples: number[], run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await run();
  samples.push(performance.now() - started);
  return result;
}

/** uploadFile in-process: a presigned PUT URL for a new temp object. */
function requestUpload(context: BenchContext, filename: string, mimeType: string): Promise<TicketBody> {
  return invoke<TicketBody>(
    context.handlers['upload-file'],
    apiEvent({ method: 'POST', route: '/v2/files/upload', body: { filename, mime_type: mimeType }, claims: context.claims }),
    [201],
  );
}

export async function putObject(url: string, bytes: Uint8Array, contentType: string): Promise<void> {
  const response = await fetch(url, { method: 'PUT', body: bytes, headers: { 'content-type': contentType } });
  if (response.status !== 200) throw new Error(`PUT to S3: ${response.status} ${(await response.text()).slice(0, 300)}`);
  await response.arrayBuffer();
}

function saveEvent(context: BenchContext, ticket: TicketBody, filename: string) {
  return apiEvent({ method: 'POST', route: '/v2/files', body: { s3ref: ticket.s3ref, filename }, claims: context.claims });
}

function idEvent(context: BenchContext, method: 'GET' | 'DELETE', route: string, id: string) {
  return apiEvent({ method, route, pathParameters: { id }, claims: context.claims });
}

export type OpName = 'upload' | 'save' | 'get' | 'download' | 'delete' | 'direct';
export type OpSamples = Record<OpName, number[]>;

/**
 * One file's life, each step a direct call of the handler Lambda runs (API Gateway v2 event
 * with the authorizer's claims): upload -> (PUT, untimed) -> save -> get -> download -> delete;
 * then the same bytes saved in one call (`direct`, content_base64).
 */
export async function measureOps(
  context: BenchContext,
  options: { iterations: number; warmup: number; bytes: Uint8Array; mimeType: string },
): Promise<OpSamples> {
  const samples: OpSamples = { upload: [], save: [], get: [], download: [], delete: [], direct: [] };
  const scratch: OpSamples = { upload: [], save: [], get: [], download: [], delete: [], direct: [] };
  const filename = options.mimeType === pdf ? 'bench.pdf' : 'bench.txt';
  for (let i = 0; i < options.warmup + options.iterations; i += 1) {
    const into = i < options.warmup ? scratch : samples;
    const ticket = await timed(into.upload, () => requestUpload(context, filename, options.mimeType));
    await putObject(ticket.upload_url, options.bytes, options.mimeType);
    const entity = await timed(into.save, () =>
      invoke<EntityBody>(context.handlers['save-file'], saveEvent(context, ticket, filename), [201]),
    );
    await timed(into.get, () => invoke(context.handlers['get-file'], idEvent(context, 'GET', '/v2/files/{id}', entity._id), [200]));
    await timed(into.download, () =>
      invoke(context.handlers['download-file'], idEvent(context, 'GET', '/v1/files/{id}/download', entity._id), [200]),
    );
    await timed(into.delete, () =>
      invoke(context.handlers['delete-file'], idEvent(context, 'DELETE', '/v2/files/{id}', entity._id), [200]),
    );
    // The same bytes in one call: a save that carries them (content_base64).
    const direct = apiEvent({
      method: 'POST',
      route: '/v2/files',
      body: { filename, mime_type: options.mimeType, content_base64: Buffer.from(options.bytes).toString('base64') },
      claims: context.claims,
    });
    await timed(into.direct, () => invoke(context.handlers['save-file'], direct, [201]));
  }
  return samples;
}

/** The raw calls a save cannot avoid, and the extra ones it makes, each timed on its own. */
export type RawCall =
  | 'head'
  | 'copy'
  | 'delete_object'
  | 'transact_write'
  // Informative, not part of the unavoidable sum:
  | 'transact_write_with_claim'
  | 'range_get'
  | 'query_versions'
  | 'get_item'
  | 'delete_objects';

export const unavoidableCalls: readonly RawCall[] = ['head', 'copy', 'delete_object', 'transact_write'];

export interface SaveOverheadSamples {
  /** The save handler, end to end, on a PDF (signature checked from the first bytes). */
  save_pdf: number[];
  /** The save handler on text/plain (no first-bytes check). */
  save_text: number[];
  raw: Record<RawCall, number[]>;
}

function pk(org: string, id: string): string {
  return `FILE#${encodeURIComponent(org)}#${id}`;
}

/**
 * The same work done with raw SDK calls on a temp object of the same size: what a save
 * cannot do without. Item shapes and call options are those of the adapters.
 */
async function rawSave(context: BenchContext, ticket: TicketBody, size: number, samples: Record<RawCall, number[]>): Promise<void> {
  const { s3, dynamo, stack } = context;
  const bucket = stack.bucket;
  const tempKey = ticket.s3ref.key;
  const org = context.claims.org_id;
  const fileId = randomUUID();
  const key = `files/${encodeURIComponent(org)}/${fileId}/${randomUUID()}/bench.pdf`;

  const head = await timed(samples.head, () => s3.send(new HeadObjectCommand({ Bucket: bucket, Key: tempKey })));
  if (head.ContentLength !== size) throw new Error(`raw head: expected ${size} bytes, got ${head.ContentLength}`);
  await timed(samples.range_get, async () => {
    const result = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: tempKey, Range: 'bytes=0-15' }));
    return result.Body?.transformToByteArray();
  });
  await timed(samples.copy, () =>
    s3.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: key,
        CopySource: `${bucket}/${encodeURIComponent(tempKey).replace(/%2F/g, '/')}`,
        MetadataDirective: 'COPY',
      }),
    ),
  );
  const now = new Date().toISOString();
  const version = {
    s3ref: { bucket, key },
    filename: 'bench.pdf',
    mime_type: pdf,
    size_bytes: size,
    created_at: now,
    created_by: context.claims.sub,
    version: 1,
  };
  const record = {
    id: fileId,
    org,
    access_control: 'private',
    tags: [],
    relations: [],
    filename: 'bench.pdf',
    title: 'bench.pdf',
    type: 'document',
    mime_type: pdf,
    size_bytes: size,
    created_at: now,
    created_by: context.claims.sub,
    updated_at: now,
    latest_version: 1,
    s3ref: { bucket, key },
    status: 'active',
  };
  const putEntity = (id: string) => ({
    Put: {
      TableName: stack.table,
      Item: { pk: pk(org, id), sk: 'FILE', ...record, id },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  });
  const putVersion = (id: string) => ({
    Put: {
      TableName: stack.table,
      Item: { pk: pk(org, id), sk: 'VERSION#0000000001', ...version },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  });
  await timed(samples.transact_write, () =>
    dynamo.send(new TransactWriteCommand({ TransactItems: [putEntity(fileId), putVersion(fileId)] })),
  );
  // The same plus the upload claim the idempotent save writes in its transaction, on another id.
  const claimedId = randomUUID();
  await timed(samples.transact_write_with_claim, () =>
    dynamo.send(
      new TransactWriteCommand({
        TransactItems: [
          putEntity(claimedId),
          putVersion(claimedId),
          {
            Put: {
              TableName: stack.table,
              Item: {
                pk: `UPLOAD#${encodeURIComponent(org)}#${claimedId}`,
                sk: 'UPLOAD',
                org,
                upload_id: claimedId,
                file_id: claimedId,
                created: true,
                expires_at: Math.floor(Date.now() / 1000) + 86_400,
                version: 1,
              },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ],
      }),
    ),
  );
  await timed(samples.delete_object, () => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: tempKey })));
  await timed(samples.get_item, () =>
    dynamo.send(new GetCommand({ TableName: stack.table, Key: { pk: pk(org, fileId), sk: 'FILE' }, ConsistentRead: true })),
  );
  await timed(samples.query_versions, () =>
    dynamo.send(
      new QueryCommand({
        TableName: stack.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': pk(org, fileId), ':prefix': 'VERSION#' },
        ScanIndexForward: false,
        ConsistentRead: true,
      }),
    ),
  );
  // DeleteObjects (what the service sends for one key) on the copy, which also cleans it up.
  await timed(samples.delete_objects, () =>
    s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: key }], Quiet: true } })),
  );
}

/**
 * Save end to end against the raw calls it cannot avoid, in the same run, alternating the
 * order every iteration. Every contender works on its own freshly uploaded temp object of
 * the same size; the upload and PUT are not timed.
 */
export async function measureSaveOverhead(
  context: BenchContext,
  options: { iterations: number; warmup: number; size: number },
): Promise<SaveOverheadSamples> {
  const samples: SaveOverheadSamples = {
    save_pdf: [],
    save_text: [],
    raw: {
      head: [],
      copy: [],
      delete_object: [],
      transact_write: [],
      transact_write_with_claim: [],
      range_get: [],
      query_versions: [],
      get_item: [],
      delete_objects: [],
    },
  };
  const scratch: SaveOverheadSamples = structuredClone(samples);
  const pdfBody = pdfBytes(options.size);
  const textBody = Buffer.alloc(options.size, 'bench text\n');
  const contenders = ['save_pdf', 'save_text', 'raw'] as const;

  for (let i = 0; i < options.warmup + options.iterations; i += 1) {
    const into = i < options.warmup ? scratch : samples;
    const tickets = {
      save_pdf: await requestUpload(context, 'bench.pdf', pdf),
      save_text: await requestUpload(context, 'bench.txt', text),
      raw: await requestUpload(context, 'bench.pdf', pdf),
    };
    await putObject(tickets.save_pdf.upload_url, pdfBody, pdf);
    await putObject(tickets.save_text.upload_url, textBody, text);
    await putObject(tickets.raw.upload_url, pdfBody, pdf);

    for (const contender of roundOrder(contenders, i)) {
      if (contender === 'raw') {
        await rawSave(context, tickets.raw, options.size, into.raw);
      } else {
        const filename = contender === 'save_pdf' ? 'bench.pdf' : 'bench.txt';
        await timed(into[contender], () =>
          invoke(context.handlers['save-file'], saveEvent(context, tickets[contender], filename), [201]),
        );
      }
    }
  }
  return samples;
}
