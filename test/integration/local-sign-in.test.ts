import { describe, expect, it } from 'vitest';
import { Api, uploadFile } from './support/api';
import { useLocalStack } from './support/stack';

/** `POST /local/token`: the one-click sign-in of `npm start`, and only of `npm start`. */

const context = useLocalStack({ localSignIn: true });

describe('the local sign-in', () => {
  it('hands out a token of the demo user that the API accepts', async () => {
    // Prepare
    const anonymous = new Api(context.stack.url);

    // Act
    const signIn = await anonymous.post<{ token: string; org_id: string; user_id: string; expires_in: number }>('/local/token');
    const file = await uploadFile(anonymous.withToken(signIn.body.token), { filename: 'a.txt', mimeType: 'text/plain', bytes: Buffer.from('a') });

    // Assess
    expect(signIn.status).toBe(200);
    expect(signIn.body).toMatchObject({ org_id: 'demo-org', user_id: 'demo-user', expires_in: 86400 });
    expect(signIn.headers.get('cache-control')).toBe('no-store');
    expect(file._org).toBe('demo-org');
  });

  it('signs in as the org and user the body names, and their files are theirs alone', async () => {
    // Prepare
    const anonymous = new Api(context.stack.url);
    const other = await anonymous.post<{ token: string }>('/local/token', { org: 'other-org', user: 'bob' });
    const file = await uploadFile(anonymous.withToken(other.body.token), { filename: 'b.txt', mimeType: 'text/plain', bytes: Buffer.from('b') });

    // Act
    const seenByDemo = await anonymous.withToken((await anonymous.post<{ token: string }>('/local/token')).body.token).get(`/v2/files/${file._id}`);

    // Assess
    expect(file._org).toBe('other-org');
    expect(seenByDemo.status).toBe(404);
  });

  it.each([
    ['a body that is not JSON', { rawBody: '{nope' }],
    ['an org with a slash', { rawBody: JSON.stringify({ org: 'a/b' }) }],
    ['a user that is not a string', { rawBody: JSON.stringify({ user: 7 }) }],
    ['roles that are not a list', { rawBody: JSON.stringify({ roles: 'admin' }) }],
  ])('refuses %s with a 400 JSON error', async (_case, init) => {
    // Act
    const response = await new Api(context.stack.url).request<{ status: number; error: string }>('POST', '/local/token', undefined, init);

    // Assess
    expect(response.status).toBe(400);
    expect(response.body.status).toBe(400);
    expect(response.body.error).toEqual(expect.any(String));
  });
});

describe('a local stack without the sign-in', () => {
  const plain = useLocalStack();

  it('has no token route, as the service on AWS has none', async () => {
    // Act
    const response = await new Api(plain.stack.url).post('/local/token');

    // Assess
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ message: 'Not Found' });
  });
});
