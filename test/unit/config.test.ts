import { describe, expect, it } from 'vitest';
import { adminRole, claimHasRole, maxUrlTtlSeconds, readConfig, rolesClaim, serviceScope, tenantClaim } from '../../lambdas/config';

const base = { TABLE_NAME: 'files', BUCKET_NAME: 'bucket' };

describe('readConfig', () => {
  it('gives presigned URLs 900 s unless told otherwise', () => {
    // Act
    const config = readConfig(base);

    // Assess
    expect(config.uploadUrlTtlSeconds).toBe(900);
    expect(config.downloadUrlTtlSeconds).toBe(900);
  });

  it('accepts URL lifetimes up to an hour', () => {
    // Act
    const config = readConfig({ ...base, UPLOAD_URL_TTL_SECONDS: '3600', DOWNLOAD_URL_TTL_SECONDS: '60' });

    // Assess
    expect(config.uploadUrlTtlSeconds).toBe(maxUrlTtlSeconds);
    expect(config.downloadUrlTtlSeconds).toBe(60);
  });

  it.each(['UPLOAD_URL_TTL_SECONDS', 'DOWNLOAD_URL_TTL_SECONDS'])('refuses %s above an hour and says why', (name) => {
    // Act
    const read = () => readConfig({ ...base, [name]: '3601' });

    // Assess
    expect(read).toThrow(new RegExp(`${name} must be at most 3600 seconds, got 3601: presigned URLs stop working when the temporary credentials`));
  });

  it('refuses a lifetime that is not a positive integer', () => {
    // Act
    const read = () => readConfig({ ...base, DOWNLOAD_URL_TTL_SECONDS: '15m' });

    // Assess
    expect(read).toThrow(/DOWNLOAD_URL_TTL_SECONDS must be a positive integer/);
  });
});

describe('tenantClaim', () => {
  it('is org_id by default', () => {
    expect(tenantClaim({})).toBe('org_id');
    expect(tenantClaim({ TENANT_CLAIM: '  ' })).toBe('org_id');
  });

  it('is the claim TENANT_CLAIM names, such as a Cognito custom attribute', () => {
    expect(tenantClaim({ TENANT_CLAIM: 'custom:org_id' })).toBe('custom:org_id');
  });
});

describe('claimHasRole', () => {
  it.each([
    ['API Gateway’s list form', '[editor admin]', true],
    ['a JSON list', '["editor","admin"]', true],
    ['a plain list', ['editor', 'admin'], true],
    ['a space-separated string', 'editor admin', true],
    ['a comma-separated string', 'editor,admin', true],
    ['a single role', 'admin', true],
    ['a role that only contains the name', '[administrator sysadmin]', false],
    ['no roles', '[]', false],
    ['a number', 42, false],
    ['no claim', undefined, false],
  ])('reads %s', (_form, claim, expected) => {
    expect(claimHasRole(claim, 'admin')).toBe(expected);
  });

  it('takes the roles claim and the admin role from ROLES_CLAIM and ADMIN_ROLE, defaulting to roles and admin', () => {
    expect([rolesClaim({}), adminRole({})]).toEqual(['roles', 'admin']);
    expect([rolesClaim({ ROLES_CLAIM: 'cognito:groups' }), adminRole({ ADMIN_ROLE: 'file-admins' })]).toEqual(['cognito:groups', 'file-admins']);
  });
});

describe('the service scope', () => {
  it('is file-service/service unless SERVICE_SCOPE names another', () => {
    expect([serviceScope({}), serviceScope({ SERVICE_SCOPE: '  ' }), serviceScope({ SERVICE_SCOPE: 'files/backend' })]).toEqual([
      'file-service/service',
      'file-service/service',
      'files/backend',
    ]);
  });
});
