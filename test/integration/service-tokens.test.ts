import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { putBytes, uploadFile, type Api, type Entity, type Ticket } from './support/api';
import { useLocalStack } from './support/stack';

/**
 * Service tokens over real HTTP against the local stack: a backend's client-credentials token
 * (no aud, client_id, the service scope) saves files for users of its org with `_owners`, and
 * the local API accepts and refuses such tokens as API Gateway's JWT authorizer does.
 */

const context = useLocalStack({ sweepIntervalMs: 0, ttlIntervalMs: 0 });
const bytes = (text: string) => ({ mimeType: 'text/plain', bytes: Buffer.from(text) });

async function as(user: string, extra: { roles?: string[] } = {}): Promise<Api> {
  return context.api.withToken(await context.stack.auth.sign({ org: 'org-a', user, ...extra }));
}

async function service(): Promise<Api> {
  return context.api.withToken(await context.stack.auth.signService({ org: 'org-a' }));
}

/** uploadFile and the PUT of the bytes; the s3ref to save. */
async function uploaded(api: Api, filename = 'payslip.txt'): Promise<Ticket['s3ref']> {
  const ticket = await api.post<Ticket>('/v2/files/upload', { filename, mime_type: 'text/plain' });
  expect(ticket.status).toBe(201);
  expect((await putBytes(ticket.body.upload_url, Buffer.from('salary'), 'text/plain')).status).toBe(200);
  return ticket.body.s3ref;
}

describe('a service token', () => {
  it('saves an owners-only file for a user: the user gets it alone, other users of the org get 404', async () => {
    // Prepare
    const [backend, u1, u2, admin] = await Promise.all([service(), as('u1'), as('u2'), as('boss', { roles: ['admin'] })]);

    // Act
    const saved = await uploadFile(backend, {
      filename: 'payslip.txt',
      ...bytes('salary'),
      extra: { _owners: [{ org_id: 'org-a', user_id: 'u1' }], access: 'owner' },
    });
    const [byOwner, byOther, byAdmin, batchOfOwner, batchOfOther] = await Promise.all([
      u1.get<Entity>(`/v2/files/${saved._id}`),
      u2.get(`/v2/files/${saved._id}`),
      admin.get<Entity>(`/v2/files/${saved._id}`),
      u1.post<{ results: Entity[]; not_found: string[] }>('/v1/files:batchGet', { ids: [saved._id] }),
      u2.post<{ results: Entity[]; not_found: string[] }>('/v1/files:batchGet', { ids: [saved._id] }),
    ]);

    // Assess
    expect(saved._owners).toEqual([{ org_id: 'org-a', user_id: 'u1' }]);
    expect(saved._acl).toEqual({ view: [], edit: [], delete: [] });
    expect(byOwner.status).toBe(200);
    expect(byOwner.body._id).toBe(saved._id);
    expect(byOther.status).toBe(404);
    expect(byAdmin.status).toBe(200);
    expect(batchOfOwner.body.results.map((file) => file._id)).toEqual([saved._id]);
    expect(batchOfOther.body).toEqual({ results: [], not_found: [saved._id] });
  });

  it('lists a file it saved for a user to that user and not to the rest of the org', async () => {
    // Prepare
    const [backend, u1, u2] = await Promise.all([service(), as('u1'), as('u2')]);
    const saved = await uploadFile(backend, {
      filename: 'listed.txt',
      ...bytes('mine'),
      extra: { _owners: [{ org_id: 'org-a', user_id: 'u1' }], access: 'owner' },
    });

    // Act
    const [ofOwner, ofOther] = await Promise.all([
      u1.get<{ results: Entity[] }>('/v2/files?limit=100'),
      u2.get<{ results: Entity[] }>('/v2/files?limit=100'),
    ]);

    // Assess
    expect(ofOwner.body.results.map((file) => file._id)).toContain(saved._id);
    expect(ofOther.body.results.map((file) => file._id)).not.toContain(saved._id);
  });

  it('is accepted without aud and sub, named by its client_id', async () => {
    // Prepare
    const token = await context.stack.auth.signClaims({ org_id: 'org-a', client_id: 'demo-service', scope: 'file-service/service', aud: undefined });
    const backend = context.api.withToken(token);

    // Act
    const saved = await uploadFile(backend, { filename: 'by-client.txt', ...bytes('x'), extra: { _owners: [{ org_id: 'org-a', user_id: 'u1' }] } });

    // Assess
    expect(decodeJwt(token)).not.toHaveProperty('aud');
    expect(saved._owners).toEqual([{ org_id: 'org-a', user_id: 'u1' }]);
    expect((await (await as('u1')).get(`/v2/files/${saved._id}`)).status).toBe(200);
  });

  it('is refused with 401 when its aud is not accepted, even with an accepted client_id', async () => {
    // Prepare
    const token = await context.stack.auth.signClaims({ org_id: 'org-a', sub: 'x', aud: 'another-api', client_id: 'demo-service', scope: 'file-service/service' });

    // Act
    const answer = await context.api.withToken(token).post('/v2/files/upload', { filename: 'a.txt' });

    // Assess
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({ message: 'Unauthorized' });
  });

  it('is refused with 401 when it has no aud and a client_id that is not accepted', async () => {
    // Prepare
    const token = await context.stack.auth.signService({ org: 'org-a', client: 'stranger' });

    // Act
    const answer = await context.api.withToken(token).post('/v2/files/upload', { filename: 'a.txt' });

    // Assess
    expect(answer.status).toBe(401);
  });
});

describe('_owners from clients that may not give them', () => {
  it('answers 403 to a plain user saving with _owners, and saves nothing', async () => {
    // Prepare
    const alice = await as('alice');
    const s3ref = await uploaded(alice);

    // Act
    const refused = await alice.post('/v2/files', { s3ref, _owners: [{ org_id: 'org-a', user_id: 'u1' }] });
    const retriedWithout = await alice.post<Entity>('/v2/files', { s3ref });

    // Assess
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({ status: 403, error: 'Only a service token or an org admin may save a file with _owners' });
    // The upload was not consumed: saving it plainly now creates the file, owned by its uploader.
    expect(retriedWithout.status).toBe(201);
    expect(retriedWithout.body._owners).toEqual([{ org_id: 'org-a', user_id: 'alice' }]);
  });

  it.each([
    ['an owner of another org', [{ org_id: 'org-b', user_id: 'u1' }]],
    ['an empty list', []],
    ['eleven owners', Array.from({ length: 11 }, (_, index) => ({ org_id: 'org-a', user_id: `u${index}` }))],
    ['the same owner twice', [{ org_id: 'org-a', user_id: 'u1' }, { org_id: 'org-a', user_id: 'u1' }]],
    ['a user id with a control character', [{ org_id: 'org-a', user_id: 'u\u00001' }]],
    ['a user id of 257 characters', [{ org_id: 'org-a', user_id: 'u'.repeat(257) }]],
    ['an owner with an unknown field', [{ org_id: 'org-a', user_id: 'u1', role: 'x' }]],
  ])('answers a service saving %s with 400, and saves nothing', async (_case, owners) => {
    // Prepare
    const backend = await service();
    const s3ref = await uploaded(backend);

    // Act
    const refused = await backend.post<{ status: number; error: string }>('/v2/files', { s3ref, _owners: owners });
    const [, , uploadId] = s3ref.key.split('/');
    const lookup = await backend.get(`/v2/files/${uploadId}`);

    // Assess
    expect(refused.status).toBe(400);
    expect(refused.body.status).toBe(400);
    expect(refused.body.error).toMatch(/_owners/);
    expect(lookup.status).toBe(404);
  });

  it('answers 403 to a user who may edit but does not own the file PATCHing _owners, and changes nothing', async () => {
    // Prepare
    const alice = await as('alice');
    const bob = await as('bob');
    const file = await uploadFile(alice, { filename: 'shared.txt', ...bytes('org-wide') });

    // Act
    const refused = await bob.patch(`/v2/files/${file._id}`, { _owners: [{ org_id: 'org-a', user_id: 'bob' }] });
    const after = await alice.get<Entity>(`/v2/files/${file._id}`);

    // Assess
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({ status: 403, error: `Only the owners of file ${file._id} and their org's admins may change its _owners` });
    expect(after.body._owners).toEqual([{ org_id: 'org-a', user_id: 'alice' }]);
  });

  it('lets the owner hand an owners-only file to another user by PATCH: the new owner gets and lists it, the old one neither', async () => {
    // Prepare
    const alice = await as('alice');
    const file = await uploadFile(alice, { filename: 'handover.txt', ...bytes('x'), extra: { access: 'owner' } });

    // Act
    const handed = await alice.patch<Entity>(`/v2/files/${file._id}`, { _owners: [{ org_id: 'org-a', user_id: 'carol' }] });
    const carol = await as('carol');
    const [byAlice, byCarol, aliceLists, carolLists] = await Promise.all([
      alice.get(`/v2/files/${file._id}`),
      carol.get(`/v2/files/${file._id}`),
      alice.get<{ results: Entity[] }>('/v2/files?limit=100'),
      carol.get<{ results: Entity[] }>('/v2/files?limit=100'),
    ]);

    // Assess
    expect(handed.status).toBe(200);
    expect(handed.body._owners).toEqual([{ org_id: 'org-a', user_id: 'carol' }]);
    expect(byAlice.status).toBe(404);
    expect(byCarol.status).toBe(200);
    expect(aliceLists.body.results.map((listed) => listed._id)).not.toContain(file._id);
    expect(carolLists.body.results.map((listed) => listed._id)).toContain(file._id);
  });
});

describe('FileUpdated on the bus', () => {
  it('carries the grants a PATCH of _acl gave and took', async () => {
    // Prepare
    const alice = await as('alice');
    const file = await uploadFile(alice, { filename: 'acl.txt', ...bytes('x') });
    await context.stack.events.waitFor((event) => event.detail.file_id === file._id && event['detail-type'] === 'FileCreated', 15_000);

    // Act
    const patched = await alice.patch(`/v2/files/${file._id}`, { _acl: { view: ['org:org-a', 'user:org-a/bob'], edit: ['user:org-a/bob'] } });
    const updated = await context.stack.events.waitFor((event) => event.detail.file_id === file._id && event['detail-type'] === 'FileUpdated', 15_000);

    // Assess
    expect(patched.status).toBe(200);
    expect(updated.detail).toMatchObject({
      actor: 'alice',
      changed: ['acl'],
      acl_changes: {
        granted: { view: ['user:org-a/bob'], edit: ['user:org-a/bob'] },
        revoked: { edit: ['org:org-a'], delete: ['org:org-a'] },
      },
    });
    expect(updated.detail).not.toHaveProperty('owners');
  });
});
