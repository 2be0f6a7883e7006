import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { handlerEnvironment, operations } from '../../lambdas/operations';
import { FileService, type FileServiceProps } from '../../lib/file-service';
import { FileServiceStack } from '../../lib/file-service-stack';
import { audience, handlersDir, issuer, synthFileService } from './fixtures/synth';

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

// One synthesis for the whole file: bundling, even of the fixtures, is the slow part.
let app: App;
let stack: FileServiceStack;
let template: Template;

beforeAll(() => {
  app = new App();
  stack = new FileServiceStack(app, 'FileServiceTest', {
    jwtIssuer: issuer,
    jwtAudience: audience,
    corsOrigins: ['https://app.example.com'],
    handlersDir,
  });
  template = Template.fromStack(stack);
});

function resourcesOfType(type: string): Array<[string, Resource]> {
  return Object.entries(template.findResources(type)) as Array<[string, Resource]>;
}

/** Renders an IAM resource (string, Fn::GetAtt, Fn::Join of those) as `<Logical.Arn>/suffix`. */
function render(value: unknown): string {
  if (typeof value === 'string') return value;
  const node = value as Record<string, unknown>;
  if (node['Fn::GetAtt']) {
    const [id, attribute] = node['Fn::GetAtt'] as [string, string];
    return `<${id}.${attribute}>`;
  }
  if (node.Ref) return `<${String(node.Ref)}>`;
  if (node['Fn::Join']) {
    const [separator, parts] = node['Fn::Join'] as [string, unknown[]];
    return parts.map(render).join(separator);
  }
  return JSON.stringify(value);
}

/**
 * Every (action, resource) pair the given operation's Lambda may use, collected from all
 * policies attached to its role; fails if the role also carries managed policies.
 */
function permissionsOf(operationName: string): Array<{ action: string; resource: string }> {
  const fn = stack.fileService.functions[operationName];
  if (!fn) throw new Error(`no function for ${operationName}`);
  const fnResource = template.toJSON().Resources[stack.getLogicalId(fn.node.defaultChild as CfnFunction)] as Resource;
  const [roleId] = (fnResource.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'];
  const role = template.toJSON().Resources[roleId] as Resource;
  expect(role.Properties.ManagedPolicyArns).toBeUndefined();

  const pairs: Array<{ action: string; resource: string }> = [];
  for (const [, policy] of resourcesOfType('AWS::IAM::Policy')) {
    const roles = policy.Properties.Roles as Array<{ Ref: string }>;
    if (!roles.some((r) => r.Ref === roleId)) continue;
    const statements = (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
    for (const statement of statements) {
      expect(statement.Effect).toBe('Allow');
      const actions = ([] as string[]).concat(statement.Action);
      const resources = ([] as unknown[]).concat(statement.Resource).map(render);
      for (const action of actions) for (const resource of resources) pairs.push({ action, resource });
    }
  }
  return pairs;
}

function s3Permissions(operationName: string): string[] {
  return permissionsOf(operationName)
    .filter((p) => p.action.startsWith('s3:'))
    .map((p) => `${p.action} ${p.resource.replace(/^<[^>]+>/, '<bucket>')}`)
    .sort();
}

describe('FileService bucket', () => {
  function fileBucket(): Resource {
    const buckets = resourcesOfType('AWS::S3::Bucket').filter(([, b]) => b.Properties.LoggingConfiguration);
    expect(buckets).toHaveLength(1);
    return buckets[0]![1];
  }

  it('expires unsaved uploads under temp/ after one day', () => {
    // Prepare / Act: the stack is synthesised once in beforeAll.
    // Assess
    expect(fileBucket().Properties.LifecycleConfiguration).toMatchObject({
      Rules: expect.arrayContaining([
        expect.objectContaining({ Prefix: 'temp/', ExpirationInDays: 1, Status: 'Enabled' }),
      ]),
    });
  });

  it('expires kept previews after 30 days', () => {
    expect(fileBucket().Properties.LifecycleConfiguration).toMatchObject({
      Rules: expect.arrayContaining([expect.objectContaining({ Prefix: 'previews/', ExpirationInDays: 30, Status: 'Enabled' })]),
    });
  });

  it('aborts incomplete multipart uploads after one day', () => {
    expect(fileBucket().Properties.LifecycleConfiguration).toMatchObject({
      Rules: expect.arrayContaining([
        expect.objectContaining({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' }),
      ]),
    });
  });

  it('blocks public access, disables ACLs, encrypts and is retained', () => {
    const bucket = fileBucket();

    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.Properties.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    expect(bucket.Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
    expect(bucket.DeletionPolicy).toBe('Retain');
  });

  it('writes server access logs to a separate hardened, retained bucket', () => {
    const logBucketId = (fileBucket().Properties.LoggingConfiguration as { DestinationBucketName: { Ref: string } })
      .DestinationBucketName.Ref;
    const logBucket = template.toJSON().Resources[logBucketId] as Resource;

    expect(logBucket.Properties.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    expect(logBucket.Properties.PublicAccessBlockConfiguration).toMatchObject({ BlockPublicAcls: true, RestrictPublicBuckets: true });
    expect(logBucket.DeletionPolicy).toBe('Retain');
  });

  it('denies every request that does not use TLS', () => {
    const fileBucketId = resourcesOfType('AWS::S3::Bucket').find(([, b]) => b.Properties.LoggingConfiguration)![0];

    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: fileBucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('lets browsers of the configured origins PUT, GET and HEAD objects, POST upload forms, abort multipart uploads with DELETE, and read the ETag', () => {
    expect(fileBucket().Properties.CorsConfiguration).toEqual({
      CorsRules: [
        {
          AllowedOrigins: ['https://app.example.com'],
          AllowedMethods: ['PUT', 'GET', 'HEAD', 'POST', 'DELETE'],
          AllowedHeaders: ['*'],
          ExposedHeaders: ['ETag'],
          MaxAge: 3600,
        },
      ],
    });
  });
});

describe('FileService table', () => {
  it('is an on-demand pk/sk table with point-in-time recovery, TTL on expires_at, encrypted and retained', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: Match.arrayWith([
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ]),
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
        SSESpecification: { SSEEnabled: true },
        DeletionProtectionEnabled: true,
      },
    });
  });

  it('has the list indexes, each keyed by an org shard and a sort key and projecting whole items', () => {
    const [, table] = resourcesOfType('AWS::DynamoDB::Table')[0]!;
    const indexes = (table.Properties as { GlobalSecondaryIndexes: Array<Record<string, unknown>> }).GlobalSecondaryIndexes;

    expect(indexes.map((index) => index.IndexName).sort()).toEqual(['byCreated', 'byFilename', 'bySize']);
    for (const index of indexes) {
      expect(index.KeySchema).toEqual([
        { AttributeName: 'list_pk', KeyType: 'HASH' },
        { AttributeName: expect.stringMatching(/^list_(created|filename|size)$/), KeyType: 'RANGE' },
      ]);
      expect(index.Projection).toEqual({ ProjectionType: 'ALL' });
    }
  });

  it('lets only listFiles query the list indexes, by their exact ARNs', () => {
    const indexReaders = operations.filter((op) => permissionsOf(op.name).some((p) => p.resource.includes('/index/')));

    expect(indexReaders.map((op) => op.name)).toEqual(['listFiles']);
    expect(permissionsOf('listFiles').filter((p) => p.resource.includes('/index/')).map((p) => p.resource).sort()).toEqual([
      '<FileServiceTable9E981F52.Arn>/index/byCreated',
      '<FileServiceTable9E981F52.Arn>/index/byFilename',
      '<FileServiceTable9E981F52.Arn>/index/bySize',
    ]);
  });
});

describe('FileService functions', () => {
  it('creates one nodejs22.x Lambda per operation, arm64 but the preview functions, which run where their sharp binary was installed', () => {
    // One per operation, the orphan reaper (test/infra/orphan-reaper.test.ts), the event publisher
    // (test/infra/file-events.test.ts), the session authorizer and the previews ahead of time
    // (test/infra/preview-ahead.test.ts).
    template.resourceCountIs('AWS::Lambda::Function', operations.length + 4);
    expect(Object.keys(stack.fileService.functions).sort()).toEqual(operations.map((op) => op.name).sort());
    const previews = [
      ...['previewFile', 'previewS3File', 'previewPublicFile'].map((name) => stack.fileService.functions[name]!),
      stack.fileService.previewsAhead.function,
    ].map((fn) => stack.getLogicalId(fn.node.defaultChild as CfnFunction),
    );
    for (const [id, fn] of resourcesOfType('AWS::Lambda::Function')) {
      const architecture = previews.includes(id) ? (process.arch === 'arm64' ? 'arm64' : 'x86_64') : 'arm64';
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: [architecture], Handler: 'index.handler' });
    }
  });

  it('gives the preview function 1,536 MB, for images of up to 100 megapixels', () => {
    const preview = template.toJSON().Resources[stack.getLogicalId(stack.fileService.functions.previewFile!.node.defaultChild as CfnFunction)] as Resource;
    expect(preview.Properties.MemorySize).toBe(1536);
  });

  it('gives every Lambda the environment the handlers read', () => {
    for (const [, fn] of resourcesOfType('AWS::Lambda::Function')) {
      const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(Object.keys(variables)).toEqual(expect.arrayContaining([...handlerEnvironment]));
      expect(variables).toMatchObject({
        MAX_UPLOAD_BYTES: String(5 * 1024 ** 3),
        MULTIPART_THRESHOLD_BYTES: String(5 * 1024 ** 3),
        UPLOAD_URL_TTL_SECONDS: '900',
        DOWNLOAD_URL_TTL_SECONDS: '900',
        TENANT_CLAIM: 'org_id',
        SERVICE_SCOPE: 'file-service/service',
        POWERTOOLS_SERVICE_NAME: 'file-service',
        POWERTOOLS_METRICS_NAMESPACE: 'FileService',
        NODE_OPTIONS: '--enable-source-maps',
      });
    }
  });

  it('gives the session authorizer the issuer and the audiences of the JWT authorizer, and a role that may only write its logs', () => {
    const fn = template.toJSON().Resources[
      stack.getLogicalId(stack.fileService.sessionAuthorizerFunction.node.defaultChild as CfnFunction)
    ] as Resource;
    const [roleId] = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'];
    const actions = resourcesOfType('AWS::IAM::Policy')
      .filter(([, policy]) => (policy.Properties.Roles as Array<{ Ref: string }>).some((role) => role.Ref === roleId))
      .flatMap(([, policy]) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement)
      .flatMap((statement) => ([] as string[]).concat(statement.Action));

    expect((fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({
      JWT_ISSUER: issuer,
      JWT_AUDIENCE: audience.join(','),
    });
    expect(fn.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'] });
    expect(actions.sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
  });

  it('gives save and delete 29 seconds and the other operations 10', () => {
    const timeoutOf = (name: string) =>
      (template.toJSON().Resources[stack.getLogicalId(stack.fileService.functions[name]!.node.defaultChild as CfnFunction)] as Resource)
        .Properties.Timeout;

    expect(timeoutOf('saveFile')).toBe(29);
    expect(timeoutOf('deleteFile')).toBe(29);
    expect(timeoutOf('copyFile')).toBe(29);
    expect(timeoutOf('previewFile')).toBe(29);
    expect(timeoutOf('getFile')).toBe(10);
    expect(timeoutOf('uploadFile')).toBe(10);
  });

  it('writes each Lambda to its own log group with a retention', () => {
    const functions = resourcesOfType('AWS::Lambda::Function');
    const logGroupIds = functions.map(([, fn]) => (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref);

    expect(new Set(logGroupIds).size).toBe(functions.length);
    for (const logGroupId of logGroupIds) {
      const logGroup = template.toJSON().Resources[logGroupId] as Resource;
      expect(logGroup.Type).toBe('AWS::Logs::LogGroup');
      expect(logGroup.Properties.RetentionInDays).toBe(30);
    }
  });
});

describe('FileService permissions', () => {
  it('lets the save function write, read and delete temp objects (direct uploads), abort a temp multipart upload (source_url), put, complete and inspect permanent ones and remove a copy its file no longer needs', () => {
    expect(s3Permissions('saveFile')).toEqual([
      's3:AbortMultipartUpload <bucket>/files/*',
      's3:AbortMultipartUpload <bucket>/temp/*',
      's3:DeleteObject <bucket>/files/*',
      's3:DeleteObject <bucket>/temp/*',
      's3:GetObject <bucket>/files/*',
      's3:GetObject <bucket>/temp/*',
      's3:ListMultipartUploadParts <bucket>/files/*',
      's3:PutObject <bucket>/files/*',
      's3:PutObject <bucket>/temp/*',
    ]);
  });

  it('lets the copy function read permanent objects (its sources), put permanent ones and abort their multipart copies, never touching temp/', () => {
    expect(s3Permissions('copyFile')).toEqual(['s3:AbortMultipartUpload <bucket>/files/*', 's3:GetObject <bucket>/files/*', 's3:PutObject <bucket>/files/*']);
  });

  it('lets the preview function read permanent objects and read and write previews only, and the delete function delete both', () => {
    expect(s3Permissions('previewFile')).toEqual(['s3:GetObject <bucket>/files/*', 's3:GetObject <bucket>/previews/*', 's3:PutObject <bucket>/previews/*']);
    expect(s3Permissions('deleteFile')).toEqual(['s3:DeleteObject <bucket>/files/*', 's3:DeleteObject <bucket>/previews/*']);
  });

  it('lets the multipart routes sign parts, list parts and abort uploads at permanent keys, and nothing else', () => {
    expect(s3Permissions('presignUploadParts')).toEqual(['s3:PutObject <bucket>/files/*']);
    expect(s3Permissions('listUploadParts')).toEqual(['s3:ListMultipartUploadParts <bucket>/files/*']);
    expect(s3Permissions('abortUpload')).toEqual(['s3:AbortMultipartUpload <bucket>/files/*']);
    expect(s3Permissions('signUploadRequest')).toEqual([
      's3:AbortMultipartUpload <bucket>/temp/*',
      's3:ListMultipartUploadParts <bucket>/temp/*',
      's3:PutObject <bucket>/temp/*',
    ]);
  });

  it('gives the get function no S3 action at all', () => {
    expect(s3Permissions('getFile')).toEqual([]);
  });

  it('lets the download functions read permanent objects but never delete them', () => {
    for (const name of ['downloadFile', 'downloadFiles']) {
      expect(s3Permissions(name)).toEqual(['s3:GetObject <bucket>/files/*']);
    }
  });

  it('lets the upload function put temp objects and start multipart uploads at permanent keys, and nothing else', () => {
    expect(s3Permissions('uploadFile')).toEqual(['s3:PutObject <bucket>/files/*', 's3:PutObject <bucket>/temp/*']);
  });

  it('gives the public file and public link functions no object access but signing downloads', () => {
    for (const name of ['getPublicFile', 'accessPublicLink']) {
      expect(permissionsOf(name).filter((p) => p.action.startsWith('s3:')).map((p) => p.action)).toEqual(['s3:GetObject']);
    }
    for (const name of ['generatePublicLink', 'listPublicLinksForFile', 'revokePublicLink']) {
      expect(permissionsOf(name).filter((p) => p.action.startsWith('s3:'))).toEqual([]);
    }
  });

  it('grants S3 actions in every policy on object ARNs under the file bucket only, never a bucket-level action', () => {
    const fileBucketId = resourcesOfType('AWS::S3::Bucket').find(([, b]) => b.Properties.LoggingConfiguration)![0];
    const s3Grants: string[] = [];

    for (const [, policy] of resourcesOfType('AWS::IAM::Policy')) {
      for (const statement of (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement) {
        const actions = ([] as string[]).concat(statement.Action).filter((action) => action.startsWith('s3:'));
        const resources = ([] as unknown[]).concat(statement.Resource).map(render);
        for (const action of actions) for (const resource of resources) s3Grants.push(`${action} ${resource}`);
      }
    }

    // Every operation but getFile touches objects, so an empty list would mean the test reads nothing.
    expect(s3Grants.length).toBeGreaterThan(0);
    for (const grant of s3Grants) {
      const [action, resource] = grant.split(' ') as [string, string];
      expect(action, grant).not.toMatch(/Bucket|\*/);
      expect(resource, grant).toMatch(new RegExp(`^<${fileBucketId}\\.Arn>/(temp|files|previews)/\\*$`));
    }
  });

  it('never grants s3:ListBucket or any wildcard action', () => {
    for (const op of operations) {
      const actions = permissionsOf(op.name).map((p) => p.action);
      expect(actions).not.toContain('s3:ListBucket');
      expect(actions.filter((a) => a.includes('*'))).toEqual([]);
    }
  });

  it('grants table writes only to the operations that write', () => {
    const writes = /^dynamodb:(PutItem|UpdateItem|DeleteItem|BatchWriteItem)$/;
    const writers = operations
      .filter((op) => permissionsOf(op.name).some((p) => writes.test(p.action)))
      .map((op) => op.name)
      .sort();

    // The link routes write link items only: making, opening (the last access) and revoking one.
    // uploadFile and abortUpload write a multipart upload's pending record only.
    // The preview routes write the record of a kept preview, which the file's delete reads.
    expect(writers).toEqual([
      'abortUpload',
      'accessPublicLink',
      'copyFile',
      'deleteFile',
      'generatePublicLink',
      'previewFile',
      'previewPublicFile',
      'previewS3File',
      'revokePublicLink',
      'saveFile',
      'updateFile',
      'uploadFile',
    ]);
    expect(permissionsOf('getFile').filter((p) => p.action.startsWith('dynamodb:')).map((p) => p.action).sort()).toEqual([
      'dynamodb:GetItem',
      'dynamodb:Query',
    ]);
  });

  it('lets each Lambda write only to its own log group', () => {
    for (const op of operations) {
      const logs = permissionsOf(op.name).filter((p) => p.action.startsWith('logs:'));
      expect(logs.map((p) => p.action).sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
      expect(new Set(logs.map((p) => p.resource)).size).toBe(1);
      expect(logs[0]!.resource).toMatch(/^<.*Logs.*\.Arn>$/);
    }
  });
});

describe('FileService API', () => {
  it('answers every route of every operation, each behind the JWT authorizer except the public ones and the cookie ones', () => {
    const authorizers = resourcesOfType('AWS::ApiGatewayV2::Authorizer');
    const [jwtAuthorizerId] = authorizers.filter(([, a]) => a.Properties.AuthorizerType === 'JWT').map(([id]) => id);
    const [sessionAuthorizerId] = authorizers.filter(([, a]) => a.Properties.AuthorizerType === 'REQUEST').map(([id]) => id);
    const keysOf = (ops: typeof operations) => ops.flatMap((op) => op.routes.map((route) => `${route.method} ${route.path}`)).sort();
    const publicKeys = keysOf(operations.filter((op) => op.public));
    const cookieKeys = keysOf(operations.filter((op) => op.cookie)).filter((key) => key.startsWith('GET '));

    const routes = resourcesOfType('AWS::ApiGatewayV2::Route');

    expect(routes.map(([, r]) => r.Properties.RouteKey).sort()).toEqual(keysOf(operations));
    for (const [, route] of routes) {
      const key = route.Properties.RouteKey as string;
      if (publicKeys.includes(key)) {
        expect(route.Properties.AuthorizationType, key).toBe('NONE');
        expect(route.Properties.AuthorizerId, key).toBeUndefined();
      } else if (cookieKeys.includes(key)) {
        expect(route.Properties, key).toMatchObject({ AuthorizationType: 'CUSTOM', AuthorizerId: { Ref: sessionAuthorizerId } });
      } else {
        expect(route.Properties, key).toMatchObject({ AuthorizationType: 'JWT', AuthorizerId: { Ref: jwtAuthorizerId } });
      }
    }
  });

  it('leaves exactly the public file and public link routes, deleteSession and the OpenAPI document without an authorizer', () => {
    const open = resourcesOfType('AWS::ApiGatewayV2::Route')
      .filter(([, route]) => route.Properties.AuthorizationType === 'NONE')
      .map(([, route]) => route.Properties.RouteKey)
      .sort();

    expect(open).toEqual([
      'DELETE /v1/files/session',
      'GET /openapi.json',
      'GET /v1/files/public/links/{id}/{filename}',
      'GET /v1/files/public/{id}',
      'GET /v1/files/public/{id}/preview',
    ]);
  });

  it('lets the session cookie reach only GET routes, and getSession only with a bearer token', () => {
    const cookieRoutes = resourcesOfType('AWS::ApiGatewayV2::Route')
      .filter(([, route]) => route.Properties.AuthorizationType === 'CUSTOM')
      .map(([, route]) => route.Properties.RouteKey as string);

    expect(cookieRoutes).toContain('GET /v1/files/{id}/download');
    expect(cookieRoutes.filter((key) => !key.startsWith('GET '))).toEqual([]);
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /v1/files/session', AuthorizationType: 'JWT' });
  });

  it('throttles each public route on the stage, after the routes exist', () => {
    const [[stageId, stage]] = resourcesOfType('AWS::ApiGatewayV2::Stage') as [[string, Resource & { DependsOn?: string[] }]];
    const publicRoutes = resourcesOfType('AWS::ApiGatewayV2::Route').filter(([, route]) => route.Properties.AuthorizationType === 'NONE');

    expect(stage.Properties.RouteSettings).toEqual(
      Object.fromEntries(
        publicRoutes.map(([, route]) => [route.Properties.RouteKey, { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 }]),
      ),
    );
    expect(stage.Properties.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: 200, ThrottlingBurstLimit: 400 });
    const dependsOn = (template.toJSON().Resources[stageId] as { DependsOn?: string[] }).DependsOn ?? [];
    expect(dependsOn).toEqual(expect.arrayContaining(publicRoutes.map(([id]) => id)));
  });

  it('accepts the colon in POST /v1/files:downloadFiles', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /v1/files:downloadFiles' });
  });

  it('routes POST /v2/files/{id}:copy with a path variable that is a whole segment, as API Gateway requires', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /v2/files/{id}' });
  });

  it('verifies JWTs from the configured issuer and audiences', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 2);
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Issuer: issuer, Audience: audience },
    });
  });

  it('calls the session authorizer on every request of its routes, with simple responses and no identity source to require', () => {
    // API Gateway refuses with 401, without calling the function, a request lacking any identity
    // source; the header and the cookie are alternatives, so none is named, and caching is off.
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      AuthorizerPayloadFormatVersion: '2.0',
      EnableSimpleResponses: true,
      IdentitySource: [],
      AuthorizerResultTtlInSeconds: 0,
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'apigateway.amazonaws.com',
      FunctionName: Match.objectLike({
        'Fn::GetAtt': [stack.getLogicalId(stack.fileService.sessionAuthorizerFunction.node.defaultChild as CfnFunction), 'Arn'],
      }),
    });
  });

  it('answers CORS preflights for the configured origins', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'HTTP',
      CorsConfiguration: Match.objectLike({
        AllowOrigins: ['https://app.example.com'],
        AllowHeaders: ['Authorization', 'Content-Type', 'If-Match'],
        AllowMethods: Match.arrayWith(['GET', 'POST', 'PATCH', 'DELETE']),
        ExposeHeaders: ['ETag'],
        // Listed origins may send the session cookie and read the answers.
        AllowCredentials: true,
      }),
    });
  });

  it('logs every request of the default stage', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
    });
  });

  it('outputs the API URL, the bucket name and the table name', () => {
    expect(Object.keys(template.findOutputs('*')).sort()).toEqual(['ApiUrl', 'BucketName', 'TableName']);
  });
});

describe('FileService cdk-nag', () => {
  it('has no unacknowledged AwsSolutions finding', () => {
    // Prepare
    const checks = new AwsSolutionsChecks();

    // Act
    const report = checks.validateScope(app);

    // Assess: the rule names carry the finding, so a failure says what is wrong where.
    expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(',')}`)).toEqual([]);
  });

  it('synthesises with the AwsSolutions checks registered as the app does', () => {
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    expect(() => app.synth({ force: true })).not.toThrow();
    expect(Annotations.fromStack(stack).findError('*', Match.anyValue())).toEqual([]);
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });
});

describe('FileService options', () => {
  // These stacks skip bundling (the real one above proves it works), so each costs milliseconds.
  function synth(overrides: Partial<FileServiceProps>): Template {
    return synthFileService(overrides).template;
  }

  it('allows any origin by default', () => {
    const defaults = synth({});

    defaults.hasResourceProperties('AWS::S3::Bucket', {
      CorsConfiguration: { CorsRules: [Match.objectLike({ AllowedOrigins: ['*'] })] },
    });
    defaults.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: Match.objectLike({ AllowOrigins: ['*'], AllowCredentials: false }),
    });
  });

  it('turns CORS off for an empty origin list', () => {
    const noCors = synth({ corsOrigins: [] });

    for (const bucket of Object.values(noCors.findResources('AWS::S3::Bucket'))) {
      expect(bucket.Properties.CorsConfiguration).toBeUndefined();
    }
    noCors.hasResourceProperties('AWS::ApiGatewayV2::Api', { CorsConfiguration: Match.absent() });
  });

  it('passes the configured limits to the handlers and the lifecycle rule', () => {
    const custom = synth({
      tempExpiration: Duration.days(3),
      maxUploadBytes: 10 * 1024 ** 2,
      uploadUrlTtl: Duration.minutes(5),
      // The longest lifetime accepted.
      downloadUrlTtl: Duration.hours(1),
    });

    custom.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ Prefix: 'temp/', ExpirationInDays: 3 })]) },
    });
    custom.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          MAX_UPLOAD_BYTES: String(10 * 1024 ** 2),
          UPLOAD_URL_TTL_SECONDS: '300',
          DOWNLOAD_URL_TTL_SECONDS: '3600',
        }),
      },
    });
  });

  it('throttles the public routes as configured', () => {
    const custom = synth({ publicThrottle: { rateLimit: 5, burstLimit: 10 } });

    const [stage] = Object.values(custom.findResources('AWS::ApiGatewayV2::Stage')) as Resource[];

    // One setting per public route: the public file and link routes, the public preview, deleteSession and the OpenAPI document.
    const publicRoutes = operations.filter((op) => op.public).flatMap((op) => op.routes);
    expect(publicRoutes).toHaveLength(5);
    expect(Object.values(stage?.Properties.RouteSettings as object)).toEqual(
      publicRoutes.map(() => ({ ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 })),
    );
  });

  it('lets the bucket and the table be destroyed when asked, without deletion protection', () => {
    const disposable = synth({ removalPolicy: RemovalPolicy.DESTROY });

    disposable.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({ DeletionProtectionEnabled: false }),
    });
    disposable.allResources('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
  });
});

describe('FileService props', () => {
  // Validation runs before any bundling, so these cost nothing.
  function build(overrides: Partial<FileServiceProps>): () => FileService {
    return () =>
      new FileService(new Stack(new App(), 'Invalid'), 'Files', {
        jwtIssuer: issuer,
        jwtAudience: audience,
        handlersDir,
        ...overrides,
      });
  }

  it('refuses a temp expiration that is not a whole number of days', () => {
    expect(build({ tempExpiration: Duration.hours(12) })).toThrow(/tempExpiration must be a whole number of days/);
  });

  it('refuses a download URL lifetime above one hour, saying URLs die with the signing credentials', () => {
    expect(build({ downloadUrlTtl: Duration.seconds(3601) })).toThrow(
      /downloadUrlTtl must be at most 1 hour: .*temporary session credentials.*\(got 1 hour 1 second\)/,
    );
  });

  it('refuses an upload URL lifetime above one hour, saying URLs die with the signing credentials', () => {
    expect(build({ uploadUrlTtl: Duration.days(7) })).toThrow(/uploadUrlTtl must be at most 1 hour: .*temporary session credentials/);
  });

  it('refuses an upload limit above S3\'s 5 TiB objects, and a multipart threshold outside the sizes one PUT takes', () => {
    expect(build({ maxUploadBytes: 5 * 1024 ** 4 + 1 })).toThrow(/maxUploadBytes must be at most 5 TiB/);
    expect(build({ multipartThresholdBytes: 5 * 1024 ** 3 + 1 })).toThrow(/multipartThresholdBytes must be a whole number of bytes from 5 MiB to 5 GiB/);
    expect(build({ multipartThresholdBytes: 1024 })).toThrow(/multipartThresholdBytes must be/);
  });

  it('refuses a public throttle that would shut the public routes or is not a whole burst', () => {
    expect(build({ publicThrottle: { rateLimit: 0, burstLimit: 10 } })).toThrow(/publicThrottle needs a positive rateLimit/);
    expect(build({ publicThrottle: { rateLimit: 5, burstLimit: 0.5 } })).toThrow(/publicThrottle needs a positive rateLimit/);
  });

  it('refuses an upload limit that is not a positive whole number', () => {
    expect(build({ maxUploadBytes: 0 })).toThrow(/maxUploadBytes must be a positive whole number/);
    expect(build({ maxUploadBytes: 1.5 })).toThrow(/maxUploadBytes must be a positive whole number/);
  });

  it('refuses a service scope that is not one scope name', () => {
    expect(build({ serviceScope: 'file-service/service other' })).toThrow(/serviceScope must be a role name/);
    expect(build({ serviceScope: '' })).toThrow(/serviceScope must be a role name/);
  });

  it('refuses an issuer that is not an https URL', () => {
    expect(build({ jwtIssuer: 'http://auth.example.com/' })).toThrow(/jwtIssuer must be an https URL/);
  });

  it('refuses an empty audience list', () => {
    expect(build({ jwtAudience: [] })).toThrow(/jwtAudience must list at least one/);
  });

  it("refuses '*' mixed with specific CORS origins", () => {
    expect(build({ corsOrigins: ['*', 'https://app.example.com'] })).toThrow(/corsOrigins '\*' already allows every origin/);
  });

  it('refuses the SNAPSHOT removal policy that S3 cannot honour', () => {
    expect(build({ removalPolicy: RemovalPolicy.SNAPSHOT })).toThrow(/removalPolicy SNAPSHOT is not supported/);
  });

  it('names the handler files missing from handlersDir', () => {
    const empty = mkdtempSync(join(tmpdir(), 'no-handlers-'));

    expect(build({ handlersDir: empty })).toThrow(/lacks handler files: upload-file\.ts, save-file\.ts/);
  });
});
