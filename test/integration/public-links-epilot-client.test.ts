import { createClient } from '@epilot/file-client';
import type { Client } from '@epilot/file-client';
import { describe, expect, it } from 'vitest';
import { uploadFile } from './support/api';
import { bytesAt } from './support/public';
import { useLocalStack } from './support/stack';

/**
 * epilot's four public link operations, driven through epilot's own published client: an app
 * written against epilot's API makes, lists, opens and revokes links here unchanged.
 */

const context = useLocalStack({ sweepIntervalMs: 0 });

function clientFor(token?: string): Client {
  const client = createClient();
  client.defaults.baseURL = context.stack.url;
  if (token) client.defaults.headers.common.Authorization = `Bearer ${token}`;
  // A browser follows the redirect; here its Location is what is checked.
  client.defaults.maxRedirects = 0;
  client.defaults.validateStatus = () => true;
  return client;
}

describe('public links through @epilot/file-client', () => {
  it('generatePublicLink, listPublicLinksForFile, accessPublicLink without a token, then revokePublicLink', async () => {
    // Prepare
    const { api, stack } = context;
    const file = await uploadFile(api, { filename: 'invoice-2023-12.pdf', mimeType: 'application/pdf', bytes: Buffer.from('%PDF-1.4 invoice') });
    const client = clientFor(await stack.auth.sign({ org: 'org-a', user: 'alice' }));
    const anonymous = clientFor();

    // Act
    const generated = await client.generatePublicLink({ id: file._id });
    const link = generated.data;
    const id = link.split('/').at(-2) ?? '';
    const accessed = await anonymous.accessPublicLink({ id, filename: 'invoice-2023-12.pdf', hash: 'abc123' });
    const listed = await client.listPublicLinksForFile({ id: file._id });
    const revoked = await client.revokePublicLink({ id });
    const afterRevoke = await anonymous.accessPublicLink({ id, filename: 'invoice-2023-12.pdf' });

    // Assess
    expect(generated.status).toBe(201);
    expect(link).toBe(`${stack.url}/v1/files/public/links/${id}/invoice-2023-12.pdf`);
    expect(accessed.status).toBe(302);
    expect(await bytesAt(accessed.headers.location as string)).toBe('%PDF-1.4 invoice');
    expect(listed.status).toBe(200);
    expect(listed.data).toEqual({ results: [{ id, link, last_accessed_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) }] });
    expect(revoked.status).toBe(204);
    expect({ status: afterRevoke.status, data: afterRevoke.data as unknown }).toEqual({
      status: 404,
      data: { status: 404, error: 'Public link not found' },
    });
  });
});
