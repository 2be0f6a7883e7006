import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Api, uploadFile } from './support/api';
import type { Entity } from './support/api';
import { expectRefusal, stageUpload } from './support/requests';
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
  const zoeOrg = `org-${randomUUID()}`;
  return {
    org,
    zoeOrg,
    alice: await as('alice'),
    bob: await as('bob'),
    admin: await as('root', ['admin']),
    zoe: await as('zoe', undefined, zoeOrg),
    zoeAdmin: await as('root', ['admin'], zoeOrg),
    service: new Api(stack.url, await stack.auth.signService({ org })),
    zoeService: new Api(stack.url, await stack.auth.signService({ org: zoeOrg })),
  };
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

  it('accepts epilot’s org_<id> grants, and refuses malformed principals, grants of more than view to other orgs and a huge _acl with 400, changing nothing', async () => {
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
        { view: [`org:${org}`], edit: ['org:someone-else'] },
        { view: [`org:${org}`], delete: [`user:someone-else/zoe`] },
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

/** Who calls, and what the owner granted before: the columns of the route table below. */
const callers = [
  'a same-org user granted nothing',
  'a same-org user granted view only',
  'another org’s user whose org was granted nothing (a third org was)',
  'another org’s user whose org was granted view',
  'another org’s admin whose org was granted nothing',
  'another org’s service token whose org was granted nothing',
  'another org’s service token whose org was granted view',
] as const;
type Who = (typeof callers)[number];

/** An owners-only file of Alice with one public link, shared as `who` says; the caller is Bob or Zoe. */
async function fixture(who: Who) {
  const { org, zoeOrg, alice, bob, admin, zoe, zoeAdmin, zoeService } = await people();
  const file = await uploadFile(alice, text('board-minutes.txt', { access: 'owner' }));
  const grant = {
    'a same-org user granted nothing': undefined,
    'a same-org user granted view only': `user:${org}/bob`,
    'another org’s user whose org was granted nothing (a third org was)': `org:org-${randomUUID()}`,
    'another org’s user whose org was granted view': `org:${zoeOrg}`,
    'another org’s admin whose org was granted nothing': undefined,
    'another org’s service token whose org was granted nothing': undefined,
    'another org’s service token whose org was granted view': `org:${zoeOrg}`,
  }[who];
  if (grant) expect((await alice.patch(`/v2/files/${file._id}`, { _acl: { view: [grant] } })).status).toBe(200);
  const link = await alice.post<string>(`/v1/files/${file._id}/public/links`);
  const linkId = String(link.body).split('/').at(-2) ?? '';
  const caller = who.startsWith('a same-org') ? bob : who.includes('admin') ? zoeAdmin : who.includes('service') ? zoeService : zoe;
  return { org, caller, admin, id: file._id, linkId };
}

type Call = (api: Api, target: { id: string; linkId: string }) => Promise<{ status: number; body: unknown }>;
type Answers = [number, number, number, number, number, number, number];

/** Every route that takes a file, and what it answers each caller of `callers`, in order. */
const routes: Array<[string, Call, Answers]> = [
  ['GET /v1/files/{id}', (api, { id }) => api.get(`/v1/files/${id}`), [404, 200, 404, 200, 404, 404, 200]],
  ['GET /v2/files/{id}', (api, { id }) => api.get(`/v2/files/${id}`), [404, 200, 404, 200, 404, 404, 200]],
  ['GET /v1/files/{id}/versions', (api, { id }) => api.get(`/v1/files/${id}/versions`), [404, 200, 404, 200, 404, 404, 200]],
  ['GET /v1/files/{id}/download', (api, { id }) => api.get(`/v1/files/${id}/download`), [404, 200, 404, 200, 404, 404, 200]],
  [
    'POST /v1/files:downloadFiles',
    async (api, { id }) => {
      const answer = await api.post<Array<{ download_url?: string; error?: { status: number } }>>('/v1/files:downloadFiles', [{ id }]);
      return { status: answer.body[0]?.download_url ? 200 : (answer.body[0]?.error?.status ?? 0), body: answer.body };
    },
    [404, 200, 404, 200, 404, 404, 200],
  ],
  [
    'POST /v1/files:batchGet',
    async (api, { id }) => {
      const answer = await api.post<{ results: Entity[] }>('/v1/files:batchGet', { ids: [id] });
      return { status: answer.body.results.length === 1 ? 200 : 404, body: answer.body };
    },
    [404, 200, 404, 200, 404, 404, 200],
  ],
  [
    'GET /v2/files?q= (the org’s own files)',
    async (api, { id }) => {
      const answer = await api.get<Listing>('/v2/files?q=board-minutes');
      return { status: idsOf(answer.body).includes(id) ? 200 : 404, body: answer.body };
    },
    [404, 200, 404, 404, 404, 404, 404],
  ],
  [
    'GET /v2/files?shared=true&q= (other orgs’ files)',
    async (api, { id }) => {
      const answer = await api.get<Listing>('/v2/files?shared=true&q=board-minutes');
      return { status: idsOf(answer.body).includes(id) ? 200 : 404, body: answer.body };
    },
    [404, 404, 404, 200, 404, 404, 200],
  ],
  ['PATCH /v2/files/{id}', (api, { id }) => api.patch(`/v2/files/${id}`, { _title: 'mine' }), [404, 403, 404, 403, 404, 404, 403]],
  ['POST /v2/files with _id and no s3ref', (api, { id }) => api.post('/v2/files', { _id: id, _title: 'mine' }), [404, 403, 404, 403, 404, 404, 403]],
  [
    'POST /v2/files/upload?file_entity_id',
    (api, { id }) => api.post(`/v2/files/upload?file_entity_id=${id}`, { filename: 'v2.txt', mime_type: 'text/plain' }),
    [404, 403, 404, 403, 404, 404, 403],
  ],
  [
    'POST /v2/files with _id (new version)',
    async (api, { id }) => {
      const upload = await stageUpload(api, { filename: 'v2.txt', mimeType: 'text/plain', bytes: 'second' });
      return api.post('/v2/files', { _id: id, s3ref: upload.s3ref });
    },
    [404, 403, 404, 403, 404, 404, 403],
  ],
  ['DELETE /v2/files/{id}', (api, { id }) => api.delete(`/v2/files/${id}`), [404, 403, 404, 403, 404, 404, 403]],
  ['DELETE /v1/files/{id}', (api, { id }) => api.delete(`/v1/files/${id}`), [404, 403, 404, 403, 404, 404, 403]],
  ['POST /v1/files/{id}/public/links', (api, { id }) => api.post(`/v1/files/${id}/public/links`), [404, 403, 404, 403, 404, 404, 403]],
  ['GET /v1/files/{id}/public/links', (api, { id }) => api.get(`/v1/files/${id}/public/links`), [404, 200, 404, 200, 404, 404, 200]],
  ['DELETE /v1/files/public/links/{id}', (api, { linkId }) => api.delete(`/v1/files/public/links/${linkId}`), [404, 403, 404, 403, 404, 404, 403]],
];

describe('every route asks the same rules', () => {
  callers.forEach((who, column) => {
    describe(who, () => {
      it.each(routes)('is answered by %s as the rules say, and the file stays as it was', async (_route, call, expected) => {
        // Prepare
        const target = await fixture(who);
        const before = (await target.admin.get(`/v2/files/${target.id}`)).body;

        // Act
        const answer = await call(target.caller, target);

        // Assess
        expect(answer.status).toBe(expected[column]);
        expect((await target.admin.get(`/v2/files/${target.id}`)).body).toEqual(before);
        expect((await target.admin.get<{ results: unknown[] }>(`/v1/files/${target.id}/public/links`)).body.results).toHaveLength(1);
      });
    });
  });

  it('lets an admin of the org do everything with an owners-only file', async () => {
    // Prepare
    const { admin, id, linkId } = await fixture('a same-org user granted nothing');
    const upload = await stageUpload(admin, { filename: 'v2.txt', mimeType: 'text/plain', bytes: 'second' });

    // Act
    const statuses = [
      (await admin.get(`/v2/files/${id}`)).status,
      (await admin.get(`/v1/files/${id}/download`)).status,
      (await admin.patch(`/v2/files/${id}`, { _title: 'minuted' })).status,
      (await admin.post('/v2/files', { _id: id, s3ref: upload.s3ref })).status,
      (await admin.post(`/v1/files/${id}/public/links`)).status,
      (await admin.delete(`/v1/files/public/links/${linkId}`)).status,
      (await admin.delete(`/v2/files/${id}`)).status,
    ];

    // Assess
    expect(statuses).toEqual([200, 200, 200, 200, 201, 204, 200]);
  });

  it('lets a service token of the org do everything with an owners-only file, as a trusted backend, and another org’s nothing', async () => {
    // Prepare
    const { org, id, linkId } = await fixture('a same-org user granted nothing');
    const backend = new Api(context.stack.url, await context.stack.auth.signService({ org }));
    const stranger = (await people()).service;
    const upload = await stageUpload(backend, { filename: 'v2.txt', mimeType: 'text/plain', bytes: 'second' });

    // Act
    const statuses = [
      (await stranger.get(`/v2/files/${id}`)).status,
      (await stranger.delete(`/v1/files/public/links/${linkId}`)).status,
      (await backend.get(`/v2/files/${id}`)).status,
      (await backend.get(`/v1/files/${id}/download`)).status,
      (await backend.get<Listing>('/v2/files?q=board-minutes')).body.results.some((entity) => entity._id === id) ? 200 : 404,
      (await backend.patch(`/v2/files/${id}`, { _title: 'minuted' })).status,
      (await backend.post('/v2/files', { _id: id, s3ref: upload.s3ref })).status,
      (await backend.post(`/v1/files/${id}/public/links`)).status,
      (await backend.delete(`/v1/files/public/links/${linkId}`)).status,
      (await backend.delete(`/v2/files/${id}`)).status,
    ];

    // Assess
    expect(statuses).toEqual([404, 404, 200, 200, 200, 200, 200, 201, 204, 200]);
  });
});
