import { decodeJwt } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLocalAuth } from '../../../local/auth';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('local tokens', () => {
  it('carry the org under org_id by default', async () => {
    // Prepare
    const auth = await createLocalAuth();

    // Act
    const token = await auth.sign({ org: 'org-a', user: 'alice' });

    // Assess
    expect(decodeJwt(token)).toMatchObject({ org_id: 'org-a', sub: 'alice' });
    expect(await auth.verify(token)).toMatchObject({ org_id: 'org-a', sub: 'alice' });
  });

  it('carry the org under the claim TENANT_CLAIM names, as the identity provider would', async () => {
    // Prepare
    vi.stubEnv('TENANT_CLAIM', 'custom:org_id');
    const auth = await createLocalAuth();

    // Act
    const token = await auth.sign({ org: 'org-a', user: 'alice' });

    // Assess
    const claims = decodeJwt(token);
    expect(claims['custom:org_id']).toBe('org-a');
    expect(claims).not.toHaveProperty('org_id');
  });
});
