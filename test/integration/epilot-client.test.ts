import { randomBytes, randomUUID } from 'node:crypto';
import { createClient } from '@epilot/file-client';
import type { Client, Components } from '@epilot/file-client';
import { isAxiosError } from 'axios';
import type { AxiosError } from 'axios';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack } from '../../local/stack';
import type { LocalStack } from '../../local/stack';

/**
 * The service driven by epilot's own published client, @epilot/file-client, the way an app
 * using it would: the API calls go through the client with a bearer token, the bytes go
 * straight to the presigned S3 URLs with a plain fetch (no API Authorization header).
 */

type FileEntity = Components.Schemas.FileEntity;
type S3Ref = Components.Schemas.S3Ref;

const org = 'org-client-test';
const otherOrg = 'org-client-other';

/** A client of the real SDK pointed at the local API, authenticated as `token`. */
function clientFor(baseURL: string, token: string): Client {
  const client = createClient();
  client.defaults.baseURL = baseURL;
  client.defaults.headers.common.Authorization = `Bearer ${token}`;
  return client;
}

/** PUTs the bytes to a presigned URL as a browser or app would: no API credentials. */
async function putBytes(uploadUrl: string, body: Buffer, contentType: string): Promise<Response> {
  return fetch(uploadUrl, { method: 'PUT', body, headers: { 'content-type': contentType } });
}

async function fetchBytes(url: string): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const response = await fetch(url);
  return { status: response.status, headers: response.headers, body: Buffer.from(await response.arrayBuffer()) };
}

/** The axios error a client call was rejected with; fails the test if it resolved. */
async function rejection(call: Promise<unknown>): Promise<AxiosError<{ status?: number; error?: string }>> {
  try {
    await call;
  } catch (error) {
    if (isAxiosError<{ status?: number; error?: string }>(error)) return error;
    throw error;
  }
  throw new Error('Expected the client call to be rejected, but it succeeded');
}

function requireString(value: string | undefined, name: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new Error(`${name} is missing`);
  return value;
}

describe('the epilot file client against the local stack', () => {
  let stack: LocalStack;
  let client: Client;
  let otherOrgClient: Client;

  beforeAll(async () => {
    stack = await startLocalStack({});
    client = clientFor(stack.url, await stack.auth.sign({ org, user: 'user-1' }));
    otherOrgClient = clientFor(stack.url, await stack.auth.sign({ org: otherOrg, user: 'user-2' }));
  });

  afterAll(async () => {
    await stack?.stop();
  });

  describe('a binary file with two versions, from upload to delete', () => {
    const filename = 'random payload.bin';
    const mimeType = 'application/octet-stream';
    const v1Bytes = randomBytes(64 * 1024);
    const v2Bytes = randomBytes(48 * 1024 + 7);
    const relations = [{ entity_id: randomUUID(), _schema: 'contact', _tags: ['attachment'] }];
    const tags = ['invoice', '2024'];

    // Each test builds the state it starts from with these steps, so any test runs alone and in any order.

    type Upload = { s3ref: S3Ref; upload_url: string };

    async function uploadV1(): Promise<Upload> {
      const response = await client.uploadFileV2(null, { filename, mime_type: mimeType });
      if (response.status !== 201 || !response.data.s3ref) throw new Error(`uploadFileV2 answered ${response.status}`);
      return { s3ref: response.data.s3ref, upload_url: requireString(response.data.upload_url, 'upload_url') };
    }

    async function put(upload: Upload, bytes: Buffer): Promise<void> {
      const response = await putBytes(upload.upload_url, bytes, mimeType);
      if (response.status !== 200) throw new Error(`PUT answered ${response.status}: ${await response.text()}`);
    }

    /** The first version saved, with its tags and relations. */
    async function savedV1(): Promise<{ v1Upload: Upload; saved: FileEntity; fileId: string }> {
      const v1Upload = await uploadV1();
      await put(v1Upload, v1Bytes);
      const response = await client.saveFileV2(null, { s3ref: v1Upload.s3ref, filename, access_control: 'private', _tags: tags, relations });
      if (response.status !== 201) throw new Error(`saveFileV2 answered ${response.status}`);
      return { v1Upload, saved: response.data, fileId: requireString(response.data._id, '_id') };
    }

    /** The bytes of a second version uploaded for `fileId`, not saved yet. */
    async function stagedV2(fileId: string): Promise<Upload> {
      const response = await client.uploadFileV2({ file_entity_id: fileId }, { filename, mime_type: mimeType });
      if (response.status !== 201 || !response.data.s3ref) throw new Error(`uploadFileV2 answered ${response.status}`);
      const v2Upload = { s3ref: response.data.s3ref, upload_url: requireString(response.data.upload_url, 'upload_url') };
      await put(v2Upload, v2Bytes);
      return v2Upload;
    }

    async function withTwoVersions(): Promise<{ fileId: string }> {
      const { fileId } = await savedV1();
      const response = await client.saveFileV2(null, { _id: fileId, s3ref: (await stagedV2(fileId)).s3ref, filename });
      if (response.status !== 200) throw new Error(`saveFileV2 with _id answered ${response.status}`);
      return { fileId };
    }

    /** A file with two versions, deleted after download URLs for both were issued. */
    async function deletedAfterIssuingUrls(): Promise<{ fileId: string; issuedDownloadUrls: string[] }> {
      const { fileId } = await withTwoVersions();
      const links = await Promise.all([0, 1].map((version) => client.downloadFile({ id: fileId, version })));
      const issuedDownloadUrls = links.map((link) => requireString(link.data.download_url, 'download_url'));
      const deleted = await client.deleteFile({ id: fileId });
      if (deleted.status !== 200) throw new Error(`deleteFile answered ${deleted.status}`);
      return { fileId, issuedDownloadUrls };
    }

    it('uploadFileV2 answers 201 with an s3ref under temp/ in the stack bucket and an upload_url', async () => {
      const response = await client.uploadFileV2(null, { filename, mime_type: mimeType });

      expect(response.status).toBe(201);
      expect(response.data.s3ref?.bucket).toBe(stack.bucket);
      expect(response.data.s3ref?.key).toMatch(/^temp\/.+\/random payload\.bin$/);
      expect(response.data.upload_url).toMatch(/^http:\/\/.+X-Amz-Signature=/);
    });

    it('accepts the bytes with a plain PUT to the upload_url carrying the same content type', async () => {
      const v1Upload = await uploadV1();

      const response = await putBytes(v1Upload.upload_url, v1Bytes, mimeType);

      expect(response.status).toBe(200);
    });

    it('saveFileV2 turns the upload into a file entity carrying its size, tags and relations', async () => {
      const v1Upload = await uploadV1();
      await put(v1Upload, v1Bytes);

      const response = await client.saveFileV2(null, {
        s3ref: v1Upload.s3ref,
        filename,
        access_control: 'private',
        _tags: tags,
        relations,
      });

      expect([200, 201]).toContain(response.status);
      const saved = response.data;
      const fileId = requireString(saved._id, '_id');
      expect(fileId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(saved).toMatchObject({
        _schema: 'file',
        _org: org,
        filename,
        type: 'unknown',
        mime_type: mimeType,
        size_bytes: v1Bytes.length,
        // 65,536 bytes in the service's decimal units.
        readable_size: '66 KB',
        access_control: 'private',
        _tags: tags,
        relations,
      });
      expect(saved.versions).toHaveLength(1);
      expect(saved.versions[0]).toMatchObject({ filename, size_bytes: v1Bytes.length, mime_type: mimeType });
      expect(saved.s3ref?.bucket).toBe(stack.bucket);
      expect(saved.s3ref?.key).not.toMatch(/^temp\//);
    });

    it('getFile returns the same entity that saveFileV2 returned', async () => {
      const { saved, fileId } = await savedV1();

      const response = await client.getFile({ id: fileId });

      expect(response.status).toBe(200);
      expect(response.data).toEqual(saved);
    });

    it('downloadFile gives a URL serving exactly the uploaded bytes as an attachment named after the file', async () => {
      const { fileId } = await savedV1();

      const response = await client.downloadFile({ id: fileId });
      const download = await fetchBytes(requireString(response.data.download_url, 'download_url'));

      expect(response.status).toBe(200);
      expect(download.status).toBe(200);
      expect(download.body.equals(v1Bytes)).toBe(true);
      expect(download.headers.get('content-disposition')).toMatch(/^attachment; filename="random payload\.bin"/);
    });

    it('uploadFileV2 with file_entity_id prepares a new version and points at the current public_url', async () => {
      const { v1Upload, fileId } = await savedV1();

      const response = await client.uploadFileV2({ file_entity_id: fileId }, { filename, mime_type: mimeType });

      expect(response.status).toBe(201);
      expect(response.data.s3ref?.key).toMatch(/^temp\//);
      expect(response.data.s3ref?.key).not.toBe(v1Upload.s3ref.key);
      expect(response.data.public_url).toContain(encodeURIComponent(fileId));
      expect((await putBytes(requireString(response.data.upload_url, 'upload_url'), v2Bytes, mimeType)).status).toBe(200);
    });

    it('saveFileV2 with _id adds a second version and moves the entity to the new bytes', async () => {
      const { saved, fileId } = await savedV1();
      const v2Upload = await stagedV2(fileId);

      const response = await client.saveFileV2(null, { _id: fileId, s3ref: v2Upload.s3ref, filename });

      expect(response.status).toBe(200);
      expect(response.data._id).toBe(fileId);
      expect(response.data.size_bytes).toBe(v2Bytes.length);
      expect(response.data.versions).toHaveLength(2);
      expect(response.data.versions[0]?.size_bytes).toBe(v2Bytes.length);
      expect(response.data.versions[1]?.size_bytes).toBe(v1Bytes.length);
      expect(response.data.s3ref).toEqual(response.data.versions[0]?.s3ref);
      expect(response.data.s3ref).not.toEqual(saved.s3ref);
      // Metadata not sent again is kept (relations are not in the SDK's FileEntity type).
      expect(response.data).toMatchObject({ _tags: tags, relations });
    });

    it('downloadFile serves the new bytes for version 0 and the first bytes for version 1', async () => {
      const { fileId } = await withTwoVersions();

      const latest = await client.downloadFile({ id: fileId, version: 0 });
      const previous = await client.downloadFile({ id: fileId, version: 1 });

      const issuedDownloadUrls = [latest, previous].map((response) => requireString(response.data.download_url, 'download_url'));
      const [latestBytes, previousBytes] = await Promise.all(issuedDownloadUrls.map(fetchBytes));
      expect(latestBytes?.status).toBe(200);
      expect(latestBytes?.body.equals(v2Bytes)).toBe(true);
      expect(previousBytes?.status).toBe(200);
      expect(previousBytes?.body.equals(v1Bytes)).toBe(true);
    });

    it('downloadFiles answers one URL per requested version, in order, each serving its bytes', async () => {
      const { fileId } = await withTwoVersions();

      const response = await client.downloadFiles(null, [
        { id: fileId, version: 0 },
        { id: fileId, version: 1 },
      ]);

      expect(response.status).toBe(200);
      expect(response.data).toHaveLength(2);
      expect(response.data.map((item) => item.file_entity_id)).toEqual([fileId, fileId]);
      const [first, second] = await Promise.all(
        response.data.map((item) => fetchBytes(requireString(item.download_url, 'download_url'))),
      );
      expect(first?.body.equals(v2Bytes)).toBe(true);
      expect(second?.body.equals(v1Bytes)).toBe(true);
    });

    it('getFile with a token of another organization is answered 404 and reveals nothing', async () => {
      const { fileId } = await withTwoVersions();

      const error = await rejection(otherOrgClient.getFile({ id: fileId }));

      expect(error.response?.status).toBe(404);
      expect(error.response?.data).toEqual({ status: 404, error: expect.any(String) });
      expect(JSON.stringify(error.response?.data)).not.toContain(filename);
    });

    it('downloadFile with a token of another organization is answered 404', async () => {
      const { fileId } = await withTwoVersions();

      const error = await rejection(otherOrgClient.downloadFile({ id: fileId }));

      expect(error.response?.status).toBe(404);
      expect(error.response?.data).toMatchObject({ status: 404 });
    });

    it('deleteFile answers 200 with the deleted entity', async () => {
      const { fileId } = await withTwoVersions();

      const response = await client.deleteFile({ id: fileId });

      expect(response.status).toBe(200);
      expect(response.data._id).toBe(fileId);
    });

    it('getFile after the delete is rejected by the client as an axios error with a JSON 404', async () => {
      const { fileId } = await deletedAfterIssuingUrls();

      const error = await rejection(client.getFile({ id: fileId }));

      expect(error.response?.status).toBe(404);
      expect(error.response?.headers['content-type']).toMatch(/^application\/json/);
      expect(error.response?.data).toEqual({ status: 404, error: expect.stringContaining(fileId) });
    });

    it('downloadFile of the deleted file is answered 404 and the URLs issued before serve nothing', async () => {
      const { fileId, issuedDownloadUrls } = await deletedAfterIssuingUrls();

      const error = await rejection(client.downloadFile({ id: fileId, version: 1 }));
      const stale = await Promise.all(issuedDownloadUrls.map(fetchBytes));

      expect(error.response?.status).toBe(404);
      // S3 answers a missing key with 403 to a signer without s3:ListBucket, as downloadFile is.
      expect(stale.map((response) => response.status)).toEqual([403, 403]);
    });
  });

  describe('the deprecated v1 operations', () => {
    const filename = 'notes.txt';
    const mimeType = 'text/plain';
    const bytes = Buffer.from('Zählerstand: 12345 kWh\nUnicode ✓ and a trailing newline\n', 'utf8');

    it('uploadFile, a PUT and saveFile store a text file that downloads byte for byte', async () => {
      const upload = await client.uploadFile(null, { filename, mime_type: mimeType });
      expect(upload.status).toBe(201);
      expect(upload.data.s3ref?.bucket).toBe(stack.bucket);
      expect(upload.data.s3ref?.key).toMatch(/^temp\/.+\/notes\.txt$/);

      const put = await putBytes(requireString(upload.data.upload_url, 'upload_url'), bytes, mimeType);
      expect(put.status).toBe(200);

      const s3ref = upload.data.s3ref;
      if (!s3ref) throw new Error('s3ref is missing');
      const save = await client.saveFile(null, { s3ref, filename });
      expect(save.status).toBe(201);
      expect(save.data).toMatchObject({ filename, type: 'text', size_bytes: bytes.length });
      expect(save.data.versions).toHaveLength(1);

      const id = requireString(save.data._id, '_id');
      const download = await client.downloadFile({ id });
      const served = await fetchBytes(requireString(download.data.download_url, 'download_url'));
      expect(served.status).toBe(200);
      expect(served.body.equals(bytes)).toBe(true);
      expect(served.headers.get('content-type')).toMatch(/^text\/plain/);
    });
  });

  describe('requests the service refuses', () => {
    it('a client without a token is answered 401 with a JSON error', async () => {
      const anonymous = createClient();
      anonymous.defaults.baseURL = stack.url;

      const error = await rejection(anonymous.getFile({ id: randomUUID() }));

      expect(error.response?.status).toBe(401);
      expect(error.response?.data).toEqual({ message: 'Unauthorized' });
    });

    it('a PUT whose Content-Type differs from the mime_type asked for is refused by S3', async () => {
      const upload = await client.uploadFileV2(null, { filename: 'typed.txt', mime_type: 'text/plain' });

      const put = await putBytes(requireString(upload.data.upload_url, 'upload_url'), randomBytes(32), 'image/png');

      expect(put.status).toBe(403);
    });

    it('a PUT that also carries the API bearer token is refused by S3, so apps must send it without one', async () => {
      const upload = await client.uploadFileV2(null, { filename: 'doubly-signed.bin' });
      const token = await stack.auth.sign({ org, user: 'user-1' });

      const put = await fetch(requireString(upload.data.upload_url, 'upload_url'), {
        method: 'PUT',
        body: randomBytes(32),
        headers: { 'content-type': 'application/octet-stream', authorization: `Bearer ${token}` },
      });

      expect(put.status).toBe(400);
      expect(await put.text()).toContain('<Code>InvalidArgument</Code>');
    });

    it('saveFileV2 of an s3ref whose bytes were never uploaded is answered 404', async () => {
      const upload = await client.uploadFileV2(null, { filename: 'never-sent.bin' });
      const s3ref = upload.data.s3ref;
      if (!s3ref) throw new Error('s3ref is missing');

      const error = await rejection(client.saveFileV2(null, { s3ref, filename: 'never-sent.bin' }));

      expect(error.response?.status).toBe(404);
      expect(error.response?.data).toMatchObject({ status: 404, error: expect.any(String) });
    });
  });
  describe('previews and downloads by s3ref', () => {
    it('previewFile, previewS3File (POST and GET) and downloadS3File answer through the client as epilot documents them', async () => {
      // Prepare: a 400 × 200 PNG, saved; and the same bytes uploaded but not saved.
      const png = await sharp({ create: { width: 400, height: 200, channels: 3, background: 'orange' } }).png().toBuffer();
      const upload = await client.uploadFileV2(null, { filename: 'chart.png', mime_type: 'image/png' });
      await putBytes(requireString(upload.data.upload_url, 'upload_url'), png, 'image/png');
      const saved = await client.saveFileV2(null, { s3ref: upload.data.s3ref as S3Ref, filename: 'chart.png', delete_temp_file: false } as never);
      const fileId = requireString(saved.data._id, '_id');
      const draft = await client.uploadFileV2(null, { filename: 'draft.png', mime_type: 'image/png' });
      await putBytes(requireString(draft.data.upload_url, 'upload_url'), png, 'image/png');
      const draftRef = draft.data.s3ref as S3Ref;
      const binary = { responseType: 'arraybuffer' as const };

      // Act
      const preview = await client.previewFile({ id: fileId, w: 100 }, null, binary);
      const posted = await client.previewS3File({ h: 50 }, draftRef, binary);
      const got = await client.previewS3FileGet({ bucket: draftRef.bucket, key: draftRef.key, w: 40 }, null, binary);
      const download = await client.downloadS3File({ s3_bucket: draftRef.bucket, s3_key: draftRef.key });
      const foreign = await rejection(otherOrgClient.previewFile({ id: fileId }, null, binary));

      // Assess
      expect(preview.status).toBe(200);
      expect(await sharp(Buffer.from(preview.data as unknown as ArrayBuffer)).metadata()).toMatchObject({ width: 100, height: 50 });
      expect(await sharp(Buffer.from(posted.data as unknown as ArrayBuffer)).metadata()).toMatchObject({ width: 100, height: 50 });
      expect(await sharp(Buffer.from(got.data as unknown as ArrayBuffer)).metadata()).toMatchObject({ width: 40, height: 20 });
      expect((await fetchBytes(requireString(download.data.download_url, 'download_url'))).body.equals(png)).toBe(true);
      expect(foreign.response?.status).toBe(404);
    });
  });
});
