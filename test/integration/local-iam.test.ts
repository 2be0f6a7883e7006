import { randomUUID } from 'node:crypto';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CopyObjectCommand, DeleteObjectsCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Policy } from '../../local/iam/policy';
import type { LocalStack } from '../../local/stack';
import { operations, publishEvents, renderPreviews } from '../../lambdas/operations';
import { permissionGrants } from '../../lib/permissions';
import { Api, putBytes, uploadFile, type Entity, type Ticket } from './support/api';
import { stageUpload } from './support/requests';
import { startSourceServer, type SourceServer } from './support/source-server';
import { useLocalStack } from './support/stack';

const text = (content: string) => ({ filename: 'note.txt', mimeType: 'text/plain', bytes: Buffer.from(content) });

function s3As(stack: LocalStack, credentials: { accessKeyId: string; secretAccessKey: string }): S3Client {
  return new S3Client({ endpoint: stack.s3Endpoint, region: stack.region, forcePathStyle: true, credentials, maxAttempts: 1 });
}

describe('the local stack enforces each function’s own IAM policy', () => {
  // Objects from 6 MiB are copied in parts, so a failing part shows the abort's grant in use.
  const context = useLocalStack({ sweepIntervalMs: 0, sourceUrlHttpHosts: ['127.0.0.1'], copyPartThresholdBytes: 6 * 1024 * 1024 });
  let source: SourceServer;
  beforeAll(async () => {
    source = await startSourceServer();
  });
  afterAll(async () => {
    await source?.stop();
  });

  it('uses every action each operation’s policy grants, so no grant is broader than the code', async () => {
    // Prepare: every operation, with the paths that make its rarer calls.
    const { api, stack, storage } = context;
    stack.iam.reset();
    const file = await uploadFile(api, text('first'));
    const second = await uploadFile(api, { ...text('second'), id: file._id });
    const ticket = await api.post<Ticket>(`/v2/files/upload?file_entity_id=${file._id}`, { filename: 'n.txt', mime_type: 'text/plain' });
    // Its URL signed again (refreshUpload), as a client whose URL expired asks for it.
    const refreshed = await api.post<Ticket>('/v2/files/upload/refresh', { s3ref: ticket.body.s3ref });
    await putBytes(refreshed.body.upload_url, Buffer.from('third'), 'text/plain');
    const third = await api.post<Entity>('/v2/files?delete_temp_file=false', { s3ref: ticket.body.s3ref, _id: file._id });
    const repeated = await api.post<Entity>('/v2/files', { s3ref: ticket.body.s3ref, _id: file._id });
    expect([second.versions.length, third.status, repeated.status, repeated.body.versions.length]).toEqual([2, 200, 200, 3]);
    // A direct upload: saveFile writes the bytes to temp/ itself.
    const direct = await api.post<Entity>('/v2/files', { filename: 'direct.txt', mime_type: 'text/plain', content_base64: Buffer.from('direct').toString('base64') });
    expect(direct.status).toBe(201);
    // A multipart upload: started at its permanent key, a part signed, uploaded and listed, then
    // completed by its save; another is aborted.
    const multipart = await api.post<{ upload_id: string; s3ref: Ticket['s3ref'] }>('/v2/files/upload', {
      filename: 'parts.txt',
      mime_type: 'text/plain',
      upload_method: 'multipart',
    });
    const partUrls = await api.post<{ parts: Array<{ url: string }> }>(`/v1/files/upload/${multipart.body.upload_id}/parts`, { part_numbers: [1] });
    expect((await fetch(partUrls.body.parts[0]?.url ?? '', { method: 'PUT', body: 'in parts' })).status).toBe(200);
    expect((await api.get(`/v1/files/upload/${multipart.body.upload_id}/parts`)).status).toBe(200);
    expect((await api.post('/v2/files', { s3ref: multipart.body.s3ref })).status).toBe(201);
    const abandoned = await api.post<{ upload_id: string }>('/v2/files/upload', { filename: 'gone.txt', upload_method: 'multipart' });
    expect((await api.delete(`/v1/files/upload/${abandoned.body.upload_id}`)).status).toBe(204);
    // A browser's own multipart upload (Uppy's signRequest): created, listed and aborted with signed URLs.
    const signed = async (request: Record<string, unknown>) => (await api.post<{ url: string; key?: string }>('/v1/files/upload/sign', request)).body;
    const browserUpload = await signed({ method: 'POST', key: 'browser.bin' });
    const browserUploadId = /<UploadId>([^<]+)</.exec(await (await fetch(browserUpload.url, { method: 'POST' })).text())?.[1];
    const inBrowser = { key: browserUpload.key, uploadId: browserUploadId };
    expect((await fetch((await signed({ method: 'GET', ...inBrowser })).url)).status).toBe(200);
    expect((await fetch((await signed({ method: 'DELETE', ...inBrowser })).url, { method: 'DELETE' })).status).toBe(204);
    // A source_url that breaks off after its first part: saveFile aborts the multipart upload.
    const broken = await api.post('/v2/files', { source_url: `${source.url}/broken?bytes=${10 * 1024 * 1024}&after=${9 * 1024 * 1024}` });
    expect(broken.status).toBe(422);

    expect((await api.get(`/v2/files/${file._id}`)).status).toBe(200);
    expect((await api.get(`/v1/files/${file._id}/versions?limit=1`)).status).toBe(200);
    expect((await api.post('/v1/files:batchGet', { ids: [file._id] })).status).toBe(200);
    expect((await api.patch(`/v2/files/${file._id}`, { relations: [{ entity_id: 'order-iam' }] })).status).toBe(200);
    expect((await api.get<{ results: Entity[] }>('/v2/files?relation=order-iam')).body.results).toHaveLength(1);
    expect((await api.patch(`/v2/files/${file._id}`, { relations: [] })).status).toBe(200);
    for (const sort of ['-created_at', 'filename', '-size_bytes']) {
      expect((await api.get<{ results: Entity[] }>(`/v2/files?sort=${sort}`)).body.results.length).toBeGreaterThan(0);
    }
    const link = await api.get<{ download_url: string }>(`/v1/files/${file._id}/download?version=1`);
    expect((await fetch(link.body.download_url)).status).toBe(200);
    const links = await api.post<Array<{ download_url: string }>>('/v1/files:downloadFiles', [{ id: file._id, version: 0 }]);
    expect((await fetch(links.body[0]?.download_url ?? '')).status).toBe(200);
    // copyFile: a new file, and a new version of another file (rendered with its versions).
    expect((await api.post(`/v2/files/${file._id}:copy`)).status).toBe(201);
    expect((await api.post(`/v2/files/${file._id}:copy`, { file_entity_id: direct.body._id })).status).toBe(200);
    // A big object is copied in parts: a part that fails aborts the multipart upload, in a save and in a copy.
    const big = await stageUpload(api, { filename: 'big.bin', mimeType: 'application/octet-stream', bytes: Buffer.alloc(6 * 1024 * 1024, 7) });
    stack.faults.inject({ service: 's3', action: 'UploadPartCopy', function: 'saveFile', mode: 'before' });
    expect((await api.post('/v2/files', { s3ref: big.s3ref })).status).toBe(503);
    stack.faults.clear();
    const bigFile = await api.post<Entity>('/v2/files', { s3ref: big.s3ref });
    expect(bigFile.status).toBe(201);
    stack.faults.inject({ service: 's3', action: 'UploadPartCopy', function: 'copyFile', mode: 'before' });
    expect((await api.post(`/v2/files/${bigFile.body._id}:copy`)).status).toBe(503);
    stack.faults.clear();
    const shared = await uploadFile(api, { ...text('shared'), extra: { access_control: 'public-read' } });
    const open = await fetch(`${stack.url}/v1/files/public/${shared._id}?org_id=org-a`, { redirect: 'manual' });
    expect((await fetch(open.headers.get('location') ?? '')).status).toBe(200);
    const made = await api.post<string>(`/v1/files/${file._id}/public/links`);
    expect((await api.get(`/v1/files/${file._id}/public/links`)).status).toBe(200);
    const opened = await fetch(made.body, { redirect: 'manual' });
    expect((await fetch(opened.headers.get('location') ?? '')).status).toBe(200);
    expect((await api.delete(`/v1/files/public/links/${made.body.split('/').at(-2)}`)).status).toBe(204);
    // previewFile renders a preview and keeps it, then serves the kept one; its file's delete deletes it.
    const photo = await uploadFile(api, { filename: 'photo.jpg', mimeType: 'image/jpeg', bytes: await sharp({ create: { width: 64, height: 48, channels: 3, background: 'red' } }).jpeg().toBuffer() });
    for (const cache of ['miss', 'hit']) {
      expect((await api.raw(`/v1/files/${photo._id}/preview?w=16`)).headers.get('x-preview-cache')).toBe(cache);
    }
    // renderPreviews, invoked by the bus with the photo's FileCreated, keeps its default preview.
    const ahead = await stack.events.waitForDelivery((delivery) => delivery.target === renderPreviews.name && delivery.event.detail.file_id === photo._id, 30_000);
    expect(ahead.ok).toBe(true);
    // previewS3File: a saved version by its key (rendered, then kept) and an upload not saved yet.
    const byKey = `/v1/files:previewS3?bucket=${photo.s3ref.bucket}&key=${encodeURIComponent(photo.s3ref.key)}&w=8`;
    for (const cache of ['miss', 'hit']) expect((await api.raw(byKey)).headers.get('x-preview-cache')).toBe(cache);
    const draft = await stageUpload(api, { filename: 'draft.jpg', mimeType: 'image/jpeg', bytes: await sharp({ create: { width: 8, height: 8, channels: 3, background: 'red' } }).jpeg().toBuffer() });
    expect((await api.raw(`/v1/files:previewS3?bucket=${draft.s3ref.bucket}&key=${encodeURIComponent(draft.s3ref.key)}`)).status).toBe(200);
    // downloadS3File: the same two, each URL used.
    for (const ref of [photo.s3ref, draft.s3ref]) {
      const signed = await api.post<{ download_url: string }>(`/v1/files:downloadS3?s3_bucket=${ref.bucket}&s3_key=${encodeURIComponent(ref.key)}`);
      expect((await fetch(signed.body.download_url)).status).toBe(200);
    }
    // previewPublicFile, without a token: rendered, then kept.
    const poster = await uploadFile(api, { filename: 'poster.jpg', mimeType: 'image/jpeg', bytes: await sharp({ create: { width: 32, height: 32, channels: 3, background: 'blue' } }).jpeg().toBuffer(), extra: { access_control: 'public-read' } });
    for (const cache of ['miss', 'hit']) {
      expect((await fetch(`${stack.url}/v1/files/public/${poster._id}/preview?org_id=org-a&w=8`)).headers.get('x-preview-cache')).toBe(cache);
    }
    expect((await api.delete(`/v2/files/${photo._id}`)).status).toBe(200);
    expect((await api.delete(`/v2/files/${file._id}`)).status).toBe(200);
    // publishEvents puts the file's events on the bus, from the table's stream.
    await stack.events.waitFor((event) => event.detail.file_id === file._id && event['detail-type'] === 'FileDeleted', 15_000);

    // A save that loses to a delete after copying removes its copy again. The moment cannot
    // be forced, so saves race a delete (sent once the first save answered) until one does.
    const removedOwnCopy = () =>
      stack.iam.used('saveFile').some((use) => use.action === 's3:DeleteObject' && use.resource.includes(':::file-service-local/files/'));
    for (let round = 1; round <= 10 && !removedOwnCopy(); round += 1) {
      const target = await uploadFile(api, text('raced'));
      const tickets = await Promise.all(Array.from({ length: 8 }, () => stageUpload(api, text('racing'))));
      const saves = tickets.map((racing) => api.post('/v2/files', { s3ref: racing.s3ref, _id: target._id }));
      await Promise.race(saves);
      expect((await api.delete(`/v2/files/${target._id}`)).status).toBe(200);
      for (const save of await Promise.all(saves)) expect([200, 404]).toContain(save.status);
      expect(await storage.keys(`files/org-a/${target._id}/`)).toEqual([]);
    }

    // The OpenAPI document is built from the code alone: its function holds no grant and needs none.
    expect((await new Api(stack.url).get('/openapi.json')).status).toBe(200);

    // Act / Assess: generically, for whatever operations and grants exist.
    const arns = {
      tableArn: 'arn:aws:dynamodb:us-east-1:000000000000:table/file-service-local',
      bucketArn: 'arn:aws:s3:::file-service-local',
      eventBusArn: stack.events.busArn,
    };
    const unused = [...operations, publishEvents, renderPreviews].flatMap((operation) => {
      const used = stack.iam.used(operation.name);
      return permissionGrants(operation.permissions, arns).flatMap((grant) =>
        grant.actions
          .filter((action) => {
            const granted = new Policy([{ Effect: 'Allow', Action: action, Resource: grant.resources }]);
            return !used.some((entry) => granted.allows(entry.action, entry.resource));
          })
          .map((action) => `${operation.name}: ${action} on ${grant.resources.join(', ')}`),
      );
    });
    expect(unused).toEqual([]);
    expect(stack.iam.denied()).toEqual([]);
  });

  it('answers a DynamoDB call outside the function’s policy with AWS’s AccessDeniedException', async () => {
    // Prepare
    const { stack } = context;
    const dynamo = new DynamoDBClient({
      endpoint: stack.dynamoDbEndpoint,
      region: stack.region,
      credentials: stack.iam.credentialsOf('getFile'),
      maxAttempts: 1,
    });

    // Act
    const attempt = dynamo.send(new PutItemCommand({ TableName: stack.table, Item: { pk: { S: 'x' }, sk: { S: 'y' } } }));

    // Assess
    await expect(attempt).rejects.toMatchObject({
      name: 'AccessDeniedException',
      $metadata: { httpStatusCode: 400 },
      message:
        'User: arn:aws:sts::000000000000:assumed-role/file-service-getFile/getFile is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:000000000000:table/file-service-local because no identity-based policy allows the dynamodb:PutItem action',
    });
    dynamo.destroy();
  });

  it('answers a missing key with 403 to a function without s3:ListBucket, and 404 only to the administrator', async () => {
    // Prepare
    const { stack } = context;
    const key = `files/org-a/${randomUUID()}/missing.txt`;
    const asFunction = s3As(stack, stack.iam.credentialsOf('downloadFile'));
    const asAdmin = s3As(stack, stack.credentials);

    // Act
    const statuses = await Promise.all(
      [asFunction, asAdmin].map((client) =>
        client.send(new HeadObjectCommand({ Bucket: stack.bucket, Key: key })).then(
          () => 200,
          (error: { $metadata: { httpStatusCode?: number } }) => error.$metadata.httpStatusCode,
        ),
      ),
    );

    // Assess
    expect(statuses).toEqual([403, 404]);
    asFunction.destroy();
    asAdmin.destroy();
  });

  it('deletes the keys a DeleteObjects may delete and reports each other key as AccessDenied inside the 200', async () => {
    // Prepare: deleteFile may delete under files/ only.
    const { stack, storage } = context;
    const admin = s3As(stack, stack.credentials);
    const keys = [`files/org-a/${randomUUID()}/a.txt`, `temp/org-a/${randomUUID()}/b.txt`];
    for (const Key of keys) await admin.send(new PutObjectCommand({ Bucket: stack.bucket, Key, Body: 'x' }));
    const asDeleteFile = s3As(stack, stack.iam.credentialsOf('deleteFile'));

    // Act
    const result = await asDeleteFile.send(
      new DeleteObjectsCommand({ Bucket: stack.bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }),
    );

    // Assess
    expect(result.$metadata.httpStatusCode).toBe(200);
    expect(result.Errors).toEqual([expect.objectContaining({ Key: keys[1], Code: 'AccessDenied' })]);
    expect([await storage.exists(keys[0] ?? ''), await storage.exists(keys[1] ?? '')]).toEqual([false, true]);
    admin.destroy();
    asDeleteFile.destroy();
  });

  it('refuses a CopyObject whose caller may write the destination but not read the source', async () => {
    // Prepare: presignUploadParts may write files/ (it signs parts there), not read them.
    const { stack, storage } = context;
    const admin = s3As(stack, stack.credentials);
    const source = `files/org-a/${randomUUID()}/a.txt`;
    const target = `files/org-a/${randomUUID()}/copy.txt`;
    await admin.send(new PutObjectCommand({ Bucket: stack.bucket, Key: source, Body: 'x' }));
    const asPartSigner = s3As(stack, stack.iam.credentialsOf('presignUploadParts'));

    // Act
    const attempt = asPartSigner.send(new CopyObjectCommand({ Bucket: stack.bucket, Key: target, CopySource: `${stack.bucket}/${source}` }));

    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    expect(await storage.exists(target)).toBe(false);
    admin.destroy();
    asPartSigner.destroy();
  });
});

describe('a function missing one permission fails locally as it would on AWS', () => {
  const everythingButCopyTarget = operations.find((operation) => operation.name === 'saveFile')?.permissions.filter((p) => p !== 'files:put');
  const context = useLocalStack({
    sweepIntervalMs: 0,
    permissions: { saveFile: everythingButCopyTarget ?? [], uploadFile: ['temp:put', 'table:put'] },
  });

  it('fails a save whose Lambda may not write the permanent key, and stores no file', async () => {
    // Prepare
    const { api, stack, storage } = context;
    const ticket = await api.post<Ticket>('/v2/files/upload', { filename: 'a.txt', mime_type: 'text/plain' });
    await putBytes(ticket.body.upload_url, Buffer.from('a'), 'text/plain');

    // Act
    const saved = await api.post('/v2/files', { s3ref: ticket.body.s3ref });

    // Assess
    expect([500, 503]).toContain(saved.status);
    expect(stack.iam.denied()).toContainEqual(
      expect.objectContaining({ function: 'saveFile', service: 's3', action: 's3:PutObject', resource: expect.stringContaining(':::file-service-local/files/') }),
    );
    expect(await storage.keys('files/')).toEqual([]);
  });

  it('fails an upload for a new version when its Lambda may not read the table', async () => {
    // Act
    const { api, stack } = context;
    const ticket = await api.post(`/v2/files/upload?file_entity_id=${randomUUID()}`, { filename: 'a.txt', mime_type: 'text/plain' });

    // Assess
    expect([500, 503]).toContain(ticket.status);
    expect(stack.iam.denied()).toContainEqual(
      expect.objectContaining({ function: 'uploadFile', service: 'dynamodb', action: 'dynamodb:GetItem' }),
    );
  });
});
