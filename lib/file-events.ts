import { join } from 'node:path';
import { Duration, SecretValue, Token, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { ApiDestination, Authorization, Connection, EventBus, HttpMethod, type IEventBus, Rule } from 'aws-cdk-lib/aws-events';
import { ApiDestination as ApiDestinationTarget } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { FilterCriteria, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { eventSource, fileEventTypes, type FileEventType } from '../lambdas/core/events';
import { publishEvents } from '../lambdas/operations';
import { permissionGrants } from './permissions';
import { serviceFunction, type ServiceFunctionSettings } from './service-function';

/** Forwards chosen file events to an HTTPS endpoint through an EventBridge API destination. */
export interface FileEventsWebhook {
  /** The endpoint, an https URL; it receives each event as EventBridge's JSON envelope, POSTed. */
  readonly url: string;
  /**
   * Which events it receives.
   *
   * @default all four: FileCreated, FileVersionAdded, FileUpdated, FileDeleted
   */
  readonly detailTypes?: FileEventType[];
  /**
   * The header that carries the secret, so the endpoint can tell the calls are ours.
   *
   * @default 'x-webhook-secret'
   */
  readonly secretHeaderName?: string;
  /** The secret's value; EventBridge keeps it in a Secrets Manager secret of its own. */
  readonly secret: SecretValue | ISecret;
}

/** How the publishing function is built and run comes from the service. */
export interface FileEventsProps extends ServiceFunctionSettings {
  /** The table whose stream carries the committed writes; it must have NEW_AND_OLD_IMAGES. */
  readonly table: Table;
  /**
   * The bus the events go to.
   *
   * @default - a new bus, created with the service
   */
  readonly eventBus?: IEventBus;
  /**
   * HTTPS endpoints that receive chosen events: one rule, API destination and connection each.
   *
   * @default - none
   */
  readonly webhooks?: FileEventsWebhook[];
}

/** Header names are tokens (RFC 9110): letters, digits and a few symbols. */
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,256}$/;

/**
 * File events on Amazon EventBridge, from the table's stream: a function reads each
 * committed change of a file entity and puts FileCreated, FileVersionAdded, FileUpdated or
 * FileDeleted on the bus. The event source mapping passes only entity items, retries a failed
 * record (and everything after it) with the batch bisected, and sends what still fails to a
 * queue, so an event is delivered at least once and never for a write that did not commit.
 */
export class FileEvents extends Construct {
  public readonly eventBus: IEventBus;
  public readonly function: NodejsFunction;
  /** Receives the stream batches whose events could not be published after every retry. */
  public readonly deadLetters: Queue;
  /** One rule per webhook, in the order given. */
  public readonly webhookRules: Rule[];
  /** Events running late, and events that could not be published or delivered. */
  public readonly alarms: Alarm[];

  constructor(scope: Construct, id: string, props: FileEventsProps) {
    super(scope, id);
    const webhooks = (props.webhooks ?? []).map(validWebhook);
    this.eventBus = props.eventBus ?? new EventBus(this, 'Bus', { description: 'File service events' });
    this.function = this.createFunction(props);
    this.deadLetters = this.subscribeToStream(props.table);
    const undelivered = webhooks.length > 0 ? this.webhookDeadLetters() : undefined;
    this.webhookRules = webhooks.map((webhook, index) => this.forward(webhook, index + 1, undelivered as Queue));
    this.alarms = this.createAlarms(props.alarmTopic, undelivered);
  }

  /**
   * The stream keeps records for a day: events that lag by minutes are a warning, and a
   * message in a dead-letter queue is an event that will not arrive unless someone acts.
   */
  private createAlarms(topic: ITopic | undefined, undelivered: Queue | undefined): Alarm[] {
    const period = Duration.minutes(5);
    const alarm = (id: string, alarmDescription: string, metric: Alarm['metric'], threshold: number) => {
      const created = new Alarm(this, id, {
        alarmDescription,
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      if (topic) created.addAlarmAction(new SnsAction(topic));
      return created;
    };
    return [
      alarm(
        'LateAlarm',
        'File events: the oldest change not yet published is 5 minutes old or more (the publisher fails or falls behind). See its log group.',
        this.function.metric('IteratorAge', { period, statistic: 'Maximum' }),
        5 * 60 * 1000,
      ),
      alarm(
        'UnpublishedAlarm',
        'File events: stream records whose events could not be published after every retry are in the dead-letter queue; replay them.',
        this.deadLetters.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
        1,
      ),
      ...(undelivered
        ? [
            alarm(
              'UndeliveredAlarm',
              'File events: a webhook did not take events within a day of retries; they are in the webhook dead-letter queue.',
              undelivered.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
              1,
            ),
          ]
        : []),
    ];
  }

  private createFunction(props: FileEventsProps): NodejsFunction {
    const { fn } = serviceFunction(this, 'Publish', {
      description: 'File service: publish file events from the table stream to EventBridge',
      roleDescription: 'Publishes file events from the table stream to EventBridge (file service)',
      entry: join(props.handlersDir, `${publishEvents.entry}.ts`),
      environment: { ...props.environment, EVENT_BUS_NAME: this.eventBus.eventBusArn },
      bundling: props.bundling,
      memorySize: 256,
      timeout: Duration.seconds(60),
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      tracing: props.tracing,
      grants: permissionGrants(publishEvents.permissions, { tableArn: props.table.tableArn, bucketArn: '', eventBusArn: this.eventBus.eventBusArn }),
    });
    return fn;
  }

  private subscribeToStream(table: Table): Queue {
    const streamArn = table.tableStreamArn;
    if (!streamArn) throw new Error('FileEvents: the table has no stream');
    const deadLetters = new Queue(this, 'PublishDeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(deadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the on-failure destination of the event publisher’s stream mapping.',
    });
    // What Lambda's stream poller needs, on this table's stream only (CDK's stream grant adds ListStreams on *).
    this.function.addToRolePolicy(
      new PolicyStatement({
        actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'],
        resources: [streamArn],
      }),
    );
    this.function.addEventSourceMapping('EntityChanges', {
      eventSourceArn: streamArn,
      startingPosition: StartingPosition.TRIM_HORIZON,
      batchSize: 100,
      maxBatchingWindow: Duration.seconds(1),
      // Each retry starts again at the reported record; a record that keeps failing ends in the queue.
      retryAttempts: 10,
      bisectBatchOnError: true,
      reportBatchItemFailures: true,
      onFailure: new SqsDlq(deadLetters),
      filters: (publishEvents.filters ?? []).map((pattern) => FilterCriteria.filter({ ...pattern })),
    });
    return deadLetters;
  }

  /** Events a webhook did not take within EventBridge's retries (a day): kept two weeks. */
  private webhookDeadLetters(): Queue {
    const queue = new Queue(this, 'WebhookDeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the webhook rules’ targets.',
    });
    return queue;
  }

  private forward(webhook: Required<Omit<FileEventsWebhook, 'secret'>> & { secret: SecretValue }, number: number, undelivered: Queue): Rule {
    const connection = new Connection(this, `Webhook${number}Connection`, {
      description: `File events to ${webhook.url}`,
      authorization: Authorization.apiKey(webhook.secretHeaderName, webhook.secret),
    });
    const destination = new ApiDestination(this, `Webhook${number}Destination`, {
      connection,
      endpoint: webhook.url,
      httpMethod: HttpMethod.POST,
      description: `File events to ${webhook.url}`,
    });
    return new Rule(this, `Webhook${number}Rule`, {
      eventBus: this.eventBus,
      description: `Forwards ${webhook.detailTypes.join(', ')} to ${webhook.url}`,
      eventPattern: { source: [eventSource], detailType: webhook.detailTypes },
      targets: [new ApiDestinationTarget(destination, { retryAttempts: 185, maxEventAge: Duration.hours(24), deadLetterQueue: undelivered })],
    });
  }
}

function validWebhook(webhook: FileEventsWebhook): Required<Omit<FileEventsWebhook, 'secret'>> & { secret: SecretValue } {
  if (!Token.isUnresolved(webhook.url) && !/^https:\/\/[^/\s]+/.test(webhook.url)) {
    throw new Error(`FileEvents: a webhook url must be an https URL, as EventBridge API destinations require (got '${webhook.url}').`);
  }
  const detailTypes = webhook.detailTypes ?? [...fileEventTypes];
  const unknown = detailTypes.filter((type) => !fileEventTypes.includes(type));
  if (detailTypes.length === 0 || unknown.length > 0) {
    throw new Error(`FileEvents: a webhook's detailTypes must list some of ${fileEventTypes.join(', ')} (got ${detailTypes.join(', ') || 'none'}).`);
  }
  const secretHeaderName = webhook.secretHeaderName ?? 'x-webhook-secret';
  if (!HEADER_NAME.test(secretHeaderName)) {
    throw new Error(`FileEvents: secretHeaderName must be an HTTP header name (got '${secretHeaderName}').`);
  }
  const secret = webhook.secret instanceof SecretValue ? webhook.secret : webhook.secret.secretValue;
  return { url: webhook.url, detailTypes, secretHeaderName, secret };
}
