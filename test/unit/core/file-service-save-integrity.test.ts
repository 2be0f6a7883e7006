import { describe, expect, it } from 'vitest';
import type { HttpError } from '../../../lambdas/core/errors';
import { FileService } from '../../../lambdas/core/file-service';
import { metadataLimits } from '../../../lambdas/core/metadata-limits';
import type { FileRecord, FileVersion } from '../../../lambdas/core/model';
import { InvalidItemError } from '../../../lambdas/core/ports';
import type { SaveIntent, UploadClaim } from '../../../lambdas/core/ports';
import { FakeFileRepository, FakeObjectStore, fixedNow, maxUploadBytes, orgA, setup } from './fakes';

const keep = { deleteTempFile: false, versionOnly: false };
const clean = { deleteTempFile: true, versionOnly: false };
const day = 24 * 3600 * 1000;

async function failure(promise: Promise<unknown>): Promise<HttpError> {
  try {
    await promise;
  } catch (error) {
    return error as HttpError;
  }
  throw new Error('expected the call to fail');
}

function bytesOf(store: FakeObjectStore, key: string): string {
  return new TextDecoder().decode(store.objects.get(key)?.bytes);
}

describe("a saved version's bytes never change", () => {
  it('answers a repeated save whose upload URL received other bytes with what it became, and copies nothing', async () => {
    // Prepare
    const { service, store, upload } = setup();
    const s3ref = await upload(orgA, 'a.txt', 'original');
    const first = await service.save(orgA, { s3ref }, clean);
    store.put(s3ref.key, 'replaced bytes', 'text/plain');

    // Act
    const again = await service.save(orgA, { s3ref }, clean);

    // Assess
    expect(again).toEqual(first);
    expect(store.copies).toHaveLength(1);
    expect(bytesOf(store, first.entity.s3ref.key)).toBe('original');
    expect(first.entity.size_bytes).toBe('original'.length);
  });

  it('copies on condition of the ETag of the bytes it inspected', async () => {
    // Prepare
    const { service, store, upload } = setup();
    const s3ref = await upload(orgA, 'a.txt', 'checked');
    const inspected = await store.inspect(s3ref.key, 1);

    // Act
    await service.save(orgA, { s3ref }, clean);

    // Assess
    expect(store.copies).toEqual([{ from: s3ref.key, to: expect.stringMatching(/^files\//), ifMatch: inspected?.etag }]);
  });

  it('answers 409 and saves nothing when the bytes change between inspection and copy', async () => {
    // Prepare
    const { service, store, repository, upload } = setup();
    const s3ref = await upload(orgA, 'a.txt', 'checked');
    const inspect = store.inspect.bind(store);
    store.inspect = async (key, length) => {
      const object = await inspect(key, length);
      store.put(key, 'swapped after the check', 'text/plain');
      return object;
    };

    // Act
    const error = await failure(service.save(orgA, { s3ref }, clean));

    // Assess
    expect(error.status).toBe(409);
    expect(store.keys('files/')).toEqual([]);
    expect(repository.records.size).toBe(0);
  });

  it('answers 409 and copies nothing while another save holds the upload with other bytes', async () => {
    // Prepare
    const { service, store, repository, upload } = setup();
    const s3ref = await upload(orgA, 'a.txt', 'mine');
    const uploadId = s3ref.key.split('/')[2] ?? '';
    await repository.recordIntent({ org: orgA.org, upload_id: uploadId, key: `files/org-a/${uploadId}/${uploadId}/a.txt`, etag: '"other"', expires_at: 1 });

    // Act
    const error = await failure(service.save(orgA, { s3ref }, clean));

    // Assess
    expect(error.status).toBe(409);
    expect(store.copies).toEqual([]);
    expect(repository.records.size).toBe(0);
  });
});

describe('the save intent', () => {
  it('is recorded before the copy with the key and ETag, and forgotten once the version is written', async () => {
    // Prepare
    const { service, store, repository, upload } = setup();
    const s3ref = await upload(orgA, 'a.txt', 'bytes');
    let recordedBeforeCopy: SaveIntent[] = [];
    const copy = store.copy.bind(store);
    store.copy = async (from, to, ifMatch) => {
      recordedBeforeCopy = [...repository.intents.values()];
      return copy(from, to, ifMatch);
    };

    // Act
    const { entity } = await service.save(orgA, { s3ref }, clean);

    // Assess
    expect(recordedBeforeCopy).toEqual([
      expect.objectContaining({ org: 'org-a', key: entity.s3ref.key, etag: store.copies[0]?.ifMatch }),
    ]);
    expect(repository.intents.size).toBe(0);
  });

  it('stays when the commit fails, pointing the reaper at the copy', async () => {
    // Prepare
    const store = new FakeObjectStore();
    const repository = new (class extends FakeFileRepository {
      override async create(): Promise<void> {
        throw new Error('the table is gone');
      }
    })();
    const service = new FileService({ repository, store, limits: { maxUploadBytes }, now: () => fixedNow });
    const ticket = await service.createUpload(orgA, { filename: 'a.txt', mime_type: 'text/plain' });
    store.put(ticket.s3ref.key, 'bytes', 'text/plain');

    // Act
    await failure(service.save(orgA, { s3ref: ticket.s3ref }, clean));

    // Assess
    const [copied] = store.keys('files/');
    expect([...repository.intents.values()]).toEqual([expect.objectContaining({ key: copied })]);
  });

  it('expires only after its upload can no longer be saved', async () => {
    // Prepare
    const { service, store, repository } = setup();
    const ticket = await service.createUpload(orgA, { filename: 'a.txt', mime_type: 'text/plain' });
    const uploadedAt = new Date(fixedNow.getTime() - 3600_000);
    store.put(ticket.s3ref.key, 'bytes', 'text/plain', uploadedAt);
    let intent: SaveIntent | undefined;
    const recordIntent = repository.recordIntent.bind(repository);
    repository.recordIntent = async (recorded) => {
      intent = recorded;
      return recordIntent(recorded);
    };

    // Act
    await service.save(orgA, { s3ref: ticket.s3ref }, clean);

    // Assess
    expect((intent?.expires_at ?? 0) * 1000).toBeGreaterThan(uploadedAt.getTime() + day);
  });
});

describe('the save window', () => {
  it('refuses a temp object older than the window with 404 and copies nothing', async () => {
    // Prepare
    const { service, store } = setup();
    const ticket = await service.createUpload(orgA, { filename: 'a.txt', mime_type: 'text/plain' });
    store.put(ticket.s3ref.key, 'old', 'text/plain', new Date(fixedNow.getTime() - day - 1000));

    // Act
    const error = await failure(service.save(orgA, { s3ref: ticket.s3ref }, keep));

    // Assess
    expect(error.status).toBe(404);
    expect(error.message).toMatch(/expired.*1 day/);
    expect(store.copies).toEqual([]);
  });

  it('accepts a temp object just inside the window', async () => {
    // Prepare
    const { service, store } = setup();
    const ticket = await service.createUpload(orgA, { filename: 'a.txt', mime_type: 'text/plain' });
    store.put(ticket.s3ref.key, 'fresh', 'text/plain', new Date(fixedNow.getTime() - day + 1000));

    // Act
    const { created } = await service.save(orgA, { s3ref: ticket.s3ref }, keep);

    // Assess
    expect(created).toBe(true);
  });

  it('follows the configured window', async () => {
    // Prepare
    const store = new FakeObjectStore();
    const service = new FileService({
      repository: new FakeFileRepository(),
      store,
      limits: { maxUploadBytes, tempExpiryDays: 3 },
      now: () => fixedNow,
    });
    const ticket = await service.createUpload(orgA, { filename: 'a.txt', mime_type: 'text/plain' });
    store.put(ticket.s3ref.key, 'two days old', 'text/plain', new Date(fixedNow.getTime() - 2 * day));

    // Act
    const { created } = await service.save(orgA, { s3ref: ticket.s3ref }, keep);

    // Assess
    expect(created).toBe(true);
  });

  it.each([1, 3])('writes claims that outlive a %d-day window with a margin', async (days) => {
    // Prepare
    const store = new FakeObjectStore();
    const repository = new FakeFileRepository();
    const service = new FileService({ repository, store, limits: { maxUploadBytes, tempExpiryDays: days }, now: () => fixedNow });
    const ticket = await service.createUpload(orgA, { filename: 'a.txt', mime_type: 'text/plain' });
    store.put(ticket.s3ref.key, 'bytes', 'text/plain', fixedNow);

    // Act
    await service.save(orgA, { s3ref: ticket.s3ref }, keep);

    // Assess
    const [claim] = [...repository.claims.values()];
    expect((claim?.expires_at ?? 0) * 1000 - fixedNow.getTime()).toBeGreaterThan(days * day);
  });

  it.each([
    ['an hour', 3600_000],
    ['just inside the window', day - 1000],
    ['just after the window', day + 1000],
    ['a week', 7 * day],
  ])('never brings a deleted file back or adds a second one when its save is repeated %s later', async (_when, later) => {
    // Prepare: the temp object is kept (delete_temp_file=false) and outlives its claim's TTL.
    const store = new FakeObjectStore();
    const repository = new FakeFileRepository();
    let now = fixedNow;
    const service = new FileService({ repository, store, limits: { maxUploadBytes }, now: () => now });
    const ticket = await service.createUpload(orgA, { filename: 'a.txt', mime_type: 'text/plain' });
    store.put(ticket.s3ref.key, 'bytes', 'text/plain', fixedNow);
    const { entity } = await service.save(orgA, { s3ref: ticket.s3ref }, keep);
    await service.delete(orgA, entity._id);
    now = new Date(fixedNow.getTime() + later);
    // DynamoDB's TTL may drop a claim as soon as it expires.
    for (const [slot, claim] of repository.claims) if (claim.expires_at * 1000 <= now.getTime()) repository.claims.delete(slot);

    // Act
    const error = await failure(service.save(orgA, { s3ref: ticket.s3ref }, keep));

    // Assess
    expect(error.status).toBe(404);
    expect(repository.records.size).toBe(0);
    expect(store.keys('files/')).toEqual([]);
  });
});

describe('metadata that cannot fit in one item', () => {
  const bigRelations = Array.from({ length: 60 }, (_, index) => ({
    entity_id: `e-${index}`,
    _tags: Array.from({ length: metadataLimits.relationTags }, () => 'x'.repeat(metadataLimits.tagChars)),
  }));

  it('is refused with 413 naming the limit before storage is touched', async () => {
    // Prepare
    const { service, store, repository, upload } = setup();
    const s3ref = await upload(orgA, 'a.txt');

    // Act
    const error = await failure(service.save(orgA, { s3ref, relations: bigRelations }, clean));

    // Assess
    expect(error.status).toBe(413);
    expect(error.message).toContain(String(metadataLimits.totalBytes));
    expect(store.copies).toEqual([]);
    expect(repository.intents.size + repository.records.size).toBe(0);
    expect(store.keys('temp/')).toEqual([s3ref.key]);
  });

  it('is accepted up to the limit', async () => {
    // Prepare
    const { service, upload } = setup();
    const s3ref = await upload(orgA, 'a.txt');

    // Act
    const { entity } = await service.save(orgA, { s3ref, relations: bigRelations.slice(0, 40) }, clean);

    // Assess
    expect(entity.relations).toHaveLength(40);
  });

  it('refused by storage itself (ValidationException) answers 400, never a 500, and writes no file', async () => {
    // Prepare
    const store = new FakeObjectStore();
    const repository = new (class extends FakeFileRepository {
      override async create(record: FileRecord, version: FileVersion, claim: UploadClaim): Promise<void> {
        void [record, version, claim];
        throw new InvalidItemError('Item size has exceeded the maximum allowed size');
      }
    })();
    const service = new FileService({ repository, store, limits: { maxUploadBytes }, now: () => fixedNow });
    const ticket = await service.createUpload(orgA, { filename: 'a.txt', mime_type: 'text/plain' });
    store.put(ticket.s3ref.key, 'bytes', 'text/plain');

    // Act
    const error = await failure(service.save(orgA, { s3ref: ticket.s3ref }, clean));

    // Assess
    expect(error.status).toBe(400);
    expect(error.message).toContain('metadata cannot be stored');
    expect(repository.records.size).toBe(0);
  });
});
