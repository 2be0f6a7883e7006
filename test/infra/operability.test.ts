import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { operations } from '../../lambdas/operations';
import { FileService, type FileServiceProps } from '../../lib/file-service';
import { synthFileService } from './fixtures/synth';

type Alarm = { Properties: Record<string, unknown> };
type Statement = { Action: string | string[]; Resource: unknown };

const topicArn = 'arn:aws:sns:eu-central-1:123456789012:file-service-alarms';

// The service with default props, synthesised once for the tests that read it.
let defaults: ReturnType<typeof synthFileService>;
beforeAll(() => {
  defaults = synthFileService();
});

function alarmsOf(template: Template): Alarm[] {
  return Object.values(template.findResources('AWS::CloudWatch::Alarm')) as Alarm[];
}

function functionIds(stack: Stack, service: FileService): Record<string, string> {
  return Object.fromEntries(
    operations.map((op) => [op.name, stack.getLogicalId(service.functions[op.name]!.node.defaultChild as CfnFunction)]),
  );
}

/** The alarm whose single metric is `metricName` with the given dimension value. */
function simpleAlarm(template: Template, metricName: string, dimension: unknown): Alarm | undefined {
  return alarmsOf(template).find(
    (alarm) =>
      alarm.Properties.MetricName === metricName &&
      JSON.stringify((alarm.Properties.Dimensions as Array<{ Value: unknown }>)[0]?.Value) === JSON.stringify(dimension),
  );
}

describe('FileService alarms', () => {
  it('alarms when at least 5% of at least 10 API requests in five minutes answer 5xx', () => {
    const { template, stack, service } = defaults;
    const apiId = stack.getLogicalId(service.api.node.defaultChild as CfnElement);

    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 5,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'IF(requests >= 10, 100 * errors / requests, 0)', ReturnData: true }),
        Match.objectLike({
          Id: 'errors',
          ReturnData: false,
          MetricStat: Match.objectLike({
            Metric: { Namespace: 'AWS/ApiGateway', MetricName: '5xx', Dimensions: [{ Name: 'ApiId', Value: { Ref: apiId } }] },
            Period: 300,
            Stat: 'Sum',
          }),
        }),
        Match.objectLike({
          Id: 'requests',
          ReturnData: false,
          MetricStat: Match.objectLike({
            Metric: { Namespace: 'AWS/ApiGateway', MetricName: 'Count', Dimensions: [{ Name: 'ApiId', Value: { Ref: apiId } }] },
            Period: 300,
            Stat: 'Sum',
          }),
        }),
      ]),
    });
  });

  it('alarms on any error and any throttle of every function, one alarm each', () => {
    const { template, stack, service } = defaults;

    for (const [name, id] of Object.entries(functionIds(stack, service))) {
      for (const metricName of ['Errors', 'Throttles']) {
        const alarm = simpleAlarm(template, metricName, { Ref: id });
        expect(alarm, `${metricName} alarm of ${name}`).toBeDefined();
        expect(alarm!.Properties).toMatchObject({
          Namespace: 'AWS/Lambda',
          Statistic: 'Sum',
          Period: 300,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
        });
      }
    }
  });

  it('alarms when DynamoDB throttles any read or write on the table', () => {
    const { template, stack, service } = defaults;
    const table = { Ref: stack.getLogicalId(service.table.node.defaultChild as CfnElement) };
    const throttleMetric = (metricName: string) =>
      Match.objectLike({
        MetricStat: Match.objectLike({
          Metric: { Namespace: 'AWS/DynamoDB', MetricName: metricName, Dimensions: [{ Name: 'TableName', Value: table }] },
          Stat: 'Sum',
        }),
      });

    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'reads + writes' }),
        throttleMetric('ReadThrottleEvents'),
        throttleMetric('WriteThrottleEvents'),
      ]),
    });
  });

  it('exposes exactly the alarms it creates: the API, two per function, the table, two of file events and one of previews ahead', () => {
    const { template, service } = defaults;

    expect(alarmsOf(template)).toHaveLength(2 + 2 * operations.length + 2 + 1);
    expect(service.alarms).toHaveLength(alarmsOf(template).length);
  });

  it('creates the alarms without actions when no topic is given', () => {
    const { template } = defaults;

    for (const alarm of alarmsOf(template)) expect(alarm.Properties.AlarmActions).toBeUndefined();
  });

  it('sends every alarm to the alarm topic when one is given', () => {
    const { template } = synthFileService({
      alarmTopic: Topic.fromTopicArn(new Stack(), 'Alarms', topicArn),
    });

    for (const alarm of alarmsOf(template)) expect(alarm.Properties.AlarmActions).toEqual([topicArn]);
  });
});

describe('FileService tracing', () => {
  it('leaves X-Ray tracing off by default', () => {
    const { template } = defaults;

    template.allResourcesProperties('AWS::Lambda::Function', { TracingConfig: Match.absent() });
  });

  it('traces every Lambda actively when asked, granting only the X-Ray actions on every resource', () => {
    const { template } = synthFileService({ tracing: true });

    template.allResourcesProperties('AWS::Lambda::Function', { TracingConfig: { Mode: 'Active' } });
    const wildcardActions = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement)
      .filter((statement) => ([] as unknown[]).concat(statement.Resource).includes('*'))
      .flatMap((statement) => ([] as string[]).concat(statement.Action));
    expect(new Set(wildcardActions)).toEqual(new Set(['xray:PutTraceSegments', 'xray:PutTelemetryRecords']));
  });

  it('has no unacknowledged AwsSolutions finding with tracing, an alarm topic and reserved concurrency', () => {
    const { stack } = synthFileService({
      tracing: true,
      alarmTopic: Topic.fromTopicArn(new Stack(), 'Alarms', topicArn),
      reservedConcurrency: 5,
    });

    const report = new AwsSolutionsChecks().validateScope(stack.node.root);

    expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(',')}`)).toEqual([]);
  });
});

describe('FileService reserved concurrency', () => {
  function reservedByOperation(overrides?: Partial<FileServiceProps>): Record<string, unknown> {
    const { template, stack, service } = overrides === undefined ? defaults : synthFileService(overrides);
    const resources = template.toJSON().Resources as Record<string, { Properties: Record<string, unknown> }>;
    return Object.fromEntries(
      Object.entries(functionIds(stack, service)).map(([name, id]) => [name, resources[id]!.Properties.ReservedConcurrentExecutions]),
    );
  }

  it('reserves nothing by default', () => {
    expect(Object.values(reservedByOperation())).toEqual(operations.map(() => undefined));
  });

  it('reserves the same concurrency for every function when given one number', () => {
    expect(Object.values(reservedByOperation({ reservedConcurrency: 20 }))).toEqual(operations.map(() => 20));
  });

  it('reserves concurrency only for the operations a map names', () => {
    const reserved = reservedByOperation({ reservedConcurrency: { saveFile: 10, uploadFile: 30 } });

    expect(reserved).toEqual({
      ...Object.fromEntries(operations.map((op) => [op.name, undefined])),
      saveFile: 10,
      uploadFile: 30,
    });
  });

  it('refuses a map that names an unknown operation', () => {
    expect(() => synthFileService({ reservedConcurrency: { saveFiles: 10 } })).toThrow(
      /reservedConcurrency names an unknown operation 'saveFiles' \(known: uploadFile, saveFile/,
    );
  });

  it('refuses zero or fractional reserved concurrency, which would block or not deploy', () => {
    expect(() => synthFileService({ reservedConcurrency: 0 })).toThrow(/reservedConcurrency of uploadFile must be a whole number, at least 1/);
    expect(() => synthFileService({ reservedConcurrency: { getFile: 2.5 } })).toThrow(/reservedConcurrency of getFile must be a whole number/);
  });
});

describe('FileService stage throttling', () => {
  it('throttles the stage at 200 requests per second with bursts of 400 by default', () => {
    const { template } = defaults;

    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      DefaultRouteSettings: { ThrottlingRateLimit: 200, ThrottlingBurstLimit: 400 },
    });
  });

  it('applies the given throttle instead of the default', () => {
    const { template } = synthFileService({ throttle: { rateLimit: 1000, burstLimit: 3000 } });

    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 3000 },
    });
  });
});

describe('FileService Powertools settings', () => {
  it('names the service and the metrics namespace for Powertools in every Lambda', () => {
    const { template } = defaults;

    template.allResourcesProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 'file-service', POWERTOOLS_METRICS_NAMESPACE: 'FileService' }),
      },
    });
  });
});
