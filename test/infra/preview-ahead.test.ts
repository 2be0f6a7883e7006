import type { Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FileService } from '../../lib/file-service';
import { synthFileService } from './fixtures/synth';

type Resource = { Type: string; Properties: Record<string, unknown> };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

let template: Template;
let stack: Stack;
let service: FileService;

beforeAll(() => {
  ({ template, stack, service } = synthFileService({ tracing: false }));
});

function resourcesOfType(type: string): Array<[string, Resource]> {
  return Object.entries(template.findResources(type)) as Array<[string, Resource]>;
}

function functionId(): string {
  return stack.getLogicalId(service.previewsAhead.function.node.defaultChild as CfnFunction);
}

function idOf(type: string, part: string): string {
  const found = resourcesOfType(type).filter(([id]) => id.includes(part));
  expect(found).toHaveLength(1);
  return found[0]![0];
}

/** `{Fn::GetAtt: [id, attr]}` as `<id.attr>`, a Fn::Join as its parts joined. */
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

describe('previews ahead of time in the stack', () => {
  it('has a rule on the service bus that passes FileCreated and FileVersionAdded of the service to the function, retried for a day, then queued', () => {
    // Prepare
    const rules = resourcesOfType('AWS::Events::Rule').filter(([id]) => id.includes('PreviewsAhead'));

    // Assess
    expect(rules).toHaveLength(1);
    expect(rules[0]![1].Properties).toMatchObject({
      EventBusName: { Ref: idOf('AWS::Events::EventBus', 'EventsBus') },
      EventPattern: { source: ['file-service'], 'detail-type': ['FileCreated', 'FileVersionAdded'] },
      Targets: [
        {
          Arn: { 'Fn::GetAtt': [functionId(), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [idOf('AWS::SQS::Queue', 'PreviewsAheadDeadLetters'), 'Arn'] } },
        },
      ],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [functionId(), 'Arn'] },
      SourceArn: { 'Fn::GetAtt': [rules[0]![0], 'Arn'] },
    });
  });

  it('retries a failed rendering twice, then sends the event to the same encrypted dead-letter queue, and alarms on it', () => {
    // Prepare
    const queue = idOf('AWS::SQS::Queue', 'PreviewsAheadDeadLetters');

    // Assess
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: functionId() },
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 21_600,
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [queue, 'Arn'] } },
      Description: Match.stringLikeRegexp('ahead of time'),
    });
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 1,
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }],
    });
  });

  it('runs the function as previewFile runs: 1,536 MB, on the machine’s architecture, for 60 s', () => {
    // Prepare
    const fn = template.toJSON().Resources[functionId()] as Resource;

    // Assess
    expect(fn.Properties).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: [process.arch === 'arm64' ? 'arm64' : 'x86_64'],
      MemorySize: 1536,
      Timeout: 60,
      Handler: 'index.handler',
    });
  });

  it('lets the function read the file and its version, record and keep the preview, read the source, and nothing else', () => {
    // Prepare
    const fn = template.toJSON().Resources[functionId()] as Resource;
    const [roleId] = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'];
    const role = template.toJSON().Resources[roleId] as Resource;
    const bucket = idOf('AWS::S3::Bucket', 'FilesBucket');
    const table = resourcesOfType('AWS::DynamoDB::Table')[0]![0];
    const queue = idOf('AWS::SQS::Queue', 'PreviewsAheadDeadLetters');

    // Act
    const pairs = resourcesOfType('AWS::IAM::Policy')
      .filter(([, policy]) => (policy.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === roleId))
      .flatMap(([, policy]) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement)
      .flatMap((statement) =>
        ([] as string[]).concat(statement.Action).flatMap((action) => ([] as unknown[]).concat(statement.Resource).map((resource) => `${action} ${render(resource)}`)),
      )
      .filter((pair) => !pair.startsWith('logs:'));

    // Assess
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    expect(pairs.sort()).toEqual(
      [
        `dynamodb:GetItem <${table}.Arn>`,
        `dynamodb:PutItem <${table}.Arn>`,
        `s3:GetObject <${bucket}.Arn>/files/*`,
        `s3:GetObject <${bucket}.Arn>/previews/*`,
        `s3:PutObject <${bucket}.Arn>/previews/*`,
        `sqs:SendMessage <${queue}.Arn>`,
      ].sort(),
    );
  });

  it('has no unacknowledged AwsSolutions finding', () => {
    // Act
    const report = new AwsSolutionsChecks().validateScope(stack);

    // Assess
    expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(',')}`)).toEqual([]);
  });

  it('has no unacknowledged AwsSolutions finding with tracing on', () => {
    // Prepare
    const traced = synthFileService({ tracing: true });

    // Act
    const report = new AwsSolutionsChecks().validateScope(traced.stack);

    // Assess
    expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(',')}`)).toEqual([]);
  });
});
