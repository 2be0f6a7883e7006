import { describe, expect, it } from 'vitest';
import { Api, uploadFile } from './support/api';
import { bytesAt, openWithoutToken } from './support/public';
import { useLocalStack } from './support/stack';

const context = useLocalStack({ sweepIntervalMs: 0 });
const text = (content: string, filename = 'notice.txt') => ({ filename, mimeType: 'text/plain', bytes: Buffer.from(content) });
const linkNotFound = { status: 404, error: 'Public link not found' };

interface LinkList {
  results: Array<{ id: string; link: string; last_accessed_at?: string; expires_at?: string }>;
}

const idOf = (link: string) => link.split('/').at(-2) ?? '';
const other = async () => new Api(context.stack.url, await context.stack.auth.sign({ org: 'org-b', user: 'bob' }));

describe('public links', () => {
  it('makes a link to a private file that opens its latest version without a token, and lists when it was opened', async () => {
    // Prepare
    const { api, stack } = context;
    const file = await uploadFile(api, text('first', 'Q1 report.txt'));

    // Act
    const made = await api.post<string>(`/v1/files/${file._id}/public/links`);
    const before = await api.get<LinkList>(`/v1/files/${file._id}/public/links`);
    await uploadFile(api, { ...text('second'), id: file._id });
    const opened = await openWithoutToken(made.body);
    const after = await api.get<LinkList>(`/v1/files/${file._id}/public/links`);

    // Assess
    expect(made.status).toBe(201);
    expect(made.body).toMatch(new RegExp(`^${stack.url}/v1/files/public/links/[A-Za-z0-9_-]{32}/Q1%20report\\.txt$`));
    expect(before.body).toEqual({ results: [{ id: idOf(made.body), link: made.body}] });
    expect(opened).toMatchObject({ status: 302, cacheControl: 'no-store' });
    expect(await bytesAt(opened.location)).toBe('second');
    expect(after.body.results[0]?.last_accessed_at).toEqual(expect.stringMatching(/^\d{4}-\d\d-\d\dT/));
  });

  it('opens the same file whatever filename the link ends with: the id alone decides', async () => {
    // Prepare
    const file = await uploadFile(context.api, text('named'));
    const link = (await context.api.post<string>(`/v1/files/${file._id}/public/links`)).body;

    // Act
    const renamed = await openWithoutToken(`${context.stack.url}/v1/files/public/links/${idOf(link)}/..%2F..%2Fetc%2Fpasswd`);

    // Assess
    expect(renamed.status).toBe(302);
    expect(await bytesAt(renamed.location)).toBe('named');
  });

  it('gives every link its own random id', async () => {
    // Prepare
    const file = await uploadFile(context.api, text('many'));

    // Act
    const links = await Promise.all(Array.from({ length: 5 }, () => context.api.post<string>(`/v1/files/${file._id}/public/links`)));

    // Assess
    expect(new Set(links.map((made) => idOf(made.body))).size).toBe(5);
    expect((await context.api.get<LinkList>(`/v1/files/${file._id}/public/links`)).body.results).toHaveLength(5);
  });

  it('answers 404 "Public link not found" once a link is revoked, and a second revoke is a 404 too', async () => {
    // Prepare
    const { api } = context;
    const file = await uploadFile(api, text('revoked'));
    const link = (await api.post<string>(`/v1/files/${file._id}/public/links`)).body;

    // Act
    const revoked = await api.delete(`/v1/files/public/links/${idOf(link)}`);
    const opened = await openWithoutToken(link);
    const again = await api.delete(`/v1/files/public/links/${idOf(link)}`);

    // Assess
    expect(revoked.status).toBe(204);
    expect(revoked.body).toBeUndefined();
    expect(opened).toMatchObject({ status: 404, body: linkNotFound });
    expect(again).toMatchObject({ status: 404, body: linkNotFound });
    expect((await api.get<LinkList>(`/v1/files/${file._id}/public/links`)).body).toEqual({ results: [] });
  });

  it('answers 404 for the links of a deleted file', async () => {
    // Prepare
    const { api } = context;
    const file = await uploadFile(api, text('deleted'));
    const link = (await api.post<string>(`/v1/files/${file._id}/public/links`)).body;

    // Act
    expect((await api.delete(`/v2/files/${file._id}`)).status).toBe(200);
    const opened = await openWithoutToken(link);

    // Assess
    expect(opened).toMatchObject({ status: 404, body: linkNotFound });
    expect((await api.get(`/v1/files/${file._id}/public/links`)).status).toBe(404);
  });

  it('lists an expiry with its link, and answers 404 for the link, and lists it no more, once it passed', async () => {
    // Prepare
    const { api } = context;
    const file = await uploadFile(api, text('expiring'));
    const expiresAt = new Date(Date.now() + 2000).toISOString();
    const link = (await api.post<string>(`/v1/files/${file._id}/public/links`, { expires_at: expiresAt })).body;
    const listed = await api.get<LinkList>(`/v1/files/${file._id}/public/links`);
    const openedInTime = await openWithoutToken(link);

    // Act
    await new Promise((resolve) => setTimeout(resolve, Date.parse(expiresAt) - Date.now() + 100));
    const openedLate = await openWithoutToken(link);

    // Assess
    expect(listed.body.results).toEqual([expect.objectContaining({ link, expires_at: expiresAt })]);
    expect(openedInTime.status).toBe(302);
    expect(openedLate).toMatchObject({ status: 404, body: linkNotFound });
    expect((await api.get<LinkList>(`/v1/files/${file._id}/public/links`)).body).toEqual({ results: [] });
  });

  it('never shows another org a link: its list and its revoke are 404, and the link keeps working', async () => {
    // Prepare
    const { api } = context;
    const stranger = await other();
    const file = await uploadFile(api, text('org-a only'));
    const link = (await api.post<string>(`/v1/files/${file._id}/public/links`)).body;

    // Act
    const listed = await stranger.get(`/v1/files/${file._id}/public/links`);
    const made = await stranger.post(`/v1/files/${file._id}/public/links`);
    const revoked = await stranger.delete(`/v1/files/public/links/${idOf(link)}`);

    // Assess
    expect([listed.status, made.status]).toEqual([404, 404]);
    expect(revoked).toMatchObject({ status: 404, body: linkNotFound });
    expect((await openWithoutToken(link)).status).toBe(302);
    expect((await api.get<LinkList>(`/v1/files/${file._id}/public/links`)).body.results).toHaveLength(1);
  });

  it('requires a token to make, list and revoke links', async () => {
    // Prepare
    const file = await uploadFile(context.api, text('guarded'));
    const link = (await context.api.post<string>(`/v1/files/${file._id}/public/links`)).body;
    const anonymous = context.api.withToken(undefined);

    // Act
    const answers = await Promise.all([
      anonymous.post(`/v1/files/${file._id}/public/links`),
      anonymous.get(`/v1/files/${file._id}/public/links`),
      anonymous.delete(`/v1/files/public/links/${idOf(link)}`),
    ]);

    // Assess
    expect(answers.map(({ status, body }) => ({ status, body }))).toEqual(answers.map(() => ({ status: 401, body: { message: 'Unauthorized' } })));
    expect((await openWithoutToken(link)).status).toBe(302);
  });
});
