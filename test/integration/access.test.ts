import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Api, uploadFile } from './support/api';
import type { Entity } from './support/api';
import { expectRefusal } from './support/requests';
import { useLocalStack } from './support/stack';

const context = useLocalStack({ sweepIntervalMs: 0 });

interface Listing {
  results: Entity[];
}

/** Alice (the owner), Bob (same org), an admin of the org, and Zoe of another org. */
async function people() {
  const org = `org-${randomUUID()}`;
  const { stack } = context;
  const as = async (user: string, roles?: string[], inOrg = org) =>
    new Api(stack.url, await stack.auth.sign({ org: inOrg, user, ...(roles ? { roles } : {}) }));
  return { org, alice: await as('alice'), bob: await as('bob'), admin: await as('root', ['admin']), zoe: await as('zoe', undefined, `org-${randomUUID()}`) };
}

const text = (name: string, extra?: Record<string, unknown>) => ({ filename: name, mimeType: 'text/plain', bytes: Buffer.from(name), ...(extra ? { extra } : {}) });
const idsOf = (listing: Listing) => listing.results.map((entity) => entity._id);

/** Whether the caller sees the file by id, in a batch, in the listing and as a download. */
async function sees(api: Api, id: string): Promise<boolean[]> {
  const [get, batch, list, download] = await Promise.all([
    api.get(`/v2/files/${id}`),
    api.post<{ results: Entity[] }>('/v1/files:batchGet', { ids: [id] }),
    api.get<Listing>('/v2/files?limit=100'),
    api.get(`/v1/files/${id}/download`),
  ]);
  return [get.status === 200, batch.body.results.length === 1, idsOf(list.body).includes(id), download.status === 200];
}

describe('owners-only files and sharing', () => {
  it('keeps a file saved with access "owner" from the rest of its org, everywhere, and shows it to its owner and the org’s admins', async () => {
    // Prepare
    const { org, alice, bob, admin, zoe } = await people();

    // Act
    const payslip = await uploadFile(alice, text('payslip.txt', { access: 'owner' }));

    // Assess
    expect(payslip._acl).toEqual({ view: [], edit: [], delete: [] });
    expect(payslip._owners).toEqual([{ org_id: org, user_id: 'alice' }]);
    expect(await sees(alice, payslip._id)).toEqual([true, true, true, true]);
    expect(await sees(admin, payslip._id)).toEqual([true, true, true, true]);
    expect(await sees(bob, payslip._id)).toEqual([false, false, false, false]);
    expect(await sees(zoe, payslip._id)).toEqual([false, false, false, false]);
    expectRefusal(await bob.get(`/v2/files/${payslip._id}`), 404);
    expectRefusal(await bob.delete(`/v2/files/${payslip._id}`), 404);
  });

  it('shows a file shared with a user to exactly that user until the share is revoked, and lets them view but not change it', async () => {
    // Prepare
    const { org, alice, bob, admin } = await people();
    const carol = new Api(context.stack.url, await context.stack.auth.sign({ org, user: 'carol' }));
    const contract = await uploadFile(alice, text('contract.txt', { access: 'owner' }));

    // Act
    const shared = await alice.patch<Entity>(`/v2/files/${contract._id}`, { _acl: { view: [`user:${org}/bob`] } });
    const whileShared = [await sees(bob, contract._id), await sees(carol, contract._id)];
    const bobEdits = await bob.patch(`/v2/files/${contract._id}`, { _title: 'mine' });
    const bobShares = await bob.patch(`/v2/files/${contract._id}`, { _acl: { view: [`org:${org}`] } });
    const revoked = await admin.patch<Entity>(`/v2/files/${contract._id}`, { _acl: { view: [] } });
    const afterRevoke = await sees(bob, contract._id);

    // Assess
    expect(shared.status).toBe(200);
    expect(shared.body._acl).toEqual({ view: [`user:${org}/bob`], edit: [], delete: [] });
    expect(whileShared).toEqual([[true, true, true, true], [false, false, false, false]]);
    expectRefusal(bobEdits, 403);
    expectRefusal(bobShares, 403);
    expect(revoked.status).toBe(200);
    expect(afterRevoke).toEqual([false, false, false, false]);
    expect((await alice.get<Entity>(`/v2/files/${contract._id}`)).body._title).toBe('contract.txt');
  });

  it('accepts epilot’s org_<id> grants, and refuses malformed principals, grants to other orgs and a huge _acl with 400, changing nothing', async () => {
    // Prepare
    const { org, alice } = await people();
    const file = await uploadFile(alice, text('notes.txt'));
    const before = (await alice.get(`/v2/files/${file._id}`)).body;

    // Act
    const epilot = await alice.patch<Entity>(`/v2/files/${file._id}`, { _acl: { view: [`org_${org}`], edit: [`org_${org}`] } });
    const refusals = await Promise.all(
      [
        { view: ['*'] },
        { view: ['user:alice'] },
        { view: [`org:${org}`, 'group:everyone'] },
        { view: ['org:someone-else'] },
        { view: Array.from({ length: 101 }, (_, index) => `user:${org}/u-${index}`) },
        { view: [`org:${org}`], owners: ['x'] },
      ].map((acl) => alice.patch(`/v2/files/${file._id}`, { _acl: acl })),
    );

    // Assess
    expect(epilot.body._acl).toEqual({ view: [`org:${org}`], edit: [`org:${org}`], delete: [] });
    refusals.forEach((answer) => expectRefusal(answer, 400));
    expect((await alice.get<Entity>(`/v2/files/${file._id}`)).body._acl).toEqual(epilot.body._acl);
    expect(before).toMatchObject({ _acl: { view: [`org:${org}`], edit: [`org:${org}`], delete: [`org:${org}`] } });
  });
});
