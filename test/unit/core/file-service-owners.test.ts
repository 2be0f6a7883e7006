import { describe, expect, it } from 'vitest';
import type { HttpError } from '../../../lambdas/core/errors';
import type { Caller } from '../../../lambdas/core/model';
import { metadataLimits } from '../../../lambdas/core/metadata-limits';
import { orgA, setup } from './fakes';

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => ({ status: 200, error: '' }),
    (error: HttpError) => ({ status: error.status, error: error.message }),
  );
const service_: Caller = { org: orgA.org, userId: 'billing-client', service: true };
const admin: Caller = { org: orgA.org, userId: 'root', admin: true };
const bob: Caller = { org: orgA.org, userId: 'bob' };
const u1 = { org_id: orgA.org, user_id: 'u1' };
const options = { deleteTempFile: true, versionOnly: false };

describe('saving a file for users of the org (_owners)', () => {
  it('lets a service token save an owners-only file for a user: the user and admins see it, the rest of the org does not', async () => {
    // Prepare
    const { service, upload } = setup();
    const s3ref = await upload(service_, 'payslip.pdf');

    // Act
    const { entity } = await service.save(service_, { s3ref, owners: [u1], access: 'owner' }, options);

    // Assess
    expect(entity._owners).toEqual([u1]);
    expect(entity._acl).toEqual({ view: [], edit: [], delete: [] });
    expect((await service.get({ org: orgA.org, userId: 'u1' }, entity._id))._id).toBe(entity._id);
    expect((await service.get(admin, entity._id))._id).toBe(entity._id);
    expect((await failure(service.get(bob, entity._id))).status).toBe(404);
  });

  it('keeps the service as the creator of the file and of its version', async () => {
    // Prepare
    const { service, upload, repository } = setup();
    const s3ref = await upload(service_, 'a.txt');

    // Act
    const { entity } = await service.save(service_, { s3ref, owners: [u1] }, options);

    // Assess
    const record = [...repository.records.values()].find((candidate) => candidate.id === entity._id);
    expect(record?.created_by).toBe('billing-client');
    expect(record?.owners).toEqual([u1]);
  });

  it('lets an org admin save for users of the org, and replace the owners with a new version', async () => {
    // Prepare
    const { service, upload } = setup();
    const first = await service.save(admin, { s3ref: await upload(admin, 'a.txt'), owners: [u1] }, options);

    // Act
    const second = await service.save(admin, { id: first.entity._id, s3ref: await upload(admin, 'b.txt'), owners: [{ ...u1, user_id: 'u2' }] }, options);

    // Assess
    expect(first.entity._owners).toEqual([u1]);
    expect(second.entity._owners).toEqual([{ ...u1, user_id: 'u2' }]);
    expect(second.entity.versions).toHaveLength(2);
  });

  it('refuses _owners from a plain user with 403 and saves nothing', async () => {
    // Prepare
    const { service, upload, repository } = setup();
    const s3ref = await upload(bob, 'a.txt');

    // Act
    const refused = await failure(service.save(bob, { s3ref, owners: [u1] }, options));

    // Assess
    expect(refused).toEqual({ status: 403, error: 'Only a service token or an org admin may save a file with _owners' });
    expect(repository.records.size).toBe(0);
  });

  it('refuses owners of another org, none, eleven, the same user twice and malformed ids with 400, saving nothing', async () => {
    // Prepare
    const { service, upload, repository } = setup();
    const s3ref = await upload(service_, 'a.txt');
    const eleven = Array.from({ length: 11 }, (_, index) => ({ ...u1, user_id: `u${index}` }));

    // Act
    const statuses = await Promise.all(
      [[{ org_id: 'org-b', user_id: 'u1' }], [], eleven, [u1, u1], [{ ...u1, user_id: '' }], [{ ...u1, user_id: 'a\u0000b' }], [{ ...u1, user_id: 'x'.repeat(257) }]].map(
        async (owners) => (await failure(service.save(service_, { s3ref, owners }, options))).status,
      ),
    );

    // Assess
    expect(statuses).toEqual([400, 400, 400, 400, 400, 400, 400]);
    expect(repository.records.size).toBe(0);
  });

  it('counts _owners toward the metadata bound', async () => {
    // Prepare: relations that leave less room than ten long owners take.
    const { service, upload } = setup();
    const owners = Array.from({ length: 10 }, (_, index) => ({ ...u1, user_id: `${index}`.padEnd(256, '漢') }));
    const ownersBytes = new TextEncoder().encode(JSON.stringify(owners)).length;
    const relations: Array<{ entity_id: string; _tags: string[] }> = [];
    const size = () => new TextEncoder().encode(JSON.stringify({ relations })).length;
    while (size() < metadataLimits.totalBytes - ownersBytes / 2) {
      const last = relations.at(-1);
      if (!last || last._tags.length === metadataLimits.relationTags) relations.push({ entity_id: `r${relations.length}`, _tags: [] });
      relations.at(-1)?._tags.push('漢'.repeat(100));
    }

    // Act
    const withoutOwners = await failure(service.save(service_, { s3ref: await upload(service_, 'a.txt'), relations }, options));
    const withOwners = await failure(service.save(service_, { s3ref: await upload(service_, 'b.txt'), relations, owners }, options));

    // Assess
    expect(withoutOwners.status).toBe(200);
    expect(withOwners.status).toBe(413);
    expect(withOwners.error).toContain('_owners');
  });
});

describe('changing the owners of a file', () => {
  it('lets an owner hand the file to another user, who then owns it alone', async () => {
    // Prepare
    const { service, saveNew } = setup();
    const file = await saveNew(orgA);

    // Act
    const { entity } = await service.update(orgA, file._id, { owners: [u1] });

    // Assess
    expect(entity._owners).toEqual([u1]);
  });

  it('refuses a user who may edit but does not own the file with 403, changing nothing', async () => {
    // Prepare
    const { service, saveNew } = setup();
    const file = await saveNew(orgA);

    // Act
    const refused = await failure(service.update(bob, file._id, { owners: [{ ...u1, user_id: 'bob' }] }));

    // Assess
    expect(refused).toEqual({ status: 403, error: `Only the owners of file ${file._id} and their org's admins may change its _owners` });
    expect((await service.get(orgA, file._id))._owners).toEqual([{ org_id: orgA.org, user_id: orgA.userId }]);
  });

  it('lets a service token of the org change the owners', async () => {
    // Prepare
    const { service, saveNew } = setup();
    const file = await saveNew(orgA);

    // Act
    const { entity } = await service.update(service_, file._id, { owners: [u1, { ...u1, user_id: 'u2' }] });

    // Assess
    expect(entity._owners).toEqual([u1, { ...u1, user_id: 'u2' }]);
  });

  it('refuses owners of another org with 400, changing nothing', async () => {
    // Prepare
    const { service, saveNew } = setup();
    const file = await saveNew(orgA);

    // Act
    const refused = await failure(service.update(orgA, file._id, { owners: [{ org_id: 'org-b', user_id: 'u1' }] }));

    // Assess
    expect(refused.status).toBe(400);
    expect((await service.get(orgA, file._id))._owners).toEqual([{ org_id: orgA.org, user_id: orgA.userId }]);
  });
});
