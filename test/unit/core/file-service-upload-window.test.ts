import { describe, expect, it } from 'vitest';
import { FileService } from '../../../lambdas/core/file-service';
import { NotFoundError } from '../../../lambdas/core/errors';
import { FakeFileRepository, FakeObjectStore, orgA } from './fakes';

/** A service whose clock the test moves. */
function serviceAt(start: Date) {
  let now = start;
  const store = new FakeObjectStore();
  const repository = new FakeFileRepository();
  const service = new FileService({ repository, store, limits: { maxUploadBytes: 10 * 1024 ** 3 }, now: () => now });
  return { service, store, later: (hours: number) => (now = new Date(start.getTime() + hours * 3600 * 1000)) };
}

const failure = (attempt: Promise<unknown>) => attempt.then(() => undefined, (error: unknown) => error);

describe('an upload’s window', () => {
  it('lets a refresh sign the URL again within the day the upload can be saved, and answers 404 after', async () => {
    // Prepare
    const { service, store, later } = serviceAt(new Date('2026-03-01T10:00:00Z'));
    const ticket = await service.createUpload(orgA, { filename: 'a.txt', mime_type: 'text/plain', size_bytes: 3 });

    // Act
    later(23);
    const within = await service.refreshUpload(orgA, ticket.s3ref);
    later(25);
    const after = await failure(service.refreshUpload(orgA, ticket.s3ref));

    // Assess
    expect(within.s3ref).toEqual(ticket.s3ref);
    expect(store.uploadsSigned.map((signed) => signed.contentLength)).toEqual([3, 3]);
    expect(after).toBeInstanceOf(NotFoundError);
  });

  it('closes a multipart upload’s parts routes and its save once its window has passed', async () => {
    // Prepare
    const { service, store, later } = serviceAt(new Date('2026-03-01T10:00:00Z'));
    const ticket = await service.createUpload(orgA, { filename: 'big.bin', upload_method: 'multipart' });
    if (!('upload_id' in ticket)) throw new Error('expected a multipart upload');
    const [s3UploadId] = [...store.multipart.keys()];
    store.putPart(s3UploadId ?? '', 1, new TextEncoder().encode('bytes'));

    // Act
    later(25);
    const outcomes = await Promise.all([
      failure(service.presignParts(orgA, ticket.upload_id, [2])),
      failure(service.listUploadParts(orgA, ticket.upload_id)),
      failure(service.save(orgA, { s3ref: ticket.s3ref }, { deleteTempFile: true, versionOnly: false })),
    ]);

    // Assess
    for (const outcome of outcomes) expect(outcome).toBeInstanceOf(NotFoundError);
    expect(store.keys('files/')).toEqual([]);
  });
});
