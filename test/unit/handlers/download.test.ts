import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler as downloadFile } from '../../../lambdas/handlers/download-file';
import { handler as downloadFiles } from '../../../lambdas/handlers/download-files';
import { bucket, ddb, entityItem, pk, region, s3, useMockedAws, versionItem, versionKey, versionSk } from './aws';
import { apiEvent, bodyOf } from './events';

useMockedAws();

const fileId = '9b2e7c1d-3f4a-4b5c-8d6e-7f8091a2b3c4';
const otherId = '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f';

/** A stored file with two versions; any other id is unknown. */
function storedFileWithTwoVersions(): void {
  ddb.on(GetCommand).resolves({});
  ddb.on(GetCommand, { Key: { pk: pk(fileId), sk: 'FILE' } }).resolves({ Item: entityItem(fileId, 2) });
  for (const version of [1, 2]) {
    ddb.on(GetCommand, { Key: { pk: pk(fileId), sk: versionSk(version) } }).resolves({ Item: versionItem(fileId, version) });
  }
}

function downloadEvent(query?: Record<string, string>) {
  return apiEvent({ routeKey: 'GET /v1/files/{id}/download', path: { id: fileId }, ...(query ? { query } : {}) });
}

describe('download-file handler', () => {
  it('presigns a GET of the latest version as an attachment by default', async () => {
    // Prepare
    storedFileWithTwoVersions();

    // Act
    const result = await downloadFile(downloadEvent());

    // Assess
    expect(result.statusCode).toBe(200);
    const url = new URL(bodyOf<{ download_url: string }>(result).download_url);
    expect(url.hostname).toBe(`${bucket}.s3.${region}.amazonaws.com`);
    expect(decodeURIComponent(url.pathname)).toBe(`/${versionKey(fileId, 2)}`);
    expect(url.searchParams.get('response-content-disposition')).toMatch(/^attachment; filename="v2\.pdf"/);
    expect(url.searchParams.get('response-content-type')).toBe('application/pdf');
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(s3.calls()).toHaveLength(0);
  });

  it('presigns the previous version inline for version=1&attachment=false', async () => {
    // Prepare
    storedFileWithTwoVersions();

    // Act
    const result = await downloadFile(downloadEvent({ version: '1', attachment: 'false' }));

    // Assess
    expect(result.statusCode).toBe(200);
    const url = new URL(bodyOf<{ download_url: string }>(result).download_url);
    expect(decodeURIComponent(url.pathname)).toBe(`/${versionKey(fileId, 1)}`);
    expect(url.searchParams.get('response-content-disposition')).toMatch(/^inline; filename="v1\.pdf"/);
  });

  it.each([
    ['text/html', 'page.html'],
    ['image/svg+xml', 'logo.svg'],
    ['application/xhtml+xml', 'page.xhtml'],
    ['text/javascript', 'app.js'],
    ['application/octet-stream', 'blob'],
  ])('serves %s as an attachment with its type pinned even for attachment=false', async (mimeType, filename) => {
    // Prepare
    storedFileWithTwoVersions();
    ddb.on(GetCommand, { Key: { pk: pk(fileId), sk: versionSk(2) } }).resolves({ Item: { ...versionItem(fileId, 2), mime_type: mimeType, filename } });

    // Act
    const result = await downloadFile(downloadEvent({ attachment: 'false' }));

    // Assess
    expect(result.statusCode).toBe(200);
    const url = new URL(bodyOf<{ download_url: string }>(result).download_url);
    expect(url.searchParams.get('response-content-disposition')).toMatch(new RegExp(`^attachment; filename="${filename}"`));
    expect(url.searchParams.get('response-content-type')).toBe(mimeType);
  });

  it.each(['image/png', 'image/jpeg', 'image/webp', 'application/pdf', 'text/plain; charset=utf-8', 'audio/mpeg', 'video/mp4'])(
    'serves %s inline for attachment=false, with its type pinned',
    async (mimeType) => {
      // Prepare
      storedFileWithTwoVersions();
      ddb.on(GetCommand, { Key: { pk: pk(fileId), sk: versionSk(2) } }).resolves({ Item: { ...versionItem(fileId, 2), mime_type: mimeType } });

      // Act
      const result = await downloadFile(downloadEvent({ attachment: 'false' }));

      // Assess
      const url = new URL(bodyOf<{ download_url: string }>(result).download_url);
      expect(url.searchParams.get('response-content-disposition')).toMatch(/^inline; /);
      expect(url.searchParams.get('response-content-type')).toBe(mimeType);
    },
  );

  it('answers 404 for a version older than the first', async () => {
    // Prepare
    storedFileWithTwoVersions();

    // Act
    const result = await downloadFile(downloadEvent({ version: '2' }));

    // Assess
    expect(result.statusCode).toBe(404);
  });

  it('answers 400 for a version that is not a whole number', async () => {
    // Prepare
    storedFileWithTwoVersions();

    // Act
    const result = await downloadFile(downloadEvent({ version: '-1' }));

    // Assess
    expect(result.statusCode).toBe(400);
    expect(bodyOf<{ error: string }>(result).error).toContain('version');
  });
});

describe('download-files handler', () => {
  it('answers one entry per id in order, with an error entry for an unknown file', async () => {
    // Prepare
    storedFileWithTwoVersions();
    const event = apiEvent({ routeKey: 'POST /v1/files:downloadFiles', body: [{ id: fileId }, { id: otherId }, { id: fileId, version: 1 }] });

    // Act
    const result = await downloadFiles(event);

    // Assess
    expect(result.statusCode).toBe(200);
    const entries = bodyOf<Array<{ file_entity_id: string; download_url?: string; error?: { status: number } }>>(result);
    expect(entries.map((entry) => entry.file_entity_id)).toEqual([fileId, otherId, fileId]);
    expect(decodeURIComponent(new URL(entries[0]?.download_url ?? 'x:').pathname)).toBe(`/${versionKey(fileId, 2)}`);
    expect(entries[1]).toEqual({ file_entity_id: otherId, error: { status: 404, error: expect.any(String) } });
    expect(decodeURIComponent(new URL(entries[2]?.download_url ?? 'x:').pathname)).toBe(`/${versionKey(fileId, 1)}`);
  });

  it('answers 400 for an empty list', async () => {
    // Prepare
    const event = apiEvent({ routeKey: 'POST /v1/files:downloadFiles', body: [] });

    // Act
    const result = await downloadFiles(event);

    // Assess
    expect(result.statusCode).toBe(400);
    expect(ddb.calls()).toHaveLength(0);
  });
});
