import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { httpHandler } from '../../../lambdas/http/handler';
import { createLogger } from '../../../lambdas/http/logger';
import { apiEvent, bodyOf } from '../handlers/events';

/** A pipeline that answers with the caller the claims made. */
function callerOf(claims: Record<string, string | number>) {
  const handler = httpHandler('echo', async (request) => ({ status: 200, body: request.caller }), createLogger(() => undefined, 'info'), new Metrics());
  return handler(apiEvent({ claims }));
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('the caller of a service token', () => {
  it('is a service when the scope claim lists the service scope, as a space-separated string', async () => {
    // Act
    const result = await callerOf({ org_id: 'org-a', sub: 'billing', scope: 'file-service/read file-service/service' });

    // Assess
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result)).toMatchObject({ org: 'org-a', userId: 'billing', service: true });
  });

  it('is a service when API Gateway hands the scope on in its [a b] list form', async () => {
    // Act
    const result = await callerOf({ org_id: 'org-a', sub: 'billing', scope: '[openid file-service/service]' });

    // Assess
    expect(bodyOf(result)).toMatchObject({ service: true });
  });

  it('reads the scope SERVICE_SCOPE names and no other', async () => {
    // Prepare
    vi.stubEnv('SERVICE_SCOPE', 'files/backend');

    // Act
    const configured = await callerOf({ org_id: 'org-a', sub: 'billing', scope: 'files/backend' });
    const theDefault = await callerOf({ org_id: 'org-a', sub: 'billing', scope: 'file-service/service' });

    // Assess
    expect(bodyOf(configured)).toMatchObject({ service: true });
    expect(bodyOf(theDefault)).not.toHaveProperty('service');
  });

  it('is a plain user when the scope only contains the service scope as part of another', async () => {
    // Act
    const result = await callerOf({ org_id: 'org-a', sub: 'u-1', scope: 'file-service/service-reader' });

    // Assess
    expect(bodyOf(result)).toEqual({ org: 'org-a', userId: 'u-1', apiUrl: 'https://api.example.com' });
  });

  it('is named by client_id when the token has no sub, as Cognito client-credentials tokens have none', async () => {
    // Act
    const result = await callerOf({ org_id: 'org-a', client_id: 'billing-client', scope: 'file-service/service' });

    // Assess
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result)).toMatchObject({ org: 'org-a', userId: 'billing-client', service: true });
  });

  it('prefers sub over client_id when the token carries both', async () => {
    // Act
    const result = await callerOf({ org_id: 'org-a', sub: 'svc-sub', client_id: 'billing-client', scope: 'file-service/service' });

    // Assess
    expect(bodyOf(result)).toMatchObject({ userId: 'svc-sub' });
  });

  it('is refused with 403 without the org claim, service scope or not', async () => {
    // Act
    const result = await callerOf({ client_id: 'billing-client', sub: 'billing-client', scope: 'file-service/service' });

    // Assess
    expect(result.statusCode).toBe(403);
    expect(bodyOf(result)).toEqual({ status: 403, error: 'Forbidden: the token carries no org_id claim' });
  });

  it('does not let a user token without sub be named by its client_id', async () => {
    // Act
    const result = await callerOf({ org_id: 'org-a', client_id: 'web-app' });

    // Assess
    expect(result.statusCode).toBe(403);
    expect(bodyOf(result)).toEqual({ status: 403, error: 'Forbidden: the token carries no sub claim' });
  });

  it('is refused with 403 when a service token has neither sub nor client_id', async () => {
    // Act
    const result = await callerOf({ org_id: 'org-a', scope: 'file-service/service' });

    // Assess
    expect(result.statusCode).toBe(403);
    expect(bodyOf(result)).toEqual({ status: 403, error: 'Forbidden: the token carries no sub or client_id claim' });
  });
});

describe('the org of a token', () => {
  it('is refused with 403 when longer than an org id may be, and taken at the longest', async () => {
    // Act
    const longest = await callerOf({ org_id: '€'.repeat(128), sub: 'alice' });
    const longer = await callerOf({ org_id: '€'.repeat(129), sub: 'alice' });

    // Assess
    expect(longest.statusCode).toBe(200);
    expect(longer.statusCode).toBe(403);
    expect(bodyOf(longer)).toMatchObject({ status: 403, error: expect.stringContaining('longer than 128 characters') });
  });
});
