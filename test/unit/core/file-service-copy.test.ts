import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { HttpError } from '../../../lambdas/core/errors';
import type { Caller } from '../../../lambdas/core/model';
import { OrphanReaper } from '../../../lambdas/core/orphan-reaper';
import { SourceChangedError } from '../../../lambdas/core/ports';
import { orgA, orgB, setup } from './fakes';

const failure = (promise: Promise<unknown>) => promise.then(() => 200, (error: HttpError) => error.status);
const bob: Caller = { org: orgA.org, userId: 'bob' };
const unknownId = '6a1f6c3e-2b4d-4c8e-9f0a-1b2c3d4e5f60';

/** A file of org-a with two versions, `v1` then `v2`. */
async function twoVersions() {
  const context = setup();
  const file = await context.saveNew(orgA, 'report.txt', 'v1');
  const s3ref = await context.upload(orgA, 'report.txt', 'v2');
  await context.service.save(orgA, { id: file._id, s3ref }, { deleteTempFile: true, versionOnly: false });
  return { ...context, file };
}

describe('FileService.copy', () => {
  it('makes a new file of the latest version, with its own id and key and the same bytes, type and checksum', async () => {
    // Prepare
    const { service, store, upload, file } = await twoVersions();
    const s3ref = await upload(orgA, 'sum.txt', 'checked');
    const checksum = store.putChecksummed(s3ref.key, 'checked', 'text/plain');
    const summed = (await service.save(orgA, { s3ref }, { deleteTempFile: true, versionOnly: false })).entity;

    // Act
    const copied = await service.copy(orgA, file._id, { version: 0 });
    const copiedSum = await service.copy(orgA, summed._id, { version: 0 });

    // Assess
    expect(copied.created).toBe(true);
    expect(copied.entity._id).not.toBe(file._id);
    expect(copied.entity).toMatchObject({ _org: orgA.org, filename: 'report.txt', mime_type: 'text/plain', size_bytes: 2 });
    const key = copied.entity.versions[0]?.s3ref?.key ?? '';
    expect(key).toMatch(new RegExp(`^files/org-a/${copied.entity._id}/[0-9a-f-]{36}/report\\.txt$`));
    expect(new TextDecoder().decode(store.objects.get(key)?.bytes)).toBe('v2');
    expect(copiedSum.entity.versions[0]?.checksum_sha256).toBe(checksum);
    expect(checksum).toBe(createHash('sha256').update('checked').digest('base64'));
  });

  it('copies the chosen version: 1 is the one before the latest', async () => {
    // Prepare
    const { service, store, file } = await twoVersions();

    // Act
    const { entity } = await service.copy(orgA, file._id, { version: 1, filename: 'old.txt', title: 'The old one', tags: ['copy'] });

    // Assess
    expect(new TextDecoder().decode(store.objects.get(entity.versions[0]?.s3ref?.key ?? '')?.bytes)).toBe('v1');
    expect(entity).toMatchObject({ filename: 'old.txt', _title: 'The old one', _tags: ['copy'] });
  });

  it('adds the copy as a new version of another file of the org with file_entity_id', async () => {
    // Prepare
    const { service, saveNew, store, file } = await twoVersions();
    const target = await saveNew(orgA, 'target.txt', 't1');

    // Act
    const { entity, created } = await service.copy(orgA, file._id, { version: 0, file_entity_id: target._id });

    // Assess
    expect(created).toBe(false);
    expect(entity._id).toBe(target._id);
    expect(entity.versions).toHaveLength(2);
    expect(new TextDecoder().decode(store.objects.get(entity.versions[0]?.s3ref?.key ?? '')?.bytes)).toBe('v2');
    expect(entity.versions[0]?.s3ref?.key).toMatch(new RegExp(`^files/org-a/${target._id}/`));
  });

  it('restores an older version as the newest when the target is the source itself', async () => {
    // Prepare
    const { service, store, file } = await twoVersions();

    // Act
    const { entity, created } = await service.copy(orgA, file._id, { version: 1, file_entity_id: file._id });

    // Assess
    expect(created).toBe(false);
    expect(entity.versions).toHaveLength(3);
    expect(new TextDecoder().decode(store.objects.get(entity.versions[0]?.s3ref?.key ?? '')?.bytes)).toBe('v1');
  });

  it('answers 404 for a version beyond the first, and copies nothing', async () => {
    // Prepare
    const { service, store, repository, file } = await twoVersions();
    const keys = store.keys();

    // Act
    const status = await failure(service.copy(orgA, file._id, { version: 2 }));

    // Assess
    expect(status).toBe(404);
    expect(store.keys()).toEqual(keys);
    expect(repository.intents.size).toBe(0);
  });

  it("answers 404 for another org's file, as source and as target, and for an unknown id", async () => {
    // Prepare
    const { service, saveNew, store, file } = await twoVersions();
    const theirs = await saveNew(orgB, 'theirs.txt');
    const keys = store.keys();

    // Act
    const statuses = await Promise.all([
      failure(service.copy(orgA, theirs._id, { version: 0 })),
      failure(service.copy(orgA, file._id, { version: 0, file_entity_id: theirs._id })),
      failure(service.copy(orgA, unknownId, { version: 0 })),
      failure(service.copy(orgA, 'not-an-id', { version: 0 })),
    ]);

    // Assess
    expect(statuses).toEqual([404, 404, 404, 400]);
    expect(store.keys()).toEqual(keys);
  });

  it('answers 403 for a target the caller may view but not change', async () => {
    // Prepare
    const { service, repository, file, saveNew } = await twoVersions();
    const target = await saveNew(orgA, 'locked.txt');
    const record = [...repository.records.values()].find((candidate) => candidate.id === target._id);
    if (record) record.acl = { view: ['org:org-a'], edit: [], delete: [] };

    // Act
    const status = await failure(service.copy(bob, file._id, { version: 0, file_entity_id: target._id }));

    // Assess
    expect(status).toBe(403);
  });

  it("copies a file another org shares with the caller into a file of the caller's own org, with none of its grants", async () => {
    // Prepare
    const { service, upload, store } = setup();
    const s3ref = await upload(orgB, 'shared.txt', 'theirs');
    const { entity: shared } = await service.save(orgB, { s3ref, acl: { view: ['org:org-a'] } }, { deleteTempFile: true, versionOnly: false });

    // Act
    const { entity } = await service.copy(orgA, shared._id, { version: 0 });

    // Assess
    expect(entity._org).toBe(orgA.org);
    expect(entity._acl).toEqual({ view: ['org:org-a'], edit: ['org:org-a'], delete: ['org:org-a'] });
    expect(entity.versions[0]?.s3ref?.key).toMatch(/^files\/org-a\//);
    expect(new TextDecoder().decode(store.objects.get(entity.versions[0]?.s3ref?.key ?? '')?.bytes)).toBe('theirs');
    expect(await failure(service.get(orgB, entity._id))).toBe(404);
  });

  it('copies on condition of the ETag it inspected, passing on the size and type', async () => {
    // Prepare
    const { service, store, file } = await twoVersions();
    const calls: unknown[][] = [];
    const copy = store.copy.bind(store);
    store.copy = async (...args: Parameters<typeof copy>) => {
      calls.push(args);
      return copy(...args);
    };

    // Act
    await service.copy(orgA, file._id, { version: 0 });

    // Assess
    const source = file.versions[0]?.s3ref?.key;
    expect(calls).toEqual([
      [expect.stringMatching(/^files\/org-a\//), expect.stringMatching(/^files\/org-a\//), expect.stringMatching(/^"[0-9a-f]{32}"$/), expect.objectContaining({ size: 2, contentType: 'text/plain' })],
    ]);
    expect(calls[0]?.[0]).not.toBe(source);
  });

  it('answers 409 when the source changes or disappears mid-copy, and writes no file', async () => {
    // Prepare
    const { service, store, repository, file } = await twoVersions();
    store.copy = async () => {
      throw new SourceChangedError();
    };
    const files = repository.records.size;

    // Act
    const status = await failure(service.copy(orgA, file._id, { version: 0 }));

    // Assess
    expect(status).toBe(409);
    expect(repository.records.size).toBe(files);
  });

  it('leaves a copy whose file could not be written to the orphan reaper, which deletes it', async () => {
    // Prepare
    const { service, store, repository, file } = await twoVersions();
    repository.create = async () => {
      throw new Error('DynamoDB is down');
    };

    // Act
    await expect(service.copy(orgA, file._id, { version: 0 })).rejects.toThrow('DynamoDB is down');
    const [intent] = [...repository.intents.values()];
    const copied = intent ? store.objects.has(intent.key) : false;
    // The table's TTL removes the expired intent and hands it to the reaper.
    repository.intents.clear();
    const outcome = intent ? await new OrphanReaper({ repository, store }).reap(intent) : undefined;

    // Assess
    expect(copied).toBe(true);
    expect(outcome).toBe('deleted');
    expect(store.objects.has(intent?.key ?? '')).toBe(false);
  });

  it('forgets its intent once the file is written, so the reaper has nothing to do', async () => {
    // Prepare
    const { service, repository, file } = await twoVersions();

    // Act
    await service.copy(orgA, file._id, { version: 0 });

    // Assess
    expect(repository.intents.size).toBe(0);
  });
});
