import { join } from 'node:path';
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { type IEventBus, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Bucket, CfnBucket } from 'aws-cdk-lib/aws-s3';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { eventSource } from '../lambdas/core/events';
import { renderPreviews } from '../lambdas/operations';
import { permissionGrants } from './permissions';
import { previewArchitecture, previewBundling } from './preview-bundling';
import { serviceFunction, type ServiceFunctionSettings } from './service-function';

/** How the function is built and run comes from the service; `bundling` gets sharp and MuPDF added as for previewFile. */
export interface PreviewsAheadProps extends ServiceFunctionSettings {
  /** The bus the file events are put on. */
  readonly eventBus: IEventBus;
  readonly table: Table;
  readonly bucket: Bucket;
}

/**
 * Default previews rendered ahead of time: a rule on the service's bus hands FileCreated and
 * FileVersionAdded to a function that renders the version's 300 × 300 preview as previewFile
 * does and keeps it. EventBridge invokes the function asynchronously: an invocation it cannot
 * make is retried for up to a day, a function error twice more by Lambda, and an event that
 * still fails goes to a queue.
 */
export class PreviewsAhead extends Construct {
  public readonly function: NodejsFunction;
  public readonly rule: Rule;
  /** Events that could not be delivered, or whose rendering kept failing. */
  public readonly deadLetters: Queue;
  public readonly alarms: Alarm[];

  constructor(scope: Construct, id: string, props: PreviewsAheadProps) {
    super(scope, id);
    this.deadLetters = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the preview rule’s target and of the function’s asynchronous invocations.',
    });
    this.function = this.createFunction(props);
    this.rule = new Rule(this, 'Rule', {
      eventBus: props.eventBus,
      description: `Renders the default preview of each ${renderPreviews.detailTypes.join(' and ')}`,
      eventPattern: { source: [eventSource], detailType: [...renderPreviews.detailTypes] },
      targets: [
        new LambdaFunction(this.function, {
          retryAttempts: 185,
          maxEventAge: Duration.hours(24),
          deadLetterQueue: this.deadLetters,
        }),
      ],
    });
    const alarm = new Alarm(this, 'DeadLettersAlarm', {
      alarmDescription:
        'Previews ahead of time: events whose default preview could not be rendered after every retry are in the dead-letter queue; those files render on their first request instead.',
      metric: this.deadLetters.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    if (props.alarmTopic) alarm.addAlarmAction(new SnsAction(props.alarmTopic));
    this.alarms = [alarm];
  }

  private createFunction(props: PreviewsAheadProps): NodejsFunction {
    const { fn, role } = serviceFunction(this, '', {
      description: 'File service: render the default preview of new files and versions ahead of time',
      roleDescription: 'Renders default previews of new files and versions ahead of time (file service)',
      entry: join(props.handlersDir, `${renderPreviews.entry}.ts`),
      environment: props.environment,
      // sharp's native code is the one npm installed on the machine that synthesises.
      bundling: previewBundling(props.bundling),
      architecture: previewArchitecture(),
      memorySize: 1536,
      timeout: Duration.seconds(60),
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      tracing: props.tracing,
      grants: permissionGrants(renderPreviews.permissions, { tableArn: props.table.tableArn, bucketArn: props.bucket.bucketArn }),
      // Asynchronous invocations (EventBridge's): a function error is tried twice more, then queued.
      more: { retryAttempts: 2, maxEventAge: Duration.hours(6), deadLetterQueue: this.deadLetters },
    });
    const bucketLogicalId = Stack.of(this).resolve((props.bucket.node.defaultChild as CfnBucket).logicalId) as string;
    const rendered = permissionGrants(renderPreviews.permissions, { tableArn: '<table>', bucketArn: `<${bucketLogicalId}.Arn>` });
    for (const resource of rendered.flatMap((grant) => grant.resources).filter((r) => r.includes('*'))) {
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${resource}]`,
        reason:
          'Object keys are generated per file and version (org, file id, version, size), so this key prefix is the narrowest resource that covers them; only s3:GetObject and s3:PutObject are granted on it.',
      });
    }
    return fn;
  }
}
