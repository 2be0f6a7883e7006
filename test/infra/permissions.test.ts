import { describe, expect, it } from 'vitest';
import { operations } from '../../lambdas/operations';
import { permissionGrants } from '../../lib/file-service';

const arns = { tableArn: 'arn:table', bucketArn: 'arn:bucket' };

describe('permissionGrants', () => {
  it('maps each table permission to exactly its one DynamoDB action on the table', () => {
    expect(permissionGrants(['table:get'], arns)).toEqual([{ actions: ['dynamodb:GetItem'], resources: ['arn:table'] }]);
    expect(permissionGrants(['table:condition-check'], arns)).toEqual([
      { actions: ['dynamodb:ConditionCheckItem'], resources: ['arn:table'] },
    ]);
  });

  it('merges table permissions into one grant on the table', () => {
    expect(permissionGrants(['table:get', 'table:query', 'table:put', 'table:batch-write'], arns)).toEqual([
      {
        actions: ['dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'],
        resources: ['arn:table'],
      },
    ]);
  });

  it('grants read-only operations no table writes', () => {
    for (const name of ['getFile', 'downloadFile', 'downloadFiles', 'presignUploadParts', 'listUploadParts']) {
      const operation = operations.find((candidate) => candidate.name === name);
      const actions = permissionGrants(operation?.permissions ?? [], arns).flatMap((grant) => grant.actions);

      expect(actions.filter((action) => /Put|Update|Delete|Write/.test(action) && action.startsWith('dynamodb:'))).toEqual([]);
    }
  });

  it('scopes temp permissions to objects under temp/', () => {
    expect(permissionGrants(['temp:put', 'temp:read', 'temp:delete'], arns)).toEqual([
      { actions: ['s3:DeleteObject', 's3:GetObject', 's3:PutObject'], resources: ['arn:bucket/temp/*'] },
    ]);
  });

  it('scopes files permissions to objects under files/', () => {
    expect(permissionGrants(['files:put', 'files:read', 'files:delete', 'files:abort'], arns)).toEqual([
      { actions: ['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:GetObject', 's3:PutObject'], resources: ['arn:bucket/files/*'] },
    ]);
  });

  it('keeps temp and files grants apart', () => {
    expect(permissionGrants(['temp:read', 'files:put'], arns)).toEqual([
      { actions: ['s3:GetObject'], resources: ['arn:bucket/temp/*'] },
      { actions: ['s3:PutObject'], resources: ['arn:bucket/files/*'] },
    ]);
  });

  it('grants the OpenAPI document\'s function nothing: it reads no storage', () => {
    const operation = operations.find((candidate) => candidate.name === 'getOpenApiDocument');

    expect(operation?.public).toBe(true);
    expect(permissionGrants(operation?.permissions ?? ['table:get'], arns)).toEqual([]);
  });

  it('grants nothing for no permissions', () => {
    expect(permissionGrants([], arns)).toEqual([]);
  });

  it('never grants bucket-level actions or the bucket itself to any operation', () => {
    for (const op of operations) {
      const grants = permissionGrants(op.permissions, arns);

      expect(grants.flatMap((g) => g.actions)).not.toContain('s3:ListBucket');
      expect(grants.flatMap((g) => g.resources)).not.toContain('arn:bucket');
    }
  });
});
