import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { FileServiceStack } from '../../lib/file-service-stack';

const handlersDir = fileURLToPath(new URL('./fixtures/handlers', import.meta.url));

type Resource = { Type: string; Properties: Record<string, unknown> };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

let app: App;
let template: Template;

beforeAll(() => {
  app = new App();
  const stack = new FileServiceStack(app, 'OrphanReaperTest', {
    jwtIssuer: 'https://auth.example.com/',
    jwtAudience: ['file-api'],
    handlersDir,
  });
  template = Template.fromStack(stack);
});

function resourcesOfType(type: string): Array<[string, Resource]> {
  return Object.entries(template.findResources(type)) as Array<[string, Resource]>;
}

function logicalIdOf(type: string, matching: (resource: Resource) => boolean): string {
  const found = resourcesOfType(type).filter(([, resource]) => matching(resource));
  expect(found).toHaveLength(1);
  return found[0]![0];
}

/** Renders an IAM resource (string, Fn::GetAtt, Fn::Join of those) as `<Logical.Attribute>/suffix`. */
function render(value: unknown): string {
  if (typeof value === 'string') return value;
  const node = value as Record<string, unknown>;
  if (node['Fn::GetAtt']) return `<${(node['Fn::GetAtt'] as string[]).join('.')}>`;
  if (node.Ref) return `<${String(node.Ref)}>`;
  if (node['Fn::Join']) {
    const [separator, parts] = node['Fn::Join'] as [string, unknown[]];
    return parts.map(render).join(separator);
  }
  return JSON.stringify(value);
}

function reaperFunctionId(): string {
  return logicalIdOf('AWS::Lambda::Function', (fn) => String(fn.Properties.Description).includes('never committed'));
}

function reaperQueueId(): string {
  return resourcesOfType('AWS::SQS::Queue').map(([id]) => id).find((id) => id.includes('OrphanReaper')) ?? '';
}

/** Every `action resource` pair the reaper's role may use. */
function reaperPermissions(): string[] {
  const fn = template.toJSON().Resources[reaperFunctionId()] as Resource;
  const [roleId] = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'];
  const pairs: string[] = [];
  for (const [, policy] of resourcesOfType('AWS::IAM::Policy')) {
    if (!(policy.Properties.Roles as Array<{ Ref: string }>).some((role) => role.Ref === roleId)) continue;
    for (const statement of (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement) {
      expect(statement.Effect).toBe('Allow');
      for (const action of ([] as string[]).concat(statement.Action)) {
        for (const resource of ([] as unknown[]).concat(statement.Resource)) pairs.push(`${action} ${render(resource)}`);
      }
    }
  }
  return pairs.sort();
}

describe('the orphan reaper in the stack', () => {
  it("turns on the table's stream with the old image of each removed item", () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
    });
  });

  it('runs an arm64 nodejs22.x Lambda with the table and bucket in its environment', () => {
    const fn = template.toJSON().Resources[reaperFunctionId()] as Resource;
    expect(fn.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], Handler: 'index.handler' });
    expect(Object.keys((fn.Properties.Environment as { Variables: object }).Variables)).toEqual(
      expect.arrayContaining(['TABLE_NAME', 'BUCKET_NAME']),
    );
  });

  it('receives only TTL removals of save intents, reports failed records and sends exhausted batches to a queue', () => {
    const queueId = reaperQueueId();
    const reaperMappings = resourcesOfType('AWS::Lambda::EventSourceMapping').filter(([, m]) => (m.Properties.FunctionName as { Ref: string }).Ref === reaperFunctionId());
    const [, mapping] = reaperMappings[0]!;
    expect(reaperMappings).toHaveLength(1);
    expect(mapping.Properties).toMatchObject({
      FunctionName: { Ref: reaperFunctionId() },
      StartingPosition: 'TRIM_HORIZON',
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
    });
    const filters = (mapping.Properties.FilterCriteria as { Filters: Array<{ Pattern: string }> }).Filters;
    expect(filters.map((filter) => JSON.parse(filter.Pattern))).toEqual([
      {
        eventName: ['REMOVE'],
        userIdentity: { type: ['Service'], principalId: ['dynamodb.amazonaws.com'] },
        dynamodb: { Keys: { pk: { S: [{ prefix: 'INTENT#' }] } } },
      },
    ]);
  });

  it('may read items and the stream, delete saved-file objects and nothing more', () => {
    const tableId = logicalIdOf('AWS::DynamoDB::Table', () => true);
    const queueId = reaperQueueId();
    const bucketId = logicalIdOf('AWS::S3::Bucket', (bucket) => Boolean(bucket.Properties.LoggingConfiguration));
    const logsId = resourcesOfType('AWS::Logs::LogGroup').map(([id]) => id).find((id) => id.includes('OrphanReaperLogs')) ?? '';
    const permissions = reaperPermissions()
      .map((pair) => pair.replace(`<${tableId}.Arn>`, '<table>').replace(`<${tableId}.StreamArn>`, '<stream>'))
      .map((pair) => pair.replace(`<${bucketId}.Arn>`, '<bucket>').replace(`<${queueId}.Arn>`, '<queue>').replace(`<${logsId}.Arn>`, '<logs>'));

    expect(permissions.filter((pair) => !pair.startsWith('logs:') && !pair.startsWith('sqs:'))).toEqual([
      'dynamodb:DescribeStream <stream>',
      'dynamodb:GetItem <table>',
      'dynamodb:GetRecords <stream>',
      'dynamodb:GetShardIterator <stream>',
      'dynamodb:ListStreams <stream>',
      'dynamodb:Query <table>',
      's3:DeleteObject <bucket>/files/*',
    ]);
    expect(permissions.filter((pair) => pair.startsWith('sqs:') || pair.startsWith('logs:')).every((pair) => / <(queue|logs)>$/.test(pair))).toBe(true);
  });

  it('has no unacknowledged AwsSolutions finding', () => {
    const report = new AwsSolutionsChecks().validateScope(app);

    expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(',')}`)).toEqual([]);
  });
});
