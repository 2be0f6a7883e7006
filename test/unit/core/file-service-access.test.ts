import { describe, expect, it } from 'vitest';
import type { Acl, Actor } from '../../../lambdas/core/access';
import { orgPrincipal, userPrincipal } from '../../../lambdas/core/access';
import type { HttpError } from '../../../lambdas/core/errors';
import type { Caller } from '../../../lambdas/core/model';
import { orgA, setup } from './fakes';

const failure = (promise: Promise<unknown>) => promise.then(() => 200, (error: HttpError) => error.status);
const bob: Caller = { org: orgA.org, userId: 'bob' };
const admin: Caller & Actor = { org: orgA.org, userId: 'root', admin: true };

/** A saved file of alice (org-a), its grants then set as given. */
async function fileWith(acl: Acl) {
  const context = setup();
  const entity = await context.saveNew(orgA, 'payslip.pdf');
  const record = [...context.repository.records.values()].find((candidate) => candidate.id === entity._id);
  if (!record) throw new Error('saved file not stored');
  record.acl = acl;
  return { ...context, id: entity._id };
}

describe('FileService decides every operation with the access model', () => {
  it('gives a new file its creator as owner and its whole org every grant', async () => {
    // Prepare
    const { service, saveNew } = setup();

    // Act
    const entity = await saveNew(orgA, 'a.txt');

    // Assess
    expect(entity._owners).toEqual([{ org_id: orgA.org, user_id: orgA.userId }]);
    expect(entity._acl).toEqual({ view: [orgPrincipal(orgA.org)], edit: [orgPrincipal(orgA.org)], delete: [orgPrincipal(orgA.org)] });
    expect(await service.get(bob, entity._id)).toEqual(entity);
  });

  it('hides an owners-only file from the rest of its org at every operation, as if it did not exist', async () => {
    // Prepare
    const { service, upload, id } = await fileWith({ view: [], edit: [], delete: [] });
    const s3ref = await upload(bob, 'next.pdf');

    // Act
    const statuses = await Promise.all([
      failure(service.get(bob, id)),
      failure(service.download(bob, { id, version: 0, attachment: true })),
      failure(service.listVersions(bob, id, { limit: 10 })),
      failure(service.update(bob, id, { title: 'mine' })),
      failure(service.createUpload(bob, { filename: 'next.pdf', file_entity_id: id })),
      failure(service.save(bob, { id, s3ref }, { deleteTempFile: true, versionOnly: false })),
      failure(service.delete(bob, id)),
    ]);
    const batch = await service.getMany(bob, [id]);

    // Assess
    expect(statuses).toEqual([404, 404, 404, 404, 404, 404, 404]);
    expect(batch).toEqual({ results: [], not_found: [id] });
    expect((await service.get(orgA, id))._title).toBe('payslip.pdf');
  });

  it('lets a user granted view read and download, and answers 403 to changing or deleting', async () => {
    // Prepare
    const { service, id } = await fileWith({ view: [userPrincipal(orgA.org, 'bob')], edit: [], delete: [] });

    // Act
    const statuses = await Promise.all([
      failure(service.get(bob, id)),
      failure(service.download(bob, { id, version: 0, attachment: true })),
      failure(service.update(bob, id, { title: 'mine' })),
      failure(service.createUpload(bob, { filename: 'next.pdf', file_entity_id: id })),
      failure(service.delete(bob, id)),
    ]);

    // Assess
    expect(statuses).toEqual([200, 200, 403, 403, 403]);
    expect((await service.get(orgA, id))._title).toBe('payslip.pdf');
  });

  it('lets the owner and an org admin do everything with an owners-only file', async () => {
    // Prepare
    const { service, id } = await fileWith({ view: [], edit: [], delete: [] });

    // Act
    const byOwner = await service.update(orgA, id, { title: 'by owner' });
    const byAdmin = await service.update(admin, id, { title: 'by admin' });
    const deleted = await service.delete(admin, id);

    // Assess
    expect([byOwner.entity._title, byAdmin.entity._title, deleted._id]).toEqual(['by owner', 'by admin', id]);
  });

  it('gives nothing to a grant of edit or delete without view', async () => {
    // Prepare
    const everyone = orgPrincipal(orgA.org);
    const { service, id } = await fileWith({ view: [], edit: [everyone], delete: [everyone] });

    // Act
    const statuses = await Promise.all([failure(service.update(bob, id, { title: 'x' })), failure(service.delete(bob, id))]);

    // Assess
    expect(statuses).toEqual([404, 404]);
  });
});
