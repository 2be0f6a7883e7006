import { describe, expect, it } from 'vitest';
import { isLinkId, maxLinksPerFile, newLinkId, PublicLinks } from '../../../lambdas/core/public-links';
import { FakeLinkRepository } from './fake-links';
import { fixedNow, orgA, orgB, setup } from './fakes';

const api = 'https://files.example.com';
const caller = { ...orgA, apiUrl: api };
const stranger = { ...orgB, apiUrl: api };
const clean = { deleteTempFile: true, versionOnly: false };
const unknownId = '6a1f6c3e-2b4d-4c8e-9f0a-1b2c3d4e5f60';
const hours = (count: number) => new Date(fixedNow.getTime() + count * 3600_000).toISOString();

function linkSetup() {
  const context = setup();
  const links = new FakeLinkRepository(context.repository);
  let now = fixedNow;
  const service = new PublicLinks({ files: context.repository, links, store: context.store, now: () => now });
  const idOf = (link: string) => link.split('/').at(-2) ?? '';
  return { ...context, links, publicLinks: service, idOf, advanceTo: (at: string) => (now = new Date(at)) };
}

describe('PublicLinks.create', () => {
  it('answers a link under the API named with the file’s name, and lists it without a last access', async () => {
    // Prepare
    const { publicLinks, service, upload } = linkSetup();
    const s3ref = await upload(orgA, 'report.txt');
    const file = (await service.save(orgA, { s3ref, filename: 'Q1 report #2.txt' }, clean)).entity;

    // Act
    const link = await publicLinks.create(caller, file._id);

    // Assess
    expect(link).toMatch(new RegExp(`^${api}/v1/files/public/links/[A-Za-z0-9_-]{32}/Q1%20report%20%232\\.txt$`));
    expect(await publicLinks.list(caller, file._id)).toEqual({
      results: [{ id: link.split('/').at(-2), link}],
    });
  });

  it('keeps an expiry given in any offset as UTC, and lists it', async () => {
    // Prepare
    const { publicLinks, saveNew } = linkSetup();
    const file = await saveNew(orgA);

    // Act
    const link = await publicLinks.create(caller, file._id, { expiresAt: '2024-05-01T16:00:00+02:00' });

    // Assess
    const { results } = await publicLinks.list(caller, file._id);
    expect(results).toEqual([expect.objectContaining({ link, expires_at: hours(2) })]);
  });

  it.each([
    ['now', hours(0)],
    ['in the past', hours(-1)],
    ['more than a year ahead', hours(366 * 24)],
    ['not a date', 'tomorrow'],
  ])('refuses an expiry %s with 400 and stores no link', async (_case, expiresAt) => {
    // Prepare
    const { publicLinks, saveNew, links } = linkSetup();
    const file = await saveNew(orgA);

    // Act
    const attempt = publicLinks.create(caller, file._id, { expiresAt });

    // Assess
    await expect(attempt).rejects.toMatchObject({ status: 400 });
    expect(links.links.size).toBe(0);
  });

  it('answers 404 for another org’s file, an unknown file and a file being deleted, and 400 for a malformed id', async () => {
    // Prepare
    const { publicLinks, saveNew, repository, links } = linkSetup();
    const theirs = await saveNew(orgB);
    const doomed = await saveNew(orgA);
    await repository.markDeleting(orgA.org, doomed._id);

    // Act
    const attempts = [theirs._id, unknownId, doomed._id].map((id) => publicLinks.create(caller, id));

    // Assess
    await Promise.all(attempts.map((attempt) => expect(attempt).rejects.toMatchObject({ status: 404 })));
    await expect(publicLinks.create(caller, '../x')).rejects.toMatchObject({ status: 400 });
    expect(links.links.size).toBe(0);
  });

  it(`refuses a link beyond the ${maxLinksPerFile} live ones of a file with 409, while expired ones do not count`, async () => {
    // Prepare
    const { publicLinks, saveNew, advanceTo } = linkSetup();
    const file = await saveNew(orgA);
    await publicLinks.create(caller, file._id, { expiresAt: hours(1) });
    for (let made = 1; made < maxLinksPerFile; made += 1) await publicLinks.create(caller, file._id);

    // Act
    const full = publicLinks.create(caller, file._id);
    advanceTo(hours(2));
    const afterExpiry = publicLinks.create(caller, file._id);

    // Assess
    await expect(full).rejects.toMatchObject({ status: 409 });
    await expect(afterExpiry).resolves.toMatch(/^https:/);
  });
});

describe('PublicLinks.open', () => {
  it('answers the latest version’s download and records when the link was opened', async () => {
    // Prepare
    const { publicLinks, saveNew, service, upload, idOf, advanceTo } = linkSetup();
    const file = await saveNew(orgA, 'v1.txt', 'one');
    const link = await publicLinks.create(caller, file._id);
    const s3ref = await upload(orgA, 'v2.txt', 'two');
    const second = await service.save(orgA, { s3ref, id: file._id }, clean);
    advanceTo(hours(3));

    // Act
    const url = await publicLinks.open(idOf(link));

    // Assess
    expect(url).toBe(`https://files-bucket.example/${second.entity.versions[0]?.s3ref.key}?disposition=inline`);
    expect((await publicLinks.list(caller, file._id)).results[0]?.last_accessed_at).toBe(hours(3));
  });

  it('answers 404 "Public link not found" for a revoked link, an expired link and a link of a deleted file', async () => {
    // Prepare
    const { publicLinks, saveNew, repository, idOf, advanceTo } = linkSetup();
    const [kept, revokedFile, deletedFile] = [await saveNew(orgA), await saveNew(orgA), await saveNew(orgA)];
    const expiring = idOf(await publicLinks.create(caller, kept._id, { expiresAt: hours(1) }));
    const revoked = idOf(await publicLinks.create(caller, revokedFile._id));
    const orphaned = idOf(await publicLinks.create(caller, deletedFile._id));
    await publicLinks.revoke(caller, revoked);
    await repository.markDeleting(orgA.org, deletedFile._id);
    advanceTo(hours(1));

    // Act
    const attempts = [expiring, revoked, orphaned, newLinkId(), 'not-a-link'].map((id) => publicLinks.open(id));

    // Assess
    await Promise.all(attempts.map((attempt) => expect(attempt).rejects.toMatchObject({ status: 404, message: 'Public link not found' })));
    expect((await publicLinks.list(caller, kept._id)).results).toEqual([]);
  });

  it('opens a link of a private file: a link is how a private file is shared', async () => {
    // Prepare
    const { publicLinks, saveNew, idOf } = linkSetup();
    const file = await saveNew(orgA);

    // Act
    const url = publicLinks.open(idOf(await publicLinks.create(caller, file._id)));

    // Assess
    expect(file.access_control).toBe('private');
    await expect(url).resolves.toMatch(/^https:\/\/files-bucket\.example\/files\//);
  });
});

describe('PublicLinks.revoke', () => {
  it('answers 404 for another org’s link and leaves it working, and 400 for a malformed id', async () => {
    // Prepare
    const { publicLinks, saveNew, idOf } = linkSetup();
    const file = await saveNew(orgA);
    const id = idOf(await publicLinks.create(caller, file._id));

    // Act
    const attempt = publicLinks.revoke(stranger, id);

    // Assess
    await expect(attempt).rejects.toMatchObject({ status: 404, message: 'Public link not found' });
    await expect(publicLinks.open(id)).resolves.toMatch(/^https:/);
    await expect(publicLinks.revoke(caller, '../../x')).rejects.toMatchObject({ status: 400 });
  });
});

describe('PublicLinks.list', () => {
  it('answers 404 for another org’s file, so its links stay unseen', async () => {
    // Prepare
    const { publicLinks, saveNew } = linkSetup();
    const file = await saveNew(orgA);
    await publicLinks.create(caller, file._id);

    // Act
    const attempt = publicLinks.list(stranger, file._id);

    // Assess
    await expect(attempt).rejects.toMatchObject({ status: 404 });
  });
});

describe('link ids', () => {
  it('are 32 URL-safe characters from 192 random bits, never the same twice', () => {
    // Act
    const ids = Array.from({ length: 1000 }, newLinkId);

    // Assess
    expect(ids.every(isLinkId)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
