import { describe, expect, it } from 'vitest';
import { permanentKey } from '../../../lambdas/core/keys';
import { OrphanReaper } from '../../../lambdas/core/orphan-reaper';
import type { SaveIntent } from '../../../lambdas/core/ports';
import { FakeFileRepository, FakeObjectStore, orgA, setup } from './fakes';

const uploadId = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

function intentFor(key: string, upload = uploadId): SaveIntent {
  return { org: orgA.org, upload_id: upload, key, etag: '"e"', expires_at: 1 };
}

describe('OrphanReaper', () => {
  it('deletes the copy of a save that never committed', async () => {
    // Prepare
    const store = new FakeObjectStore();
    const key = `files/org-a/${uploadId}/${uploadId}/a.txt`;
    store.put(key, 'orphan');

    // Act
    const outcome = await new OrphanReaper({ repository: new FakeFileRepository(), store }).reap(intentFor(key));

    // Assess
    expect(outcome).toBe('deleted');
    expect(store.keys('files/')).toEqual([]);
  });

  it('deletes the copy of a save of an org whose id is too long for a key, which keys name by digest', async () => {
    // Prepare
    const store = new FakeObjectStore();
    const org = 'o'.repeat(100);
    const key = permanentKey(org, uploadId, uploadId, 'a.txt');
    store.put(key, 'orphan');

    // Act
    const outcome = await new OrphanReaper({ repository: new FakeFileRepository(), store }).reap({ ...intentFor(key), org });

    // Assess
    expect(key.startsWith('files/%')).toBe(true);
    expect(outcome).toBe('deleted');
    expect(store.keys('files/')).toEqual([]);
  });

  it('keeps an object that the version its upload became references', async () => {
    // Prepare
    const { service, store, repository, upload } = setup();
    const s3ref = await upload(orgA, 'a.txt', 'saved');
    const { entity } = await service.save(orgA, { s3ref }, { deleteTempFile: true, versionOnly: false });
    const savedUpload = s3ref.key.split('/')[2] ?? '';

    // Act
    const outcome = await new OrphanReaper({ repository, store }).reap(intentFor(entity.s3ref.key, savedUpload));

    // Assess
    expect(outcome).toBe('referenced');
    expect(store.keys('files/')).toEqual([entity.s3ref.key]);
  });

  it('deletes a copy whose upload was saved to another key in the end', async () => {
    // Prepare
    const { service, store, repository, upload } = setup();
    const s3ref = await upload(orgA, 'a.txt', 'saved');
    await service.save(orgA, { s3ref }, { deleteTempFile: true, versionOnly: false });
    const savedUpload = s3ref.key.split('/')[2] ?? '';
    const abandoned = `files/org-a/0f8fad5b-d9cb-469f-a165-70867728950e/${savedUpload}/a.txt`;
    store.put(abandoned, 'copied for a version that was never written');

    // Act
    const outcome = await new OrphanReaper({ repository, store }).reap(intentFor(abandoned, savedUpload));

    // Assess
    expect(outcome).toBe('deleted');
    expect(store.keys('files/')).toHaveLength(1);
    expect(store.keys('files/')).not.toContain(abandoned);
  });

  it('keeps an object a version references when the upload’s claim expired before the intent', async () => {
    // Prepare
    const { service, store, repository, upload } = setup();
    const s3ref = await upload(orgA, 'a.txt', 'saved');
    const { entity } = await service.save(orgA, { s3ref }, { deleteTempFile: true, versionOnly: false });
    const savedUpload = s3ref.key.split('/')[2] ?? '';
    repository.claims.clear();

    // Act
    const outcome = await new OrphanReaper({ repository, store }).reap(intentFor(entity.s3ref.key, savedUpload));

    // Assess
    expect(outcome).toBe('referenced');
    expect(store.keys('files/')).toEqual([entity.s3ref.key]);
  });

  it('keeps the copy while a new save of the same upload holds an intent for it', async () => {
    // Prepare
    const store = new FakeObjectStore();
    const repository = new FakeFileRepository();
    const key = `files/org-a/${uploadId}/${uploadId}/a.txt`;
    store.put(key, 'being saved again');
    await repository.recordIntent({ ...intentFor(key), expires_at: 2_000_000_000 });

    // Act
    const outcome = await new OrphanReaper({ repository, store }).reap(intentFor(key));

    // Assess
    expect(outcome).toBe('in-progress');
    expect(store.keys('files/')).toEqual([key]);
  });

  it("refuses to delete a key outside the intent's org under files/", async () => {
    // Prepare
    const store = new FakeObjectStore();
    store.put('files/org-b/x/y/a.txt', 'not yours');
    store.put('temp/org-a/x/a.txt', 'not a file');

    // Act
    const attempts = await Promise.allSettled([
      new OrphanReaper({ repository: new FakeFileRepository(), store }).reap(intentFor('files/org-b/x/y/a.txt')),
      new OrphanReaper({ repository: new FakeFileRepository(), store }).reap(intentFor('temp/org-a/x/a.txt')),
    ]);

    // Assess
    expect(attempts.map((attempt) => attempt.status)).toEqual(['rejected', 'rejected']);
    expect(store.objects.size).toBe(2);
  });
});
