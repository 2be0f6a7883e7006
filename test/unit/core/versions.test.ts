import { describe, expect, it } from 'vitest';
import { BadRequestError, NotFoundError } from '../../../lambdas/core/errors';
import { orgA, orgB, setup } from './fakes';

const clean = { deleteTempFile: true, versionOnly: false };

/** A file of org A with `count` versions named v1.txt ... */
async function fileWithVersions(count: number) {
  const context = setup();
  const first = await context.saveNew(orgA, 'v1.txt', 'v1');
  for (let number = 2; number <= count; number += 1) {
    const s3ref = await context.upload(orgA, `v${number}.txt`, `v${number}`);
    await context.service.save(orgA, { s3ref, id: first._id }, clean);
  }
  context.repository.versionsRead = 0;
  return { ...context, id: first._id };
}

describe('FileService with more versions than the entity carries', () => {
  it('renders the entity with the 100 newest versions, reading no more', async () => {
    // Prepare
    const { service, repository, id } = await fileWithVersions(120);

    // Act
    const entity = await service.get(orgA, id);

    // Assess
    expect(entity.versions).toHaveLength(100);
    expect(entity.versions[0]?.filename).toBe('v120.txt');
    expect(entity.versions[99]?.filename).toBe('v21.txt');
    expect(repository.versionsRead).toBe(100);
  });

  it('answers a new version with at most 100 versions too', async () => {
    // Prepare
    const { service, upload, id } = await fileWithVersions(100);
    const s3ref = await upload(orgA, 'v101.txt', 'v101');

    // Act
    const { entity } = await service.save(orgA, { s3ref, id }, clean);

    // Assess
    expect(entity.versions).toHaveLength(100);
    expect(entity.versions[0]?.filename).toBe('v101.txt');
  });

  it('pages through every version newest first with the index download takes, reading one page each', async () => {
    // Prepare
    const { service, repository, id } = await fileWithVersions(12);
    const pages = [];

    // Act
    let cursor: string | undefined;
    do {
      const page = await service.listVersions(orgA, id, { limit: 5, ...(cursor ? { cursor } : {}) });
      pages.push(page);
      cursor = page.next_cursor;
    } while (cursor);

    // Assess
    expect(pages.map((page) => page.results.map((item) => item.version))).toEqual([[0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [10, 11]]);
    expect(pages.flatMap((page) => page.results.map((item) => item.filename))).toEqual(
      Array.from({ length: 12 }, (_, index) => `v${12 - index}.txt`),
    );
    expect(repository.versionsRead).toBe(12);
  });

  it('gives no cursor when the last page is exactly full', async () => {
    // Prepare
    const { service, id } = await fileWithVersions(4);

    // Act
    const page = await service.listVersions(orgA, id, { limit: 4 });

    // Assess
    expect(page.results).toHaveLength(4);
    expect(page.next_cursor).toBeUndefined();
  });

  it('keeps paging where it was while new versions are saved, indexes counted from the newest', async () => {
    // Prepare
    const { service, upload, id } = await fileWithVersions(6);
    const first = await service.listVersions(orgA, id, { limit: 3 });
    await service.save(orgA, { s3ref: await upload(orgA, 'v7.txt', 'v7'), id }, clean);

    // Act
    const second = await service.listVersions(orgA, id, { limit: 3, cursor: first.next_cursor ?? '' });

    // Assess
    expect(second.results.map((item) => [item.filename, item.version])).toEqual([['v3.txt', 4], ['v2.txt', 5], ['v1.txt', 6]]);
  });

  it.each([
    ['not base64 JSON', 'not-a-cursor'],
    ['a position past the newest version', Buffer.from(JSON.stringify({ file: 'x', before: 99 })).toString('base64url')],
    ['JSON of another shape', Buffer.from('[1,2]').toString('base64url')],
  ])('refuses a cursor that is %s with 400', async (_case, cursor) => {
    // Prepare
    const { service, id } = await fileWithVersions(3);

    // Act
    const listing = service.listVersions(orgA, id, { limit: 1, cursor });

    // Assess
    await expect(listing).rejects.toBeInstanceOf(BadRequestError);
  });

  it("refuses another file's cursor with 400", async () => {
    // Prepare
    const { service, saveNew, upload, id } = await fileWithVersions(3);
    const other = await saveNew(orgA, 'other.txt');
    await service.save(orgA, { s3ref: await upload(orgA, 'o2.txt'), id: other._id }, clean);
    await service.save(orgA, { s3ref: await upload(orgA, 'o3.txt'), id: other._id }, clean);
    const cursor = (await service.listVersions(orgA, other._id, { limit: 1 })).next_cursor ?? '';

    // Act
    const listing = service.listVersions(orgA, id, { limit: 1, cursor });

    // Assess
    await expect(listing).rejects.toMatchObject({ status: 400, message: expect.stringContaining('cursor') });
  });

  it("answers 404 for another org's file, whatever the cursor", async () => {
    // Prepare
    const { service, id } = await fileWithVersions(3);
    const cursor = (await service.listVersions(orgA, id, { limit: 1 })).next_cursor ?? '';

    // Act
    const listings = [service.listVersions(orgB, id, { limit: 1 }), service.listVersions(orgB, id, { limit: 1, cursor })];

    // Assess
    for (const listing of listings) await expect(listing).rejects.toBeInstanceOf(NotFoundError);
  });
});
