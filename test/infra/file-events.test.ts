import { SecretValue, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { FileService } from '../../lib/file-service';
import { audience, handlersDir, issuer, synthFileService, unbundledApp } from './fixtures/synth';

type Resource = { Type: string; Properties: Record<string, unknown> };

let template: Template;
let stack: Stack;

beforeAll(() => {
  ({ template, stack } = synthFileService({
    webhooks: [
      { url: 'https://hooks.example.com/files', detailTypes: ['FileCreated', 'FileDeleted'], secretHeaderName: 'x-api-key', secret: SecretValue.unsafePlainText('s3cret') },
      { url: 'https://audit.example.com/in', secret: SecretValue.unsafePlainText('other') },
    ],
  }));
});

function resourcesOfType(type: string): Array<[string, Resource]> {
  return Object.entries(template.findResources(type)) as Array<[string, Resource]>;
}

function publisherId(): string {
  const found = resourcesOfType('AWS::Lambda::Function').filter(([, fn]) => String(fn.Properties.Description).includes('publish file events'));
  expect(found).toHaveLength(1);
  return found[0]![0];
}

function idOf(type: string, part: string): string {
  const found = resourcesOfType(type).filter(([id]) => id.includes(part));
  expect(found).toHaveLength(1);
  return found[0]![0];
}

describe('file events in the stack', () => {
  it("turns on the table's stream with both images, so each change can be compared", () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', { StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' } });
  });

  it('creates an event bus and tells the publisher its ARN', () => {
    const busId = idOf('AWS::Events::EventBus', 'EventsBus');
    const fn = template.toJSON().Resources[publisherId()] as Resource;
    expect(fn.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], Handler: 'index.handler' });
    expect((fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables.EVENT_BUS_NAME).toEqual({ 'Fn::GetAtt': [busId, 'Arn'] });
  });

  it('feeds the publisher only entity items of the stream, with failed records reported, bisected, retried and then queued', () => {
    const queueId = idOf('AWS::SQS::Queue', 'PublishDeadLetters');
    const mappings = resourcesOfType('AWS::Lambda::EventSourceMapping').filter(
      ([, mapping]) => (mapping.Properties.FunctionName as { Ref: string }).Ref === publisherId(),
    );
    expect(mappings).toHaveLength(1);
    const [, mapping] = mappings[0]!;
    expect(mapping.Properties).toMatchObject({
      StartingPosition: 'TRIM_HORIZON',
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
    });
    const filters = (mapping.Properties.FilterCriteria as { Filters: Array<{ Pattern: string }> }).Filters;
    expect(filters.map((filter) => JSON.parse(filter.Pattern))).toEqual([{ dynamodb: { Keys: { sk: { S: ['FILE'] } } } }]);
  });

  it('lets the publisher put events on its bus and read the stream, and nothing else', () => {
    const busId = idOf('AWS::Events::EventBus', 'EventsBus');
    const tableId = resourcesOfType('AWS::DynamoDB::Table')[0]![0];
    const fn = template.toJSON().Resources[publisherId()] as Resource;
    const [roleId] = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'];
    const statements = resourcesOfType('AWS::IAM::Policy')
      .filter(([, policy]) => (policy.Properties.Roles as Array<{ Ref: string }>).some((role) => role.Ref === roleId))
      .flatMap(([, policy]) => (policy.Properties.PolicyDocument as { Statement: Array<{ Action: string | string[]; Resource: unknown }> }).Statement)
      .filter((statement) => !([] as string[]).concat(statement.Action).some((action) => /^(logs|sqs):/.test(action)));
    expect(statements).toEqual([
      expect.objectContaining({ Effect: 'Allow', Action: 'events:PutEvents', Resource: { 'Fn::GetAtt': [busId, 'Arn'] } }),
      expect.objectContaining({
        Effect: 'Allow',
        Action: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'],
        Resource: { 'Fn::GetAtt': [tableId, 'StreamArn'] },
      }),
    ]);
  });

  it('forwards each webhook’s chosen events to its URL through an API destination that sends the secret header', () => {
    expect(resourcesOfType('AWS::Events::Rule').filter(([id]) => id.includes('Webhook'))).toHaveLength(2);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: idOf('AWS::Events::EventBus', 'EventsBus') },
      EventPattern: { source: ['file-service'], 'detail-type': ['FileCreated', 'FileDeleted'] },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [idOf('AWS::Events::ApiDestination', 'Webhook1'), 'Arn'] }, RetryPolicy: Match.anyValue() })],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['file-service'], 'detail-type': ['FileCreated', 'FileVersionAdded', 'FileUpdated', 'FileDeleted'] },
    });
    template.hasResourceProperties('AWS::Events::ApiDestination', {
      InvocationEndpoint: 'https://hooks.example.com/files',
      HttpMethod: 'POST',
      ConnectionArn: { 'Fn::GetAtt': [idOf('AWS::Events::Connection', 'Webhook1'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::Events::Connection', {
      AuthorizationType: 'API_KEY',
      AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'x-api-key', ApiKeyValue: 's3cret' } },
    });
    template.hasResourceProperties('AWS::Events::Connection', {
      AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'x-webhook-secret', ApiKeyValue: 'other' } },
    });
  });

  it('alarms when events run five minutes late, and on any batch or event in a dead-letter queue', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'IteratorAge',
      Statistic: 'Maximum',
      Threshold: 300_000,
      Dimensions: Match.arrayWith([Match.objectLike({ Value: { Ref: publisherId() } })]),
    });
    for (const queue of ['PublishDeadLetters', 'WebhookDeadLetters']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Threshold: 1,
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [idOf('AWS::SQS::Queue', queue), 'QueueName'] } }],
      });
    }
  });

  it('has no unacknowledged AwsSolutions finding', () => {
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(',')}`)).toEqual([]);
  });
});

describe('file events options', () => {
  it('puts events on a bus passed as a prop, creating none', () => {
    // Prepare
    const stack = new Stack(unbundledApp(), 'OwnBus');
    const bus = EventBus.fromEventBusArn(stack, 'Shared', 'arn:aws:events:eu-central-1:111122223333:event-bus/shared');

    // Act
    new FileService(stack, 'Files', { jwtIssuer: issuer, jwtAudience: audience, handlersDir, eventBus: bus });

    // Assess
    const own = Template.fromStack(stack);
    own.resourceCountIs('AWS::Events::EventBus', 0);
    own.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'events:PutEvents', Resource: 'arn:aws:events:eu-central-1:111122223333:event-bus/shared' })]) },
    });
    own.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ EVENT_BUS_NAME: 'arn:aws:events:eu-central-1:111122223333:event-bus/shared' }) },
    });
  });

  it('takes a webhook secret from Secrets Manager', () => {
    // Prepare
    const stack = new Stack(unbundledApp(), 'SecretHook');
    const secret = Secret.fromSecretNameV2(stack, 'HookSecret', 'file-hooks');

    // Act
    new FileService(stack, 'Files', { jwtIssuer: issuer, jwtAudience: audience, handlersDir, webhooks: [{ url: 'https://hooks.example.com/', secret }] });

    // Assess
    const json = JSON.stringify(Template.fromStack(stack).findResources('AWS::Events::Connection'));
    expect(json).toContain('{{resolve:secretsmanager:');
    expect(json).toContain('file-hooks');
  });

  it('refuses a webhook that is not https, an unknown event type and a malformed header name', () => {
    const secret = SecretValue.unsafePlainText('x');
    expect(() => synthFileService({ webhooks: [{ url: 'http://hooks.example.com/', secret }] })).toThrow(/https URL/);
    expect(() => synthFileService({ webhooks: [{ url: 'https://hooks.example.com/', secret, detailTypes: ['FileMoved' as never] }] })).toThrow(
      /detailTypes must list some of FileCreated/,
    );
    expect(() => synthFileService({ webhooks: [{ url: 'https://hooks.example.com/', secret, secretHeaderName: 'bad header' }] })).toThrow(
      /secretHeaderName must be an HTTP header name/,
    );
  });
});
