import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Api, uploadFile } from './support/api';
import { bytesAt, openWithoutToken } from './support/public';
import { useLocalStack } from './support/stack';

const context = useLocalStack({ sweepIntervalMs: 0 });
const text = (content: string, extra: Record<string, unknown> = {}) => ({
  filename: 'notice.txt',
  mimeType: 'text/plain',
  bytes: Buffer.from(content),
  extra,
});
const notPublic = { status: 403, error: 'File is not publicly accessible' };
const notFound = { status: 404, error: 'File not found' };

describe('GET /v1/files/public/{id}?org_id= (a file’s public_url)', () => {
  it('redirects a public-read file, without a token, to a short-lived download of its latest version that no cache keeps', async () => {
    // Prepare
    const { api } = context;
    const file = await uploadFile(api, text('first', { access_control: 'public-read' }));
    await uploadFile(api, { ...text('second'), id: file._id });

    // Act
    const answer = await openWithoutToken(file.public_url as string);

    // Assess
    expect(file.public_url).toBe(`${context.stack.url}/v1/files/public/${file._id}?org_id=org-a`);
    expect(answer.status).toBe(302);
    expect(answer.cacheControl).toBe('no-store');
    expect(answer.body).toBeUndefined();
    expect(Number(new URL(answer.location ?? '').searchParams.get('X-Amz-Expires'))).toBeLessThanOrEqual(300);
    expect(await bytesAt(answer.location)).toBe('second');
  });

  it('answers 403 {"status":403,"error":"File is not publicly accessible"} for a private file', async () => {
    // Prepare
    const file = await uploadFile(context.api, text('private'));

    // Act
    const answer = await openWithoutToken(file.public_url as string);

    // Assess
    expect(answer).toMatchObject({ status: 403, body: notPublic, location: null });
    expect(answer.contentType).toMatch(/^application\/json/);
  });

  it('follows a switch of access_control at once, both ways', async () => {
    // Prepare
    const { api } = context;
    const file = await uploadFile(api, text('shared', { access_control: 'public-read' }));
    const url = file.public_url as string;

    // Act
    const before = await openWithoutToken(url);
    await uploadFile(api, { ...text('withdrawn', { access_control: 'private' }), id: file._id });
    const withdrawn = await openWithoutToken(url);
    await uploadFile(api, { ...text('shared again', { access_control: 'public-read' }), id: file._id });
    const again = await openWithoutToken(url);

    // Assess
    expect([before.status, withdrawn.status, again.status]).toEqual([302, 403, 302]);
    expect(await bytesAt(again.location)).toBe('shared again');
  });

  it('follows a PATCH of access_control at once, both ways', async () => {
    // Prepare
    const { api } = context;
    const file = await uploadFile(api, text('patched'));
    const url = file.public_url as string;

    // Act
    const before = await openWithoutToken(url);
    const opened = await api.patch(`/v2/files/${file._id}`, { access_control: 'public-read' });
    const whileOpen = await openWithoutToken(url);
    const closed = await api.patch(`/v2/files/${file._id}`, { access_control: 'private' });
    const afterwards = await openWithoutToken(url);

    // Assess
    expect([opened.status, closed.status]).toEqual([200, 200]);
    expect([before.status, whileOpen.status, afterwards.status]).toEqual([403, 302, 403]);
    expect(await bytesAt(whileOpen.location)).toBe('patched');
  });

  it('answers 404 for a deleted file, an unknown id, a malformed id, a missing org_id and another org’s org_id', async () => {
    // Prepare
    const { api, stack } = context;
    const file = await uploadFile(api, text('public', { access_control: 'public-read' }));
    const deleted = await uploadFile(api, text('deleted', { access_control: 'public-read' }));
    expect((await api.delete(`/v2/files/${deleted._id}`)).status).toBe(200);
    const base = `${stack.url}/v1/files/public`;

    // Act
    const answers = await Promise.all(
      [
        deleted.public_url as string,
        `${base}/${randomUUID()}?org_id=org-a`,
        `${base}/not-a-uuid?org_id=org-a`,
        `${base}/${file._id}`,
        `${base}/${file._id}?org_id=`,
        `${base}/${file._id}?org_id=org-b`,
      ].map((url) => openWithoutToken(url)),
    );

    // Assess
    expect(answers.map(({ status, body }) => ({ status, body }))).toEqual(answers.map(() => ({ status: 404, body: notFound })));
  });

  it('answers 403 for another org’s private file, whatever token of another org comes along', async () => {
    // Prepare
    const other = new Api(context.stack.url, await context.stack.auth.sign({ org: 'org-b', user: 'bob' }));
    const theirs = await uploadFile(other, text('org-b only'));

    // Act
    const answer = await openWithoutToken(theirs.public_url as string, {
      authorization: `Bearer ${await context.stack.auth.sign({ org: 'org-a', user: 'alice' })}`,
    });

    // Assess
    expect(theirs.public_url).toContain('org_id=org-b');
    expect(answer).toMatchObject({ status: 403, body: notPublic });
  });

  it('ignores any token sent along: the route has no authorizer', async () => {
    // Prepare
    const file = await uploadFile(context.api, text('public', { access_control: 'public-read' }));

    // Act
    const answer = await openWithoutToken(file.public_url as string, { authorization: 'Bearer not-a-token' });

    // Assess
    expect(answer.status).toBe(302);
    expect(await bytesAt(answer.location)).toBe('public');
  });
});
