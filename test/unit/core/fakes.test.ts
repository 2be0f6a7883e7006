import { describe, expect, it } from 'vitest';
import type { FileRecord, FileVersion } from '../../../lambdas/core/model';
import { AlreadySavedError, StaleWriteError } from '../../../lambdas/core/ports';
import type { UploadClaim } from '../../../lambdas/core/ports';
import { FakeFileRepository } from './fakes';

/** The fake repository backs the FileService tests, so it must keep the port's contract. */

const id = '0f8fad5b-d9cb-469f-a165-70867728950e';

function version(number: number): FileVersion {
  return {
    version: number,
    s3ref: { bucket: 'b', key: `files/org/${id}/v${number}` },
    filename: `v${number}.txt`,
    mime_type: 'text/plain',
    size_bytes: number,
    created_at: '2024-01-01T00:00:00.000Z',
    created_by: 'user',
  };
}

function record(latest: number): FileRecord {
  return {
    id,
    org: 'org',
    title: 't',
    filename: 'f.txt',
    type: 'text',
    mime_type: 'text/plain',
    size_bytes: 1,
    access_control: 'private',
    tags: [],
    relations: [],
    created_at: '2024-01-01T00:00:00.000Z',
    created_by: 'user',
    updated_at: '2024-01-01T00:00:00.000Z',
    latest_version: latest,
    s3ref: version(latest).s3ref,
    status: 'active',
  };
}

function claim(version: number, upload = `upload-${version}`): UploadClaim {
  return { org: 'org', upload_id: upload, file_id: id, version, created: version === 1, expires_at: 2_000_000_000 };
}

describe('FakeFileRepository', () => {
  it('refuses to create an id that already exists with StaleWriteError', async () => {
    // Prepare
    const repository = new FakeFileRepository();
    await repository.create(record(1), version(1), claim(1));

    // Act
    const second = repository.create(record(1), version(1), claim(1, 'another-upload'));

    // Assess
    await expect(second).rejects.toBeInstanceOf(StaleWriteError);
  });

  it('refuses a second write of an already claimed upload with AlreadySavedError', async () => {
    // Prepare
    const repository = new FakeFileRepository();
    await repository.create(record(1), version(1), claim(1));

    // Act
    const again = repository.addVersion(record(2), version(2), claim(2, 'upload-1'), record(1));

    // Assess
    await expect(again).rejects.toBeInstanceOf(AlreadySavedError);
    expect((await repository.get('org', id))?.latest_version).toBe(1);
  });

  it('refuses an addVersion based on a stale latest version with StaleWriteError', async () => {
    // Prepare
    const repository = new FakeFileRepository();
    await repository.create(record(1), version(1), claim(1));
    await repository.addVersion(record(2), version(2), claim(2), record(1));

    // Act
    const stale = repository.addVersion(record(2), version(2), claim(2, 'another-upload'), record(1));

    // Assess
    await expect(stale).rejects.toBeInstanceOf(StaleWriteError);
    expect((await repository.get('org', id))?.latest_version).toBe(2);
  });

  it('refuses an addVersion to a file being deleted', async () => {
    // Prepare
    const repository = new FakeFileRepository();
    await repository.create(record(1), version(1), claim(1));
    await repository.markDeleting('org', id);

    // Act
    const write = repository.addVersion(record(2), version(2), claim(2), record(1));

    // Assess
    await expect(write).rejects.toBeInstanceOf(StaleWriteError);
  });

  it('lets only one of two concurrent addVersions of the same number win', async () => {
    // Prepare
    const repository = new FakeFileRepository();
    await repository.create(record(1), version(1), claim(1));

    // Act
    const results = await Promise.allSettled([
      repository.addVersion(record(2), version(2), claim(2, 'upload-a'), record(1)),
      repository.addVersion(record(2), version(2), claim(2, 'upload-b'), record(1)),
    ]);

    // Assess
    expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
  });

  it('lists versions newest first and keeps orgs apart', async () => {
    // Prepare
    const repository = new FakeFileRepository();
    await repository.create(record(1), version(1), claim(1));
    await repository.addVersion(record(2), version(2), claim(2), record(1));

    // Act
    const own = await repository.listVersions('org', id);
    const other = await repository.listVersions('other', id);

    // Assess
    expect(own.map((item) => item.version)).toEqual([2, 1]);
    expect(other).toEqual([]);
    expect(await repository.get('other', id)).toBeUndefined();
  });
});
