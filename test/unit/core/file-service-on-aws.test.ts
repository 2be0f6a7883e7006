import { CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import type { GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../../lambdas/adapters/s3-object-store';
import type { HttpError } from '../../../lambdas/core/errors';
import { FileService } from '../../../lambdas/core/file-service';
import { FakeFileRepository, fixedNow, maxUploadBytes, orgA } from './fakes';

/**
 * S3 as AWS runs it for our Lambdas: they have no s3:ListBucket, so GET or HEAD of a key that
 * does not exist is 403 AccessDenied, never 404.
 */
const s3 = mockClient(S3Client);
const bucket = 'files-bucket';

function accessDenied(): S3ServiceException {
  return new S3ServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'Access Denied' });
}

function setupOnAws() {
  const store = new S3ObjectStore({
    bucket,
    client: new S3Client({ region: 'eu-central-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' } }),
    uploadUrlTtlSeconds: 900,
    downloadUrlTtlSeconds: 60,
  });
  const repository = new FakeFileRepository();
  const service = new FileService({ repository, store, limits: { maxUploadBytes }, now: () => fixedNow });
  return { service, repository };
}

/** The temp object as S3 serves it until the save deletes it; afterwards every GET is a 403. */
function serveUntilDeleted(bytes: string): void {
  let present = true;
  s3.on(GetObjectCommand).callsFake(() => {
    if (!present) throw accessDenied();
    const body = new TextEncoder().encode(bytes);
    return {
      Body: { transformToByteArray: async () => body },
      ContentType: 'text/plain',
      ContentRange: `bytes 0-${body.length - 1}/${body.length}`,
      ETag: '"etag-1"',
      LastModified: fixedNow,
    } as unknown as GetObjectCommandOutput;
  });
  s3.on(HeadObjectCommand).callsFake(() => {
    if (!present) throw accessDenied();
    return { ContentLength: bytes.length, ContentType: 'text/plain', ETag: '"etag-1"', LastModified: fixedNow };
  });
  s3.on(CopyObjectCommand).resolves({});
  s3.on(DeleteObjectCommand).callsFake(() => {
    present = false;
    return {};
  });
}

beforeEach(() => {
  s3.reset();
});

describe('FileService.save against S3 that answers 403 for missing keys', () => {
  it('answers a repeated completed save from its claim and sends nothing to S3', async () => {
    // Prepare
    const { service } = setupOnAws();
    const ticket = await service.createUpload(orgA, { filename: 'a.txt', mime_type: 'text/plain' });
    serveUntilDeleted('hello');
    const first = await service.save(orgA, { s3ref: ticket.s3ref }, { deleteTempFile: true, versionOnly: false });
    const callsAfterFirst = s3.calls().length;

    // Act
    const again = await service.save(orgA, { s3ref: ticket.s3ref }, { deleteTempFile: true, versionOnly: false });

    // Assess
    expect(again).toEqual(first);
    expect(s3.calls()).toHaveLength(callsAfterFirst);
  });

  it('answers a save before the PUT with 404 that says to upload the bytes first', async () => {
    // Prepare
    const { service, repository } = setupOnAws();
    const ticket = await service.createUpload(orgA, { filename: 'a.txt', mime_type: 'text/plain' });
    s3.on(GetObjectCommand).rejects(accessDenied());

    // Act
    const error = await service.save(orgA, { s3ref: ticket.s3ref }, { deleteTempFile: true, versionOnly: false }).catch((caught: HttpError) => caught);

    // Assess
    expect(error).toMatchObject({ status: 404, message: expect.stringContaining('Uploaded object not found: upload the bytes to upload_url first') });
    expect(s3.commandCalls(CopyObjectCommand)).toHaveLength(0);
    expect(repository.intents.size + repository.records.size).toBe(0);
  });

  it('copies the temp object on condition of the ETag it read', async () => {
    // Prepare
    const { service } = setupOnAws();
    const ticket = await service.createUpload(orgA, { filename: 'a.txt', mime_type: 'text/plain' });
    serveUntilDeleted('hello');

    // Act
    await service.save(orgA, { s3ref: ticket.s3ref }, { deleteTempFile: true, versionOnly: false });

    // Assess
    expect(s3.commandCalls(CopyObjectCommand)[0]?.args[0].input).toMatchObject({ CopySourceIfMatch: '"etag-1"' });
  });
});
