import { DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { lifecycleExpiry, sweepExpired } from '../../../local/s3/sweeper';

const s3 = mockClient(S3Client);
const utc = (iso: string) => new Date(iso);

describe('lifecycleExpiry', () => {
  it.each([
    ['2026-01-15T10:30:00.000Z', 3, '2026-01-19T00:00:00.000Z'],
    ['2026-03-01T23:59:59.000Z', 1, '2026-03-03T00:00:00.000Z'],
    ['2026-03-01T00:00:00.000Z', 1, '2026-03-03T00:00:00.000Z'],
    ['2026-03-01T00:00:00.001Z', 1, '2026-03-03T00:00:00.000Z'],
    ['2026-12-31T12:00:00.000Z', 1, '2027-01-02T00:00:00.000Z'],
    ['2028-02-28T08:00:00.000Z', 2, '2028-03-02T00:00:00.000Z'],
  ])('expires an object created at %s with %i day(s) at %s, the next midnight UTC after creation + days', (created, days, expected) => {
    // Act
    const expiry = lifecycleExpiry(utc(created), days);

    // Assess
    expect(expiry.toISOString()).toBe(expected);
  });

  it('keeps an object created at 23:59:59 UTC for just over a day, and one created at 00:00:01 for almost two', () => {
    // Act
    const late = lifecycleExpiry(utc('2026-05-10T23:59:59.000Z'), 1).getTime() - utc('2026-05-10T23:59:59.000Z').getTime();
    const early = lifecycleExpiry(utc('2026-05-10T00:00:01.000Z'), 1).getTime() - utc('2026-05-10T00:00:01.000Z').getTime();

    // Assess
    expect(late).toBe((24 * 3600 + 1) * 1000);
    expect(early).toBe((48 * 3600 - 1) * 1000);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses %s days, as S3 refuses a lifecycle rule that is not a positive whole number of days', (days) => {
    // Act
    const expire = () => lifecycleExpiry(utc('2026-01-01T00:00:00.000Z'), days);

    // Assess
    expect(expire).toThrow(/whole number of days/);
  });
});

describe('sweepExpired', () => {
  const client = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' } });

  beforeEach(() => {
    s3.reset();
    s3.on(ListObjectsV2Command).resolves({
      Contents: [
        { Key: 'temp/org/a/late.txt', LastModified: utc('2026-03-01T23:59:59.000Z') },
        { Key: 'temp/org/b/next-day.txt', LastModified: utc('2026-03-02T00:00:00.000Z') },
      ],
    });
    s3.on(DeleteObjectsCommand).resolves({});
  });

  it('deletes nothing a moment before the rounded expiry', async () => {
    // Act
    const deleted = await sweepExpired(client, ['bucket'], 'temp/', 1, utc('2026-03-02T23:59:59.999Z'));

    // Assess
    expect(deleted).toBe(0);
    expect(s3.commandCalls(DeleteObjectsCommand)).toHaveLength(0);
  });

  it('deletes at midnight UTC exactly the objects whose rounded expiry has come, and lists only the prefix', async () => {
    // Act
    const deleted = await sweepExpired(client, ['bucket'], 'temp/', 1, utc('2026-03-03T00:00:00.000Z'));

    // Assess
    expect(deleted).toBe(1);
    expect(s3.commandCalls(ListObjectsV2Command)[0]?.args[0].input).toMatchObject({ Bucket: 'bucket', Prefix: 'temp/' });
    expect(s3.commandCalls(DeleteObjectsCommand)[0]?.args[0].input).toEqual({
      Bucket: 'bucket',
      Delete: { Objects: [{ Key: 'temp/org/a/late.txt' }], Quiet: true },
    });
  });

  it('counts a key S3 refused to delete as not deleted', async () => {
    // Prepare
    s3.on(DeleteObjectsCommand).resolves({ Errors: [{ Key: 'temp/org/a/late.txt', Code: 'AccessDenied' }] });

    // Act
    const deleted = await sweepExpired(client, ['bucket'], 'temp/', 1, utc('2026-03-04T00:00:00.000Z'));

    // Assess
    expect(deleted).toBe(1);
  });
});
