import { describe, expect, it } from 'vitest';
import { orgA, orgB, setup } from './fakes';

const clean = { deleteTempFile: true, versionOnly: false };
const unknownId = '6a1f6c3e-2b4d-4c8e-9f0a-1b2c3d4e5f60';

/** A file of orgA with three versions, v1.txt .. v3.txt. */
async function fileWithThreeVersions() {
  const context = setup();
  const first = await context.saveNew(orgA, 'v1.txt', 'one');
  for (const name of ['v2.txt', 'v3.txt']) {
    const s3ref = await context.upload(orgA, name, name);
    await context.service.save(orgA, { s3ref, id: first._id }, clean);
  }
  const entity = await context.service.get(orgA, first._id);
  return { ...context, entity };
}

describe('FileService.get', () => {
  it("answers 404 for another org's file, as if it did not exist", async () => {
    // Prepare
    const { service, saveNew } = setup();
    const theirs = await saveNew(orgB);

    // Act
    const attempt = service.get(orgA, theirs._id);

    // Assess
    await expect(attempt).rejects.toMatchObject({ status: 404 });
  });

  it.each(['not-a-uuid', '../etc', ''])('answers 400 for the malformed id %j', async (id) => {
    // Prepare
    const { service } = setup();

    // Act
    const attempt = service.get(orgA, id);

    // Assess
    await expect(attempt).rejects.toMatchObject({ status: 400 });
  });
});

describe('FileService.delete', () => {
  it('removes the bytes of every version and the entity, and returns the entity', async () => {
    // Prepare
    const { service, store, repository, entity } = await fileWithThreeVersions();
    const versionKeys = entity.versions.map((version) => version.s3ref.key);

    // Act
    const deleted = await service.delete(orgA, entity._id);

    // Assess
    expect(deleted._id).toBe(entity._id);
    expect(deleted.versions).toHaveLength(3);
    expect(versionKeys.filter((key) => store.objects.has(key))).toEqual([]);
    expect(repository.records.size).toBe(0);
    expect(await repository.listVersions(orgA.org, entity._id)).toEqual([]);
    await expect(service.get(orgA, entity._id)).rejects.toMatchObject({ status: 404 });
  });

  it('answers 404 for an unknown file and for the file of another org', async () => {
    // Prepare
    const { service, store, saveNew } = setup();
    const theirs = await saveNew(orgB);

    // Act
    const failures = await Promise.all([
      service.delete(orgA, unknownId).catch((error: unknown) => error),
      service.delete(orgA, theirs._id).catch((error: unknown) => error),
    ]);

    // Assess
    expect(failures).toMatchObject([{ status: 404 }, { status: 404 }]);
    expect(store.objects.has(theirs.s3ref.key)).toBe(true);
    expect((await service.get(orgB, theirs._id))._id).toBe(theirs._id);
  });

  it('hides a file whose delete was cut short, and a retry finishes the delete', async () => {
    // Prepare
    const { service, store, repository, entity } = await fileWithThreeVersions();
    store.failDeletes(1);
    await expect(service.delete(orgA, entity._id)).rejects.toThrow();

    // Act
    const hiddenMeanwhile = await service.get(orgA, entity._id).catch((error: unknown) => error);
    const retried = await service.delete(orgA, entity._id);

    // Assess
    expect(hiddenMeanwhile).toMatchObject({ status: 404 });
    expect(retried._id).toBe(entity._id);
    expect(store.keys('files/')).toEqual([]);
    expect(repository.records.size).toBe(0);
  });

  it('refuses a new version of a file being deleted', async () => {
    // Prepare
    const { service, store, upload, entity } = await fileWithThreeVersions();
    store.failDeletes(1);
    await expect(service.delete(orgA, entity._id)).rejects.toThrow();
    const s3ref = await upload(orgA, 'late.txt');

    // Act
    const attempt = service.save(orgA, { s3ref, id: entity._id }, clean);

    // Assess
    await expect(attempt).rejects.toMatchObject({ status: 404 });
  });
});

describe('FileService.download', () => {
  it('signs the latest version for 0, the previous one for 1, and passes the attachment flag', async () => {
    // Prepare
    const { service, store, entity } = await fileWithThreeVersions();

    // Act
    await service.download(orgA, { id: entity._id, version: 0, attachment: true });
    await service.download(orgA, { id: entity._id, version: 1, attachment: false });
    await service.download(orgA, { id: entity._id, version: 2, attachment: true });

    // Assess
    expect(store.downloadsSigned).toEqual([
      { key: entity.versions[0]?.s3ref.key, filename: 'v3.txt', contentType: 'text/plain', attachment: true },
      { key: entity.versions[1]?.s3ref.key, filename: 'v2.txt', contentType: 'text/plain', attachment: false },
      { key: entity.versions[2]?.s3ref.key, filename: 'v1.txt', contentType: 'text/plain', attachment: true },
    ]);
  });

  it('answers 404 for a version beyond the oldest one', async () => {
    // Prepare
    const { service, store, entity } = await fileWithThreeVersions();

    // Act
    const attempt = service.download(orgA, { id: entity._id, version: 3, attachment: true });

    // Assess
    await expect(attempt).rejects.toMatchObject({ status: 404 });
    expect(store.downloadsSigned).toEqual([]);
  });

  it("answers 404 for another org's file", async () => {
    // Prepare
    const { service, saveNew } = setup();
    const theirs = await saveNew(orgB);

    // Act
    const attempt = service.download(orgA, { id: theirs._id, version: 0, attachment: true });

    // Assess
    await expect(attempt).rejects.toMatchObject({ status: 404 });
  });
});

describe('FileService.downloadMany', () => {
  it('answers in the order asked, with an error entry for a file that cannot be found', async () => {
    // Prepare
    const { service, saveNew } = setup();
    const a = await saveNew(orgA, 'a.txt');
    const b = await saveNew(orgA, 'b.txt');
    const requests = [b._id, unknownId, a._id].map((id) => ({ id, version: 0, attachment: true }));

    // Act
    const results = await service.downloadMany(orgA, requests);

    // Assess
    expect(results.map((result) => result.file_entity_id)).toEqual([b._id, unknownId, a._id]);
    expect(results[0]).toMatchObject({ download_url: expect.stringContaining(b.s3ref.key) });
    expect(results[1]).toEqual({ file_entity_id: unknownId, error: { status: 404, error: expect.any(String) } });
    expect(results[2]).toMatchObject({ download_url: expect.stringContaining(a.s3ref.key) });
  });

  it('gives a version that does not exist an error entry without failing the others', async () => {
    // Prepare
    const { service, saveNew } = setup();
    const a = await saveNew(orgA, 'a.txt');

    // Act
    const results = await service.downloadMany(orgA, [
      { id: a._id, version: 5, attachment: true },
      { id: a._id, version: 0, attachment: true },
    ]);

    // Assess
    expect(results[0]).toMatchObject({ error: { status: 404 } });
    expect(results[1]).toHaveProperty('download_url');
  });
});
