import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../lambdas/http/openapi';
import { epilotSpec } from '../support/epilot-spec';
import { putBytes } from './support/api';
import { EpilotAnswers } from './support/epilot-answers';
import { DocumentedApi } from './support/openapi';
import { useLocalStack } from './support/stack';

/**
 * The OpenAPI document against the real service: every operation is called over HTTP on the
 * local stack, by operationId, with the documented path, and every answer (status, headers,
 * body) must be one the document describes for it (see DocumentedApi). Errors too: the
 * service's ErrorObject and API Gateway's own answers.
 */

const context = useLocalStack();
const unknownId = '0f8fad5b-d9cb-469f-a165-70867728950e';

interface Entity {
  _id: string;
  s3ref: { bucket: string; key: string };
}

let file: Entity;
let image: Entity;
/** Every answer is also checked against epilot's File API spec, where epilot has the operation. */
const epilot = new EpilotAnswers();

async function pngOf(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 30, b: 30 } } }).png().toBuffer();
}

/** uploadFile (v1 or v2), the PUT to S3, then saveFile (v1 or v2): the entity. */
async function uploaded(as: DocumentedApi, names: { upload: string; save: string }, filename: string, mimeType: string, bytes: Uint8Array): Promise<Entity> {
  const ticket = await as.call(names.upload, { body: { filename, mime_type: mimeType } });
  expect(ticket.status).toBe(201);
  const { upload_url, s3ref } = ticket.body as { upload_url: string; s3ref: Entity['s3ref'] };
  expect((await putBytes(upload_url, bytes, mimeType)).status).toBe(200);
  const saved = await as.call(names.save, { body: { s3ref, filename } });
  expect(saved.status).toBe(201);
  return saved.body as Entity;
}

describe('the OpenAPI document describes the service as it answers', () => {
  let own: DocumentedApi;

  it('describes uploads and saves, v1 and v2, by s3ref, inline and as new versions', async () => {
    // Prepare
    own = new DocumentedApi(context.stack.url, openApiDocument(), await context.stack.auth.sign({ org: 'org-a', user: 'alice' }));
    own.observers.push((operationId, answer) => epilot.check(operationId, answer));

    // Act
    file = await uploaded(own, { upload: 'uploadFileV2', save: 'saveFileV2' }, 'report.txt', 'text/plain', Buffer.from('hello'));
    const v1 = await uploaded(own, { upload: 'uploadFile', save: 'saveFile' }, 'old.txt', 'text/plain', Buffer.from('v1'));
    image = await uploaded(own, { upload: 'uploadFileV2', save: 'saveFileV2' }, 'red.png', 'image/png', await pngOf(400, 300));
    const inline = await own.call('saveFileV2', { body: { filename: 'inline.txt', content_base64: Buffer.from('inline').toString('base64') } });
    const version = await own.call('saveFileV2', { body: { _id: file._id, filename: 'report.txt', content_base64: Buffer.from('hello again').toString('base64') } });
    const metadataOnly = await own.call('saveFileV2', { body: { _id: file._id, _title: 'Report' } });
    const post = await own.call('uploadFileV2', { body: { filename: 'form.txt', mime_type: 'text/plain', upload_method: 'post', size_bytes: 5 } });
    const refreshed = await own.call('refreshUpload', { body: { s3ref: (post.body as Entity).s3ref } });

    // Assess
    expect([v1._id, inline.status, version.status, metadataOnly.status, refreshed.status]).toEqual([expect.any(String), 201, 200, 200, 200]);
    expect(metadataOnly.headers.get('etag')).toMatch(/^"\d+"$/);
  });

  it('describes reading, listing, updating and downloading files', async () => {
    // Act
    const got = await own.call('getFile', { path: { id: file._id } });
    const gotV1 = await own.call('getFileV1', { path: { id: file._id } });
    const updated = await own.call('updateFile', { path: { id: file._id }, body: { _tags: ['a'] }, headers: { 'if-match': got.headers.get('etag') ?? '' } });
    const stale = await own.call('updateFile', { path: { id: file._id }, body: { _tags: ['b'] }, headers: { 'if-match': '"0"' } });
    const listed = await own.call('listFiles', { query: { limit: 2, sort: 'filename' } });
    const versions = await own.call('listFileVersions', { path: { id: file._id }, query: { limit: 1 } });
    const batch = await own.call('batchGetFiles', { body: { ids: [file._id, unknownId] } });
    const download = await own.call('downloadFile', { path: { id: file._id }, query: { version: 1, attachment: false } });
    const downloads = await own.call('downloadFiles', { body: [{ id: file._id }, { id: unknownId }] });
    const byS3ref = await own.call('downloadS3File', { query: { s3_bucket: file.s3ref.bucket, s3_key: file.s3ref.key } });

    // Assess
    expect([got, gotV1, updated, listed, versions, batch, download, downloads, byS3ref].map((answer) => answer.status)).toEqual(Array(9).fill(200));
    expect(stale.status).toBe(412);
    expect((listed.body as { next_cursor?: string }).next_cursor).toEqual(expect.any(String));
    expect((versions.body as { next_cursor?: string }).next_cursor).toEqual(expect.any(String));
  });

  it('describes previews: the image, the 304 of a current ETag, by s3ref in a body and in a query', async () => {
    // Act
    const preview = await own.call('previewFile', { path: { id: image._id }, query: { w: 100, h: 100 } });
    const again = await own.call('previewFile', { path: { id: image._id }, query: { w: 100, h: 100 }, headers: { 'if-none-match': preview.headers.get('etag') ?? '' } });
    const byBody = await own.call('previewS3File', { body: image.s3ref, query: { w: 50 } });
    const byQuery = await own.call('previewS3FileGet', { query: { bucket: image.s3ref.bucket, key: image.s3ref.key, h: 50 } });
    const noPreview = await own.call('previewFile', { path: { id: file._id } });

    // Assess
    expect([preview.status, again.status, byBody.status, byQuery.status]).toEqual([200, 304, 200, 200]);
    expect(noPreview.status).toBeGreaterThanOrEqual(400);
  });

  it('describes public links and public files, reached without a token', async () => {
    // Act
    const made = await own.call('generatePublicLink', { path: { id: file._id }, body: {} });
    const links = await own.call('listPublicLinksForFile', { path: { id: file._id } });
    const [, linkId, filename] = /\/links\/([^/]+)\/([^/?]+)$/.exec(made.body as string) ?? [];
    const opened = await own.call('accessPublicLink', { token: null, path: { id: linkId ?? '', filename: decodeURIComponent(filename ?? '') } });
    const revoked = await own.call('revokePublicLink', { path: { id: linkId ?? '' } });
    const gone = await own.call('accessPublicLink', { token: null, path: { id: linkId ?? '', filename: 'x' } });
    const privateOne = await own.call('getPublicFile', { token: null, path: { id: image._id }, query: { org_id: 'org-a' } });
    await own.call('updateFile', { path: { id: image._id }, body: { access_control: 'public-read' } });
    const publicOne = await own.call('getPublicFile', { token: null, path: { id: image._id }, query: { org_id: 'org-a' } });
    const publicPreview = await own.call('previewPublicFile', { token: null, path: { id: image._id }, query: { org_id: 'org-a', w: 20 } });

    // Assess
    expect([made.status, links.status, opened.status, revoked.status, gone.status]).toEqual([201, 200, 302, 204, 404]);
    expect([privateOne.status, publicOne.status, publicPreview.status]).toEqual([403, 302, 200]);
  });

  it('describes multipart uploads and the signing of a browser\'s own upload calls', async () => {
    // Act
    const ticket = await own.call('uploadFileV2', { body: { filename: 'big.bin', upload_method: 'multipart', size_bytes: 6 * 1024 * 1024 } });
    const { upload_id } = ticket.body as { upload_id: string };
    const urls = await own.call('presignUploadParts', { path: { upload_id }, body: { part_numbers: [1] } });
    const [part] = (urls.body as { parts: Array<{ url: string }> }).parts;
    expect((await fetch(part?.url ?? '', { method: 'PUT', body: Buffer.alloc(1024, 1) })).status).toBe(200);
    const held = await own.call('listUploadParts', { path: { upload_id } });
    const aborted = await own.call('abortUpload', { path: { upload_id } });
    const signed = await own.call('signUploadRequest', { body: { method: 'PUT', key: 'direct.txt', contentType: 'text/plain' } });

    // Assess
    expect([ticket.status, urls.status, held.status, aborted.status, signed.status]).toEqual([201, 200, 200, 204, 200]);
    expect((held.body as { parts: unknown[] }).parts).toHaveLength(1);
  });

  it('describes copies, sessions and deletes', async () => {
    // Act
    const copy = await own.call('copyFile', { path: { id: file._id }, body: { filename: 'copy.txt' } });
    const asVersion = await own.call('copyFile', { path: { id: image._id }, body: { file_entity_id: (copy.body as Entity)._id } });
    const session = await own.call('getSession');
    const ended = await own.call('deleteSession', { token: null });
    const deleted = await own.call('deleteFile', { path: { id: (copy.body as Entity)._id } });
    const deletedV1 = await own.call('deleteFileV1', { path: { id: file._id } });

    // Assess
    expect([copy.status, asVersion.status, session.status, ended.status, deleted.status, deletedV1.status]).toEqual([201, 200, 200, 200, 200, 200]);
  });

  it('describes refusals: the service\'s ErrorObject and API Gateway\'s own answers', async () => {
    // Prepare
    const other = own.as(await context.stack.auth.sign({ org: 'org-b', user: 'bob' }));

    // Act
    const invalid = await own.call('uploadFileV2', { body: { filename: '' } });
    const missing = await other.call('getFile', { path: { id: image._id } });
    const noToken = await own.call('listFiles', { token: null });
    const badToken = await own.call('getFile', { token: 'not-a-token', path: { id: image._id } });
    const noCookie = await own.call('downloadFile', { token: null, path: { id: image._id } });
    const tooMany = await own.call('batchGetFiles', { body: { ids: Array(101).fill(unknownId) } });
    const badQuery = await own.call('listFiles', { query: { limit: 1000 } });

    // Assess
    expect([invalid.status, missing.status, noToken.status, badToken.status, noCookie.status, tooMany.status, badQuery.status]).toEqual([
      400, 404, 401, 401, 403, 400, 400,
    ]);
    expect(noToken.body).toEqual({ message: 'Unauthorized' });
    expect(invalid.body).toMatchObject({ status: 400, error: expect.any(String) });
  });

  it('serves itself at GET /openapi.json without a token, as it describes that answer, its server the local API', async () => {
    // Prepare
    const anonymous = own.as(undefined);

    // Act
    const answer = await anonymous.call('getOpenApiDocument');

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('public, max-age=300');
    const served = answer.body as { servers: unknown; paths: unknown; components: unknown };
    expect(served.servers).toEqual([{ url: context.stack.url }]);
    expect(served.paths).toEqual(openApiDocument().paths);
    expect(served.components).toEqual(openApiDocument().components);
  });

  it('leaves no operation of the document uncalled, and each gave at least one of its documented successes', () => {
    // Act
    const unanswered = own
      .operationIds()
      .filter((id) => !own.successStatuses(id).some((status) => own.answered.get(id)?.has(status)));

    // Assess
    expect(unanswered).toEqual([]);
  });
});


/**
 * Where our answers differ from epilot's File API spec on purpose: one field of one
 * operation's answer, with the reason. Each must still occur.
 */
const knownAnswerDifferences: ReadonlyArray<{ operation: string; field: RegExp; reason: string }> = [];

describe('the answers of the operations both APIs share', () => {
  it('are what epilot\'s File API spec describes, but for the listed differences', () => {
    // Act
    const unexplained = epilot.mismatches.filter((mismatch) => !knownAnswerDifferences.some((known) => known.operation === mismatch.operation && known.field.test(mismatch.field)));

    // Assess
    expect(unexplained.map((mismatch) => `${mismatch.operation} ${mismatch.status} ${mismatch.field}: ${mismatch.message}`)).toEqual([]);
  });

  it('were checked for every shared operation whose success epilot describes as JSON, and every listed difference still occurs', () => {
    // Prepare
    const describedAsJson = [...epilotSpec().operations.values()]
      .filter((operation) => openApiDocument() && operationIdsOf(openApiDocument()).includes(operation.operationId))
      .filter((operation) => Object.entries(operation.responses).some(([status, schema]) => Number(status) < 300 && schema !== undefined))
      .map((operation) => operation.operationId);

    // Act
    const unchecked = describedAsJson.filter((id) => ![...(epilot.checked.get(id) ?? [])].some((status) => status < 300));
    const unseen = knownAnswerDifferences.filter((known) => !epilot.mismatches.some((mismatch) => mismatch.operation === known.operation && known.field.test(mismatch.field)));

    // Assess
    expect(describedAsJson.length).toBeGreaterThan(8);
    expect(unchecked).toEqual([]);
    expect(unseen.map((known) => `${known.operation} ${String(known.field)}`)).toEqual([]);
  });
});

function operationIdsOf(document: ReturnType<typeof openApiDocument>): string[] {
  return Object.values(document.paths).flatMap((item) => Object.values(item).map((operation) => operation.operationId as string));
}
