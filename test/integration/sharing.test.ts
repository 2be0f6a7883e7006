import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Api, downloadBytes, uploadFile } from './support/api';
import type { Entity } from './support/api';
import { expectRefusal } from './support/requests';
import { maxOrgChars } from '../../lambdas/core/access';
import { useLocalStack } from './support/stack';
import { Storage } from './support/storage';

const context = useLocalStack({ sweepIntervalMs: 0 });

interface Listing {
  results: Entity[];
  next_cursor?: string;
}

/** Alice of one org; Zoe and Yan of a partner org; Bob of the first org. */
async function orgs() {
  const home = `org-${randomUUID()}`;
  const partner = `org-${randomUUID()}`;
  const as = async (org: string, user: string) => new Api(context.stack.url, await context.stack.auth.sign({ org, user }));
  return { home, partner, alice: await as(home, 'alice'), bob: await as(home, 'bob'), zoe: await as(partner, 'zoe'), yan: await as(partner, 'yan') };
}

const text = (name: string, extra?: Record<string, unknown>) => ({ filename: name, mimeType: 'text/plain', bytes: Buffer.from(name), ...(extra ? { extra } : {}) });
const idsOf = (listing: Listing) => listing.results.map((entity) => entity._id);

/** Whether the caller sees the file by id, in a batch, in the shared listing and as a download. */
async function sees(api: Api, id: string): Promise<boolean[]> {
  const [get, batch, shared, download] = await Promise.all([
    api.get(`/v2/files/${id}`),
    api.post<{ results: Entity[] }>('/v1/files:batchGet', { ids: [id] }),
    api.get<Listing>('/v2/files?shared=true&limit=100'),
    api.get(`/v1/files/${id}/download`),
  ]);
  return [get.status === 200, batch.body.results.length === 1, idsOf(shared.body).includes(id), download.status === 200];
}

describe('sharing with another org', () => {
  it('shows a file to the users of an org granted view, at get, batch get, download and the shared listing, until revoked', async () => {
    // Prepare
    const { home, partner, alice, zoe, yan } = await orgs();
    const contract = await uploadFile(alice, text('contract.txt', { access: 'owner' }));
    const before = [await sees(zoe, contract._id)];

    // Act
    const shared = await alice.patch<Entity>(`/v2/files/${contract._id}`, { _acl: { view: [`org_${partner}`] } });
    const whileShared = [await sees(zoe, contract._id), await sees(yan, contract._id)];
    const bytes = await downloadBytes(zoe, contract._id);
    const ownListing = await zoe.get<Listing>('/v2/files?limit=100');
    const revoked = await alice.patch(`/v2/files/${contract._id}`, { _acl: { view: [] } });
    const afterRevoke = await sees(zoe, contract._id);

    // Assess
    expect(before).toEqual([[false, false, false, false]]);
    expect(shared.body._acl).toMatchObject({ view: [`org:${partner}`] });
    expect(whileShared).toEqual([[true, true, true, true], [true, true, true, true]]);
    expect(bytes.toString()).toBe('contract.txt');
    expect(idsOf(ownListing.body)).not.toContain(contract._id);
    expect(revoked.status).toBe(200);
    expect(afterRevoke).toEqual([false, false, false, false]);
    // The bytes stay where the owning org keeps its files.
    expect(contract.s3ref.key.startsWith(`files/${home}/`)).toBe(true);
  });

  it('shows a file shared with one user of another org to that user only, and never lets them change it', async () => {
    // Prepare
    const { partner, alice, zoe, yan } = await orgs();
    const offer = await uploadFile(alice, text('offer.txt'));

    // Act
    await alice.patch(`/v2/files/${offer._id}`, { _acl: { view: [`org:${offer._org}`, `user:${partner}/zoe`], edit: [`org:${offer._org}`], delete: [`org:${offer._org}`] } });
    const edits = [
      await zoe.patch(`/v2/files/${offer._id}`, { _title: 'mine' }),
      await zoe.patch(`/v2/files/${offer._id}`, { _acl: { view: [`org:${partner}`] } }),
      await zoe.delete(`/v2/files/${offer._id}`),
      await zoe.post(`/v1/files/${offer._id}/public/links`),
    ];

    // Assess
    expect(await sees(zoe, offer._id)).toEqual([true, true, true, true]);
    expect(await sees(yan, offer._id)).toEqual([false, false, false, false]);
    edits.forEach((answer) => expectRefusal(answer, 403));
    expect((await alice.get<Entity>(`/v2/files/${offer._id}`)).body._title).toBe('offer.txt');
  });

  it('lists a file shared with a user and with their org once, under its new name and size after a rename and a new version', async () => {
    // Prepare
    const { partner, alice, zoe } = await orgs();
    const first = await uploadFile(alice, text('b-draft.txt', { _acl: { view: [`org:${partner}`, `user:${partner}/zoe`] } }));
    const other = await uploadFile(alice, text('c-other.txt', { _acl: { view: [`org:${partner}`] } }));

    // Act
    await alice.patch(`/v2/files/${first._id}`, { filename: 'a-final.txt' });
    await uploadFile(alice, { filename: 'a-final.txt', mimeType: 'text/plain', bytes: Buffer.alloc(5000, 'x'), id: first._id });
    const byName = await zoe.get<Listing>('/v2/files?shared=true&sort=filename');
    const bySize = await zoe.get<Listing>('/v2/files?shared=true&sort=-size_bytes');
    const paged: string[] = [];
    let cursor: string | undefined;
    do {
      const page: { body: Listing } = await zoe.get<Listing>(`/v2/files?shared=true&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      paged.push(...idsOf(page.body));
      cursor = page.body.next_cursor;
    } while (cursor && paged.length < 10);

    // Assess
    expect(idsOf(byName.body)).toEqual([first._id, other._id]);
    expect(byName.body.results[0]?.filename).toBe('a-final.txt');
    expect(idsOf(bySize.body)).toEqual([first._id, other._id]);
    expect(bySize.body.results[0]?.size_bytes).toBe(5000);
    expect(paged.sort()).toEqual([first._id, other._id].sort());
  });

  it('forgets a shared file for the other org when it is deleted', async () => {
    // Prepare
    const { partner, alice, zoe } = await orgs();
    const file = await uploadFile(alice, text('gone.txt', { _acl: { view: [`org:${partner}`] } }));
    const whileThere = await sees(zoe, file._id);

    // Act
    const deleted = await alice.delete(`/v2/files/${file._id}`);

    // Assess
    expect(whileThere).toEqual([true, true, true, true]);
    expect(deleted.status).toBe(200);
    expect(await sees(zoe, file._id)).toEqual([false, false, false, false]);
  });

  it('keeps another org’s grants and the org’s own listing apart: shared=true never lists the caller’s own org’s files', async () => {
    // Prepare
    const { home, alice, bob } = await orgs();
    const mine = await uploadFile(alice, text('ours.txt', { _acl: { view: [`user:${home}/bob`] } }));

    // Act
    const shared = await bob.get<Listing>('/v2/files?shared=true');
    const own = await bob.get<Listing>('/v2/files');

    // Assess
    expect(idsOf(shared.body)).toEqual([]);
    expect(idsOf(own.body)).toEqual([mine._id]);
  });

  it('stores one listing entry per principal the file is listed under and one lookup per other org, and leaves none behind', async () => {
    // Prepare
    const { home, partner, alice } = await orgs();
    const storage = new Storage(context.stack);
    const file = await uploadFile(alice, text('ledger.txt', { access: 'owner', _acl: { view: [`user:${home}/bob`, `org:${partner}`, `user:${partner}/zoe`] } }));
    /** The file's grant entries (by principal) and shared lookups (by org), as stored. */
    const stored = async () => {
      const items = (await storage.documents()).filter((item) => item.file_id === file._id);
      return {
        grants: items.filter((item) => String(item.sk).startsWith('GRANT#')).map((item) => String(item.principal)).sort(),
        lookups: items.filter((item) => item.sk === 'SHARED').map((item) => String(item.viewer_org)).sort(),
      };
    };

    // Act
    const created = await stored();
    await alice.patch(`/v2/files/${file._id}`, { _acl: { view: [] } });
    const revoked = await stored();
    await alice.patch(`/v2/files/${file._id}`, { _acl: { view: [`org:${home}`, `user:${partner}/zoe`] } });
    const orgWide = await stored();
    await alice.delete(`/v2/files/${file._id}`);
    // The upload's claim stays until its TTL, so that a retried save answers what it became.
    const leftAfterDelete = (await storage.documents()).filter(
      (item) => JSON.stringify(item).includes(file._id) && !String(item.pk).startsWith('UPLOAD#'),
    );

    // Assess
    expect(created).toEqual({
      grants: [`org:${partner}`, `user:${home}/alice`, `user:${home}/bob`, `user:${partner}/zoe`].sort(),
      lookups: [partner],
    });
    expect(revoked).toEqual({ grants: [`user:${home}/alice`], lookups: [] });
    // Org-wide, the file is in its org's own listing: only the other org's user needs an entry.
    expect(orgWide).toEqual({ grants: [`user:${partner}/zoe`], lookups: [partner] });
    expect(leftAfterDelete).toEqual([]);
    storage.close();
  });

  it('shares with a principal as long as principals may be, and lists the file for it; that org keeps files of its own', async () => {
    // Prepare: the longest org id and user id, of 3-byte characters: longer than a key may be.
    const partner = '€'.repeat(maxOrgChars);
    const user = '₤'.repeat(256);
    const { alice } = await orgs();
    const zoe = new Api(context.stack.url, await context.stack.auth.sign({ org: partner, user }));
    const file = await uploadFile(alice, text('long-names.txt'));

    // Act
    const shared = await alice.patch(`/v2/files/${file._id}`, { _acl: { view: [`org:${file._org}`, `user:${partner}/${user}`] } });

    const own = await uploadFile(zoe, { filename: `${'₤'.repeat(60)}.txt`, mimeType: 'text/plain', bytes: Buffer.from('own') });

    // Assess
    expect(shared.status).toBe(200);
    expect(await sees(zoe, file._id)).toEqual([true, true, true, true]);
    // The longest org id has files of its own too, under keys S3 can hold.
    expect((await downloadBytes(zoe, own._id)).toString()).toBe('own');
  });

  it('refuses with 400 a change that would write more index entries than one transaction holds, changing nothing', async () => {
    // Prepare: 40 relations, then 60 users to list the file for, in one change.
    const { home, alice } = await orgs();
    const file = await uploadFile(alice, text('crowded.txt'));
    const relations = Array.from({ length: 40 }, (_, index) => ({ entity_id: `contact-${index}` }));
    const users = Array.from({ length: 60 }, (_, index) => `user:${home}/u-${index}`);

    // Act
    const refused = await alice.patch(`/v2/files/${file._id}`, { relations, _acl: { view: users } });
    const apart = [
      await alice.patch(`/v2/files/${file._id}`, { relations }),
      await alice.patch(`/v2/files/${file._id}`, { _acl: { view: users } }),
    ];

    // Assess
    expectRefusal(refused, 400);
    expect(JSON.stringify(refused.body)).toContain('separate requests');
    expect(apart.map((answer) => answer.status)).toEqual([200, 200]);
  });
});
