import { describe, expect, it } from 'vitest';
import { FileService } from '../../../lambdas/core/file-service';
import type { HttpError } from '../../../lambdas/core/errors';
import { FakeFileRepository, FakeObjectStore, fixedNow, maxUploadBytes, orgA, pngBytes } from './fakes';

const clean = { deleteTempFile: true, versionOnly: false };

function setupWith(allowedMimeTypes?: string[]) {
  const store = new FakeObjectStore();
  const repository = new FakeFileRepository();
  const service = new FileService({
    repository,
    store,
    limits: { maxUploadBytes, ...(allowedMimeTypes ? { allowedMimeTypes } : {}) },
    now: () => fixedNow,
  });
  return { store, repository, service };
}

async function failureOf(attempt: Promise<unknown>): Promise<HttpError> {
  return attempt.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: HttpError) => error,
  );
}

describe('allowed types', () => {
  it('refuses at upload a declared type outside the allow-list with 415 naming what is allowed, and signs nothing', async () => {
    // Prepare
    const { service, store } = setupWith(['image/*', 'application/pdf']);

    // Act
    const error = await failureOf(service.createUpload(orgA, { filename: 'a.txt', mime_type: 'text/plain' }));

    // Assess
    expect(error).toMatchObject({ status: 415, message: expect.stringContaining('text/plain') });
    expect(error.message).toContain('image/*, application/pdf');
    expect(store.uploadsSigned).toEqual([]);
  });

  it.each([
    ['a wildcard', 'image/png'],
    ['an exact type, whatever its case and parameters', 'Application/PDF; version=1.7'],
  ])('accepts at upload a type the allow-list names with %s', async (_case, mimeType) => {
    // Prepare
    const { service, store } = setupWith(['image/*', 'application/pdf']);

    // Act
    await service.createUpload(orgA, { filename: 'a', mime_type: mimeType });

    // Assess
    expect(store.uploadsSigned).toHaveLength(1);
  });

  it('refuses at save an untyped upload whose bytes resolve to a type outside the allow-list, and writes nothing', async () => {
    // Prepare: untyped at upload, so only the bytes can say what it is.
    const { service, store, repository } = setupWith(['application/pdf']);
    const ticket = await service.createUpload(orgA, { filename: 'photo' });
    store.put(ticket.s3ref.key, pngBytes);

    // Act
    const error = await failureOf(service.save(orgA, { s3ref: ticket.s3ref }, clean));

    // Assess
    expect(error).toMatchObject({ status: 415, message: expect.stringContaining('image/png') });
    expect(repository.records.size).toBe(0);
    expect(store.keys('files/')).toEqual([]);
  });

  it('refuses at save PNG bytes declared as text/plain with 415, though text/plain is allowed', async () => {
    // Prepare
    const { service, store, repository } = setupWith(['text/plain']);
    const ticket = await service.createUpload(orgA, { filename: 'notes.txt', mime_type: 'text/plain' });
    store.put(ticket.s3ref.key, pngBytes, 'text/plain');

    // Act
    const error = await failureOf(service.save(orgA, { s3ref: ticket.s3ref }, clean));

    // Assess
    expect(error).toMatchObject({ status: 415, message: 'The uploaded bytes are not text/plain' });
    expect(repository.records.size).toBe(0);
  });

  it('allows every type without an allow-list', async () => {
    // Prepare
    const { service, store } = setupWith();
    const ticket = await service.createUpload(orgA, { filename: 'x.bin', mime_type: 'application/x-anything' });
    store.put(ticket.s3ref.key, 'bytes', 'application/x-anything');

    // Act
    const { entity } = await service.save(orgA, { s3ref: ticket.s3ref }, clean);

    // Assess
    expect(entity.mime_type).toBe('application/x-anything');
  });
});

describe('checksums', () => {
  it('signs the checksum given at upload into the upload URL', async () => {
    // Prepare
    const { service, store } = setupWith();
    const checksum = Buffer.alloc(32, 3).toString('base64');

    // Act
    await service.createUpload(orgA, { filename: 'a.txt', mime_type: 'text/plain', checksum_sha256: checksum });

    // Assess
    expect(store.uploadsSigned[0]).toMatchObject({ contentType: 'text/plain', checksumSha256: checksum });
  });

  it('signs the checksum given at upload into a form upload, and signs it again on refresh', async () => {
    // Prepare
    const { service, store } = setupWith();
    const checksum = Buffer.alloc(32, 4).toString('base64');

    // Act
    const ticket = await service.createUpload(orgA, { filename: 'a.txt', mime_type: 'text/plain', upload_method: 'post', checksum_sha256: checksum });
    const refreshed = await service.refreshUpload(orgA, ticket.s3ref);

    // Assess
    expect(store.postsSigned).toEqual([
      { key: ticket.s3ref.key, contentType: 'text/plain', maxBytes: maxUploadBytes, checksumSha256: checksum },
      { key: ticket.s3ref.key, contentType: 'text/plain', maxBytes: maxUploadBytes, checksumSha256: checksum },
    ]);
    expect(refreshed).toMatchObject({ upload_fields: { 'x-amz-checksum-sha256': checksum } });
  });

  it('keeps the checksum S3 verified on the version, the entity and the entity after a version without one', async () => {
    // Prepare
    const { service, store } = setupWith();
    const first = await service.createUpload(orgA, { filename: 'a.txt', mime_type: 'text/plain' });
    const checksum = store.putChecksummed(first.s3ref.key, 'first bytes', 'text/plain');

    // Act
    const created = (await service.save(orgA, { s3ref: first.s3ref }, clean)).entity;
    const second = await service.createUpload(orgA, { filename: 'a.txt', mime_type: 'text/plain', file_entity_id: created._id });
    store.put(second.s3ref.key, 'second bytes', 'text/plain');
    const updated = (await service.save(orgA, { s3ref: second.s3ref, id: created._id }, clean)).entity;

    // Assess
    expect(created.checksum_sha256).toBe(checksum);
    expect(created.versions[0]?.checksum_sha256).toBe(checksum);
    expect(updated).not.toHaveProperty('checksum_sha256');
    expect(updated.versions[0]).not.toHaveProperty('checksum_sha256');
    expect(updated.versions[1]?.checksum_sha256).toBe(checksum);
  });
});
