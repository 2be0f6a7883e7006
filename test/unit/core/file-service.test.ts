import { describe, expect, it } from 'vitest';
import type { HttpError } from '../../../lambdas/core/errors';
import { maxUploadBytes, orgA, orgB, pngBytes, setup } from './fakes';

const keep = { deleteTempFile: false, versionOnly: false };
const clean = { deleteTempFile: true, versionOnly: false };
const unknownId = '6a1f6c3e-2b4d-4c8e-9f0a-1b2c3d4e5f60';

async function statusOf(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
  } catch (error) {
    return (error as HttpError).status;
  }
  throw new Error('expected the call to fail');
}

describe('FileService.createUpload', () => {
  it("returns a temp key of the caller's org in the store's bucket and signs the content type", async () => {
    // Prepare
    const { service, store } = setup();

    // Act
    const ticket = await service.createUpload(orgA, { filename: 'report.pdf', mime_type: 'application/pdf' });

    // Assess
    expect(ticket.s3ref.bucket).toBe(store.bucket);
    expect(ticket.s3ref.key).toMatch(/^temp\/org-a\/[0-9a-f-]{36}\/report\.pdf$/);
    expect('upload_url' in ticket ? ticket.upload_url : undefined).toContain(ticket.s3ref.key);
    expect(store.uploadsSigned).toEqual([{ key: ticket.s3ref.key, contentType: 'application/pdf' }]);
  });

  it('signs the content length when the size is given', async () => {
    // Prepare
    const { service, store } = setup();

    // Act
    await service.createUpload(orgA, { filename: 'a.txt', mime_type: 'text/plain', size_bytes: 42 });

    // Assess
    expect(store.uploadsSigned[0]).toMatchObject({ contentType: 'text/plain', contentLength: 42 });
  });

  it('gives every upload its own key even for the same filename', async () => {
    // Prepare
    const { service } = setup();
    const request = { filename: 'same.txt', mime_type: 'text/plain' };

    // Act
    const [first, second] = await Promise.all([service.createUpload(orgA, request), service.createUpload(orgA, request)]);

    // Assess
    expect(first.s3ref.key).not.toBe(second.s3ref.key);
  });

  it('refuses a declared size above the limit with 413 and signs nothing', async () => {
    // Prepare
    const { service, store } = setup();

    // Act
    const status = await statusOf(
      service.createUpload(orgA, { filename: 'big.bin', mime_type: 'text/plain', size_bytes: maxUploadBytes + 1 }),
    );

    // Assess
    expect(status).toBe(413);
    expect(store.uploadsSigned).toEqual([]);
  });

  it('signs a POST form limited to the declared size, or else to the service maximum', async () => {
    // Prepare
    const { service, store } = setup();

    // Act
    const declared = await service.createUpload(orgA, { filename: 'a.txt', mime_type: 'text/plain', size_bytes: 42, upload_method: 'post' });
    const undeclared = await service.createUpload(orgA, { filename: 'b.bin', upload_method: 'post' });

    // Assess
    expect(declared).toMatchObject({ max_size_bytes: 42, upload_fields: { key: declared.s3ref.key, 'Content-Type': 'text/plain' } });
    expect(undeclared.max_size_bytes).toBe(maxUploadBytes);
    expect(store.postsSigned).toEqual([
      { key: declared.s3ref.key, contentType: 'text/plain', maxBytes: 42 },
      { key: undeclared.s3ref.key, maxBytes: maxUploadBytes },
    ]);
    expect(store.uploadsSigned).toEqual([]);
  });

  it('answers the public URL with a POST form for a new version, as with a PUT URL', async () => {
    // Prepare
    const { service, saveNew } = setup();
    const file = await saveNew(orgA);

    // Act
    const post = await service.createUpload(orgA, { filename: 'v2.txt', upload_method: 'post', file_entity_id: file._id });
    const put = await service.createUpload(orgA, { filename: 'v2.txt', file_entity_id: file._id });

    // Assess
    expect(post.public_url).toBeDefined();
    expect(post.public_url).toBe(put.public_url);
  });

  it('refuses a POST upload declared above the limit with 413 and signs nothing', async () => {
    // Prepare
    const { service, store } = setup();

    // Act
    const status = await statusOf(service.createUpload(orgA, { filename: 'big.bin', size_bytes: maxUploadBytes + 1, upload_method: 'post' }));

    // Assess
    expect(status).toBe(413);
    expect(store.postsSigned).toEqual([]);
  });

  it("refuses a new version of an unknown or another org's file with 404", async () => {
    // Prepare
    const { service, saveNew } = setup();
    const othersFile = await saveNew(orgB);

    // Act
    const statuses = await Promise.all([
      statusOf(service.createUpload(orgA, { filename: 'a.txt', mime_type: 'text/plain', file_entity_id: unknownId })),
      statusOf(service.createUpload(orgA, { filename: 'a.txt', mime_type: 'text/plain', file_entity_id: othersFile._id })),
    ]);

    // Assess
    expect(statuses).toEqual([404, 404]);
  });
});

describe('FileService.save of a new file', () => {
  it('creates the entity with version 1, derived type and size, verbatim filename and a safe key', async () => {
    // Prepare
    const { service, store, upload } = setup();
    const filename = 'Bericht März ../v2.pdf';
    const pdf = '%PDF-1.7\n' + 'x'.repeat(1225);
    const s3ref = await upload(orgA, filename, pdf, 'application/pdf');

    // Act
    const { entity, created } = await service.save(orgA, { s3ref, filename }, clean);

    // Assess
    expect(created).toBe(true);
    expect(entity).toMatchObject({
      _org: 'org-a',
      filename,
      type: 'document',
      mime_type: 'application/pdf',
      size_bytes: 1234,
      readable_size: '1.2 KB',
      access_control: 'private',
    });
    expect(entity.versions).toHaveLength(1);
    expect(entity.versions[0]?.filename).toBe(filename);
    expect(entity.s3ref.key.startsWith(`files/org-a/${entity._id}/`)).toBe(true);
    expect(entity.s3ref.key.split('/')).toHaveLength(5);
    expect(entity.s3ref.key).not.toContain('..');
    expect(store.objects.get(entity.s3ref.key)?.bytes).toHaveLength(1234);
  });

  it('deletes the temp object once saved', async () => {
    // Prepare
    const { service, store, upload } = setup();
    const s3ref = await upload(orgA, 'a.txt');

    // Act
    await service.save(orgA, { s3ref }, clean);

    // Assess
    expect(store.keys('temp/')).toEqual([]);
    expect(store.keys('files/')).toHaveLength(1);
  });

  it('keeps the temp object when delete_temp_file is false', async () => {
    // Prepare
    const { service, store, upload } = setup();
    const s3ref = await upload(orgA, 'a.txt');

    // Act
    await service.save(orgA, { s3ref }, keep);

    // Assess
    expect(store.keys('temp/')).toEqual([s3ref.key]);
  });

  it('stores the given metadata and can be read back by its org', async () => {
    // Prepare
    const { service, upload } = setup();
    const s3ref = await upload(orgA, 'a.txt');
    const request = { s3ref, title: 'Contract', tags: ['x'], relations: [{ entity_id: 'e1' }], access_control: 'public-read' as const };

    // Act
    const { entity } = await service.save(orgA, request, clean);
    const read = await service.get(orgA, entity._id);

    // Assess
    expect(read).toEqual(entity);
    expect(read).toMatchObject({ _title: 'Contract', _tags: ['x'], relations: [{ entity_id: 'e1' }], access_control: 'public-read' });
  });
});

describe('FileService.save refusals', () => {
  const png = 'image/png';
  const cases: Array<[string, number, (ctx: ReturnType<typeof setup>) => Promise<unknown>]> = [
    ['an s3ref in another bucket', 400, async ({ service, upload }) => {
      const s3ref = await upload(orgA, 'a.txt');
      return service.save(orgA, { s3ref: { ...s3ref, bucket: 'other-bucket' } }, clean);
    }],
    ['a key that is not a temp key', 400, async ({ service, store }) => {
      store.put('uploads/org-a/x.txt', 'hi', 'text/plain');
      return service.save(orgA, { s3ref: { bucket: store.bucket, key: 'uploads/org-a/x.txt' } }, clean);
    }],
    ["another org's temp key", 403, async ({ service, upload }) => {
      const s3ref = await upload(orgB, 'theirs.txt');
      return service.save(orgA, { s3ref }, clean);
    }],
    ['a temp key whose bytes were never uploaded', 404, async ({ service }) => {
      const ticket = await service.createUpload(orgA, { filename: 'a.txt', mime_type: 'text/plain' });
      return service.save(orgA, { s3ref: ticket.s3ref }, clean);
    }],
    ['an object over the size limit', 413, async ({ service, upload }) => {
      const s3ref = await upload(orgA, 'big.txt', 'x'.repeat(maxUploadBytes + 1));
      return service.save(orgA, { s3ref }, clean);
    }],
    ['PNG declared for bytes that are not PNG', 415, async ({ service, upload }) => {
      const s3ref = await upload(orgA, 'fake.png', '<?php system($_GET["c"]); ?>', png);
      return service.save(orgA, { s3ref }, clean);
    }],
    ['a version of an unknown file', 404, async ({ service, upload }) => {
      const s3ref = await upload(orgA, 'a.txt');
      return service.save(orgA, { s3ref, id: unknownId }, clean);
    }],
    ['a malformed file id', 400, async ({ service, upload }) => {
      const s3ref = await upload(orgA, 'a.txt');
      return service.save(orgA, { s3ref, id: '../x' }, clean);
    }],
  ];

  it.each(cases)('refuses %s with %d and writes nothing', async (_case, expected, attempt) => {
    // Prepare
    const context = setup();

    // Act
    const status = await statusOf(attempt(context));

    // Assess
    expect(status).toBe(expected);
    expect(context.repository.records.size).toBe(0);
    expect(context.store.keys('files/')).toEqual([]);
  });

  it('keeps the temp object of a refused save, so the client can fix the request', async () => {
    // Prepare
    const { service, store, upload } = setup();
    const s3ref = await upload(orgA, 'fake.png', 'not a png', png);

    // Act
    await statusOf(service.save(orgA, { s3ref }, clean));

    // Assess
    expect(store.keys('temp/')).toEqual([s3ref.key]);
  });

  it('accepts real PNG bytes declared as PNG', async () => {
    // Prepare
    const { service, upload } = setup();
    const s3ref = await upload(orgA, 'pixel.png', pngBytes, png);

    // Act
    const { entity } = await service.save(orgA, { s3ref }, clean);

    // Assess
    expect(entity).toMatchObject({ type: 'image', mime_type: png, size_bytes: pngBytes.length });
  });
});
