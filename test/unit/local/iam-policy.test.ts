import { describe, expect, it } from 'vitest';
import { Policy } from '../../../local/iam/policy';
import { permissionGrants } from '../../../lib/permissions';

const bucket = 'arn:aws:s3:::files-bucket';

describe('Policy', () => {
  it('allows an action on a resource a statement grants, and nothing else', () => {
    // Prepare
    const policy = new Policy([{ Effect: 'Allow', Action: 's3:GetObject', Resource: `${bucket}/temp/*` }]);

    // Act / Assess
    expect(policy.evaluate('s3:GetObject', `${bucket}/temp/org/a.txt`)).toBe('allowed');
    expect(policy.evaluate('s3:GetObject', `${bucket}/files/org/a.txt`)).toBe('implicitDeny');
    expect(policy.evaluate('s3:PutObject', `${bucket}/temp/org/a.txt`)).toBe('implicitDeny');
  });

  it('lets an explicit Deny win over any Allow', () => {
    // Prepare
    const policy = new Policy([
      { Effect: 'Allow', Action: 's3:*', Resource: '*' },
      { Effect: 'Deny', Action: 's3:DeleteObject', Resource: `${bucket}/files/*` },
    ]);

    // Act / Assess
    expect(policy.evaluate('s3:DeleteObject', `${bucket}/files/x`)).toBe('explicitDeny');
    expect(policy.evaluate('s3:DeleteObject', `${bucket}/temp/x`)).toBe('allowed');
  });

  it('matches action names case-insensitively and resources case-sensitively', () => {
    // Prepare
    const policy = new Policy([{ Effect: 'Allow', Action: 'S3:getobject', Resource: `${bucket}/temp/*` }]);

    // Act / Assess
    expect(policy.allows('s3:GetObject', `${bucket}/temp/a`)).toBe(true);
    expect(policy.allows('s3:GetObject', `${bucket}/TEMP/a`)).toBe(false);
  });

  it('reads ? as exactly one character and * as any run of characters, slashes included', () => {
    // Prepare
    const policy = new Policy([{ Effect: 'Allow', Action: 'dynamodb:Get?tem', Resource: 'arn:aws:dynamodb:*:table/t*' }]);

    // Act / Assess
    expect(policy.allows('dynamodb:GetItem', 'arn:aws:dynamodb:us-east-1:0:table/t/index/gsi')).toBe(true);
    expect(policy.allows('dynamodb:GetIItem', 'arn:aws:dynamodb:us-east-1:0:table/t')).toBe(false);
  });

  it('treats regular-expression characters in patterns literally', () => {
    // Prepare
    const policy = new Policy([{ Effect: 'Allow', Action: 's3:GetObject', Resource: `${bucket}/a.b(c)+` }]);

    // Act / Assess
    expect(policy.allows('s3:GetObject', `${bucket}/a.b(c)+`)).toBe(true);
    expect(policy.allows('s3:GetObject', `${bucket}/aXb(c)+`)).toBe(false);
  });

  it('applies NotAction and NotResource to everything they do not name', () => {
    // Prepare
    const policy = new Policy([
      { Effect: 'Allow', NotAction: 's3:DeleteObject', Resource: `${bucket}/*` },
      { Effect: 'Deny', Action: 's3:*', NotResource: `${bucket}/temp/*` },
    ]);

    // Act / Assess
    expect(policy.evaluate('s3:GetObject', `${bucket}/temp/a`)).toBe('allowed');
    expect(policy.evaluate('s3:DeleteObject', `${bucket}/temp/a`)).toBe('implicitDeny');
    expect(policy.evaluate('s3:GetObject', `${bucket}/files/a`)).toBe('explicitDeny');
  });

  it('refuses a statement with a Condition rather than ignore it', () => {
    // Act
    const build = () =>
      new Policy([{ Effect: 'Allow', Action: 's3:ListBucket', Resource: bucket, Condition: { StringLike: { 's3:prefix': 'temp/*' } } }]);

    // Assess
    expect(build).toThrow(/Condition/);
  });

  it('refuses a statement with both Action and NotAction, or neither', () => {
    // Act / Assess
    expect(() => new Policy([{ Effect: 'Allow', Action: 'a:b', NotAction: 'a:c', Resource: '*' }])).toThrow(/exactly one/);
    expect(() => new Policy([{ Effect: 'Allow', Resource: '*' }])).toThrow(/exactly one/);
  });

  it('evaluates the grants CDK renders: a prefix grant covers only its own prefix', () => {
    // Prepare
    const grants = permissionGrants(['temp:read', 'files:put', 'table:get'], { tableArn: 'arn:table', bucketArn: bucket });
    const policy = new Policy(grants.map((grant) => ({ Effect: 'Allow' as const, Action: grant.actions, Resource: grant.resources })));

    // Act / Assess
    expect(policy.allows('s3:GetObject', `${bucket}/temp/org/u/a.txt`)).toBe(true);
    expect(policy.allows('s3:PutObject', `${bucket}/files/org/f/u/a.txt`)).toBe(true);
    expect(policy.allows('s3:PutObject', `${bucket}/temp/org/u/a.txt`)).toBe(false);
    expect(policy.allows('s3:ListBucket', bucket)).toBe(false);
    expect(policy.allows('dynamodb:GetItem', 'arn:table')).toBe(true);
    expect(policy.allows('dynamodb:PutItem', 'arn:table')).toBe(false);
  });
});
