import { describe, expect, it } from 'vitest';
import { orgA, orgB, setup } from './fakes';

const clean = { deleteTempFile: true, versionOnly: false };

describe('FileService.save of a new version', () => {
  it('adds version 2, points the entity at it and lists versions newest first', async () => {
    // Prepare
    const { service, store, upload, saveNew } = setup();
    const first = await saveNew(orgA, 'draft.txt', 'one');
    const s3ref = await upload(orgA, 'final.txt', 'second version');

    // Act
    const { entity, created } = await service.save(orgA, { s3ref, id: first._id }, clean);

    // Assess
    expect(created).toBe(false);
    expect(entity._id).toBe(first._id);
    expect(entity.versions.map((version) => version.filename)).toEqual(['final.txt', 'draft.txt']);
    expect(entity.s3ref).toEqual(entity.versions[0]?.s3ref);
    expect(entity.s3ref.key).not.toBe(first.s3ref.key);
    expect(entity.s3ref.key.startsWith(`files/org-a/${first._id}/`)).toBe(true);
    expect(entity).toMatchObject({ filename: 'final.txt', size_bytes: 14 });
    expect(store.objects.has(first.s3ref.key)).toBe(true);
    expect((await service.get(orgA, first._id)).versions).toHaveLength(2);
  });

  it("keeps the entity's filename and type with version_only but points it at the new bytes", async () => {
    // Prepare
    const { service, upload, saveNew } = setup();
    const first = await saveNew(orgA, 'notes.txt', 'text');
    const s3ref = await upload(orgA, 'scan.pdf', '%PDF-1.4 new bytes', 'application/pdf');

    // Act
    const { entity } = await service.save(orgA, { s3ref, id: first._id }, { deleteTempFile: true, versionOnly: true });

    // Assess
    expect(entity).toMatchObject({ filename: 'notes.txt', type: 'text', _title: 'notes.txt' });
    expect(entity.s3ref).toEqual(entity.versions[0]?.s3ref);
    expect(entity.versions[0]).toMatchObject({ filename: 'scan.pdf', mime_type: 'application/pdf' });
    expect(entity.versions).toHaveLength(2);
  });

  it('updates filename and type of the entity without version_only', async () => {
    // Prepare
    const { service, upload, saveNew } = setup();
    const first = await saveNew(orgA, 'notes.txt', 'text');
    const s3ref = await upload(orgA, 'scan.pdf', '%PDF-1.4 new bytes', 'application/pdf');

    // Act
    const { entity } = await service.save(orgA, { s3ref, id: first._id }, clean);

    // Assess
    expect(entity).toMatchObject({ filename: 'scan.pdf', type: 'document', mime_type: 'application/pdf' });
  });

  it("refuses to add a version to another org's file with 404 and leaves it unchanged", async () => {
    // Prepare
    const { service, upload, saveNew } = setup();
    const theirs = await saveNew(orgB, 'theirs.txt');
    const s3ref = await upload(orgA, 'mine.txt');

    // Act
    const attempt = service.save(orgA, { s3ref, id: theirs._id }, clean);

    // Assess
    await expect(attempt).rejects.toMatchObject({ status: 404 });
    expect((await service.get(orgB, theirs._id)).versions).toHaveLength(1);
  });

  it('keeps every one of 20 concurrent new versions of one file, numbered 1 to 21', async () => {
    // Prepare
    const { service, repository, upload, saveNew } = setup();
    const file = await saveNew(orgA, 'v1.txt', 'v1');
    const refs = await Promise.all(
      Array.from({ length: 20 }, (_, index) => upload(orgA, `v${index + 2}.txt`, `bytes ${index + 2}`)),
    );

    // Act
    const results = await Promise.allSettled(
      refs.map((s3ref) => service.save(orgA, { s3ref, id: file._id }, clean)),
    );

    // Assess
    expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
    expect(repository.staleWrites).toBeGreaterThan(0);
    const stored = await repository.listVersions(orgA.org, file._id);
    expect(stored.map((version) => version.version)).toEqual(Array.from({ length: 21 }, (_, index) => 21 - index));
    const savedNames = stored.map((version) => version.filename).sort();
    const expectedNames = Array.from({ length: 21 }, (_, index) => `v${index + 1}.txt`).sort();
    expect(savedNames).toEqual(expectedNames);
    const entity = await service.get(orgA, file._id);
    expect(entity.s3ref).toEqual(stored[0]?.s3ref);
    expect((await repository.get(orgA.org, file._id))?.latest_version).toBe(21);
  });

  it('saves two concurrent new files as two distinct entities', async () => {
    // Prepare
    const { service, repository, upload } = setup();
    const refs = await Promise.all([upload(orgA, 'a.txt'), upload(orgA, 'b.txt')]);

    // Act
    const saved = await Promise.all(refs.map((s3ref) => service.save(orgA, { s3ref }, clean)));

    // Assess
    expect(saved[0]?.entity._id).not.toBe(saved[1]?.entity._id);
    expect(repository.records.size).toBe(2);
  });
});
