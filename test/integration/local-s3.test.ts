import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CopyObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalS3, type LocalS3 } from '../../local/s3';

const credentials = { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'local-test-secret' };
const region = 'eu-central-1';
const bucket = 'file-bucket';

function clientFor(endpoint: string, secretAccessKey = credentials.secretAccessKey): S3Client {
  return new S3Client({
    endpoint,
    region,
    forcePathStyle: true,
    credentials: { ...credentials, secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

async function presignedPut(client: S3Client, key: string, body: Uint8Array, contentType = 'text/plain') {
  const command = new PutObjectCommand({ Bucket: bucket, Key: key, ContentType: contentType, ContentLength: body.length });
  return getSignedUrl(client, command, { signableHeaders: new Set(['content-type']), expiresIn: 300 });
}

async function exists(client: S3Client, key: string): Promise<boolean> {
  try {
    await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (error) {
    if ((error as { name?: string }).name === 'NotFound') return false;
    throw error;
  }
}

function portIsClosed(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

const bytes = (text: string) => new TextEncoder().encode(text);

describe('local S3 stand-in', () => {
  let s3: LocalS3;
  let client: S3Client;

  beforeAll(async () => {
    s3 = await startLocalS3({ credentials, region, buckets: [bucket], sweepIntervalMs: 0 });
    client = clientFor(s3.endpoint);
  });

  afterAll(async () => {
    client.destroy();
    await s3.stop();
  });

  it('stores a presigned PUT from fetch and returns the same bytes via a presigned GET', async () => {
    // Prepare
    const body = new Uint8Array([0, 1, 2, 250, 255, 10, 13]);
    const putUrl = await presignedPut(client, 'temp/upload one.bin', body, 'application/octet-stream');

    // Act
    const put = await fetch(putUrl, { method: 'PUT', body, headers: { 'content-type': 'application/octet-stream' } });
    const getUrl = await getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: 'temp/upload one.bin' }));
    const get = await fetch(getUrl);

    // Assess
    expect(put.status).toBe(200);
    expect(put.headers.get('etag')).toMatch(/^"[0-9a-f]{32}"$/);
    expect(get.status).toBe(200);
    expect(get.headers.get('content-type')).toBe('application/octet-stream');
    expect(new Uint8Array(await get.arrayBuffer())).toEqual(body);
  });

  it('refuses a tampered presigned URL with an S3 XML error and stores nothing', async () => {
    // Prepare
    const url = new URL(await presignedPut(client, 'temp/tampered.txt', bytes('hello')));
    url.searchParams.set('X-Amz-Expires', '3600');

    // Act
    const response = await fetch(url, { method: 'PUT', body: bytes('hello'), headers: { 'content-type': 'text/plain' } });

    // Assess
    expect(response.status).toBe(403);
    expect(response.headers.get('content-type')).toBe('application/xml');
    expect(await response.text()).toMatch(/^<\?xml[^>]*\?>\s*<Error><Code>SignatureDoesNotMatch<\/Code><Message>/);
    expect(await exists(client, 'temp/tampered.txt')).toBe(false);
  });

  it('refuses a PUT to a key other than the one the URL was signed for', async () => {
    // Prepare
    const url = new URL(await presignedPut(client, 'temp/allowed.txt', bytes('hello')));
    url.pathname = `/${bucket}/temp/other.txt`;

    // Act
    const response = await fetch(url, { method: 'PUT', body: bytes('hello'), headers: { 'content-type': 'text/plain' } });

    // Assess
    expect(response.status).toBe(403);
    expect(await exists(client, 'temp/other.txt')).toBe(false);
  });

  it('refuses a PUT whose Content-Type differs from the signed one', async () => {
    // Prepare
    const url = await presignedPut(client, 'temp/typed.txt', bytes('hello'), 'text/plain');

    // Act
    const response = await fetch(url, { method: 'PUT', body: bytes('hello'), headers: { 'content-type': 'text/html' } });

    // Assess
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it('fails SDK calls made with the wrong secret', async () => {
    // Prepare
    const intruder = clientFor(s3.endpoint, 'wrong-secret');

    // Act
    const attempt = intruder.send(new PutObjectCommand({ Bucket: bucket, Key: 'files/intruder.txt', Body: 'x' }));

    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'SignatureDoesNotMatch', $metadata: { httpStatusCode: 403 } });
    intruder.destroy();
    expect(await exists(client, 'files/intruder.txt')).toBe(false);
  });

  it('supports CopyObject, HeadObject, ranged GET, ListObjectsV2 and DeleteObjects through the SDK', async () => {
    // Prepare
    await client.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'temp/source.txt', Body: 'hello world', ContentType: 'text/plain' }),
    );

    // Act
    await client.send(
      new CopyObjectCommand({ Bucket: bucket, Key: 'files/org/copy.txt', CopySource: `${bucket}/temp/source.txt` }),
    );
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'files/org/copy.txt' }));
    const range = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'files/org/copy.txt', Range: 'bytes=6-10' }));
    const rangeText = await range.Body?.transformToString();
    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'files/org/' }));
    const deleted = await client.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: [{ Key: 'files/org/copy.txt' }, { Key: 'temp/source.txt' }] },
      }),
    );

    // Assess
    expect(head.ContentLength).toBe(11);
    expect(head.ContentType).toBe('text/plain');
    expect(rangeText).toBe('world');
    expect(listed.Contents?.map((object) => object.Key)).toEqual(['files/org/copy.txt']);
    expect(deleted.Deleted?.map((object) => object.Key).sort()).toEqual(['files/org/copy.txt', 'temp/source.txt']);
    expect(await exists(client, 'files/org/copy.txt')).toBe(false);
    expect(await exists(client, 'temp/source.txt')).toBe(false);
  });

  it('applies response-content-disposition and response-content-type overrides on presigned GET', async () => {
    // Prepare
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'files/report.pdf', Body: '%PDF', ContentType: 'text/plain' }));
    const command = new GetObjectCommand({
      Bucket: bucket,
      Key: 'files/report.pdf',
      ResponseContentDisposition: 'attachment; filename="report.pdf"',
      ResponseContentType: 'application/pdf',
    });
    const url = await getSignedUrl(client, command, { expiresIn: 60 });

    // Act
    const response = await fetch(url);

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="report.pdf"');
    expect(response.headers.get('content-type')).toBe('application/pdf');
    expect(await response.text()).toBe('%PDF');
  });

  it('answers a CORS preflight and adds CORS headers to signed responses', async () => {
    // Prepare
    const origin = 'http://localhost:5173';
    const url = await presignedPut(client, 'temp/cors.txt', bytes('hello'));

    // Act
    const preflight = await fetch(url, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type' },
    });
    const put = await fetch(url, { method: 'PUT', body: bytes('hello'), headers: { origin, 'content-type': 'text/plain' } });

    // Assess
    expect(preflight.status).toBe(200);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-methods')).toBe('PUT, GET, HEAD, POST, DELETE');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('content-type');
    expect(put.status).toBe(200);
    expect(put.headers.get('access-control-allow-origin')).toBe('*');
    expect(put.headers.get('access-control-expose-headers')).toBe('ETag');
  });

  it('sweeps expired temp/ objects and leaves files/ objects alone', async () => {
    // Prepare
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'temp/old.txt', Body: 'old' }));
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'files/kept.txt', Body: 'kept' }));

    // Act: two days on, past creation + 1 day rounded up to midnight UTC
    const deleted = await s3.sweep(new Date(Date.now() + 2 * 24 * 60 * 60 * 1000));

    // Assess
    expect(deleted).toBeGreaterThanOrEqual(1);
    expect(await exists(client, 'temp/old.txt')).toBe(false);
    expect(await exists(client, 'files/kept.txt')).toBe(true);
  });
});

describe('local S3 lifecycle', () => {
  it('keeps data across a restart on the same directory and frees its port on stop', async () => {
    // Prepare
    const directory = await mkdtemp(join(tmpdir(), 'local-s3-test-'));
    const first = await startLocalS3({ credentials, region, buckets: [bucket], directory, sweepIntervalMs: 0 });
    const firstClient = clientFor(first.endpoint);
    await firstClient.send(new PutObjectCommand({ Bucket: bucket, Key: 'files/persisted.txt', Body: 'still here' }));
    firstClient.destroy();

    // Act
    await first.stop();
    const firstPortClosed = await portIsClosed(first.port);
    const second = await startLocalS3({ credentials, region, buckets: [bucket], directory, sweepIntervalMs: 0 });
    const secondClient = clientFor(second.endpoint);
    const object = await secondClient.send(new GetObjectCommand({ Bucket: bucket, Key: 'files/persisted.txt' }));
    const text = await object.Body?.transformToString();
    secondClient.destroy();
    await second.stop();

    // Assess
    expect(firstPortClosed).toBe(true);
    expect(text).toBe('still here');
    expect(await portIsClosed(second.port)).toBe(true);
    await rm(directory, { recursive: true, force: true });
  });
});
