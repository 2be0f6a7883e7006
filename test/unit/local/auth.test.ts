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

describe('local service tokens', () => {
  it('carry no aud, the client in client_id and sub, the org and the service scope', async () => {
    // Prepare
    const auth = await createLocalAuth();

    // Act
    const token = await auth.signService({ org: 'org-a' });

    // Assess
    const claims = decodeJwt(token);
    expect(claims).not.toHaveProperty('aud');
    expect(claims).toMatchObject({ org_id: 'org-a', client_id: 'demo-service', sub: 'demo-service', scope: 'file-service/service' });
    expect(await auth.verify(token)).toMatchObject({ client_id: 'demo-service' });
  });

  it('carry the scope SERVICE_SCOPE names', async () => {
    // Prepare
    vi.stubEnv('SERVICE_SCOPE', 'files/backend');
    const auth = await createLocalAuth();

    // Act
    const token = await auth.signService({ org: 'org-a', client: 'demo-service' });

    // Assess
    expect(decodeJwt(token).scope).toBe('files/backend');
  });
});

describe('the audience check, as API Gateway makes it', () => {
  it('accepts a token without aud whose client_id is an accepted audience', async () => {
    // Prepare
    const auth = await createLocalAuth();
    const token = await auth.signService({ org: 'org-a', client: 'demo-service' });

    // Act
    const verified = await auth.verify(token);

    // Assess
    expect(decodeJwt(token)).not.toHaveProperty('aud');
    expect(verified).toMatchObject({ client_id: 'demo-service' });
  });

  it('refuses a token without aud whose client_id is not accepted', async () => {
    // Prepare
    const auth = await createLocalAuth();

    // Act
    const verified = await auth.verify(await auth.signService({ org: 'org-a', client: 'stranger' }));

    // Assess
    expect(verified).toBeUndefined();
  });

  it('refuses a token with a wrong aud even when its client_id is accepted, because client_id counts only without aud', async () => {
    // Prepare
    const auth = await createLocalAuth();

    // Act
    const verified = await auth.verify(await auth.signClaims({ org_id: 'org-a', aud: 'another-api', client_id: 'demo-service' }));

    // Assess
    expect(verified).toBeUndefined();
  });

  it('accepts a client LOCAL_JWT_AUDIENCE lists, as jwtAudience lists backends on AWS', async () => {
    // Prepare
    vi.stubEnv('LOCAL_JWT_AUDIENCE', 'billing, crm');
    const auth = await createLocalAuth();

    // Act
    const verified = await auth.verify(await auth.signService({ org: 'org-a', client: 'crm' }));

    // Assess
    expect(verified).toMatchObject({ client_id: 'crm', sub: 'crm' });
  });
});
