import { type Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, NodejsFunction, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { PermissionGrant } from './permissions';

/**
 * What a construct of the service that runs a function of its own (file events, previews
 * ahead) takes from the service, so it is built and run as the service's other functions.
 */
export interface ServiceFunctionSettings {
  /** Directory holding one `<entry>.ts` per function. */
  readonly handlersDir: string;
  readonly environment: Record<string, string>;
  readonly bundling: BundlingOptions;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  readonly tracing: boolean;
  /**
   * Where the construct's alarms send their notifications.
   *
   * @default - the alarms exist, with no actions
   */
  readonly alarmTopic?: ITopic;
}

/** How one of the service's functions is built and run. */
export interface ServiceFunctionProps {
  /** The function's description. */
  readonly description: string;
  /** What its role is for. */
  readonly roleDescription: string;
  /** The handler file; it exports `handler`. */
  readonly entry: string;
  readonly environment: Record<string, string>;
  readonly bundling: BundlingOptions;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  readonly tracing: boolean;
  readonly memorySize: number;
  readonly timeout: Duration;
  /** @default Architecture.ARM_64 */
  readonly architecture?: Architecture;
  /** What the role may do besides writing the function's own logs. */
  readonly grants?: readonly PermissionGrant[];
  /** Anything else of the function (concurrency, asynchronous invocation). */
  readonly more?: Partial<NodejsFunctionProps>;
}

/**
 * A function of the service with its own log group (the retention given) and its own role,
 * made explicitly instead of the default one, which carries the AWS managed
 * AWSLambdaBasicExecutionRole (logs on every log group in the account): the role may write
 * that log group and do what `grants` says, nothing else. Construct ids: `<id>Logs`,
 * `<id>Role`, `<id>Function`.
 */
export function serviceFunction(scope: Construct, id: string, props: ServiceFunctionProps): { fn: NodejsFunction; role: Role; logGroup: LogGroup } {
  const logGroup = new LogGroup(scope, `${id}Logs`, { retention: props.logRetention, removalPolicy: props.removalPolicy });
  const role = new Role(scope, `${id}Role`, { assumedBy: new ServicePrincipal('lambda.amazonaws.com'), description: props.roleDescription });
  logGroup.grantWrite(role);
  for (const grant of props.grants ?? []) {
    role.addToPolicy(new PolicyStatement({ actions: grant.actions, resources: grant.resources }));
  }
  if (props.tracing) {
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only the X-Ray actions PutTraceSegments and PutTelemetryRecords, which support no resource-level permissions, are granted on *; tests assert no other action is.',
    });
  }
  const fn = new NodejsFunction(scope, `${id}Function`, {
    description: props.description,
    entry: props.entry,
    handler: 'handler',
    runtime: Runtime.NODEJS_22_X,
    architecture: props.architecture ?? Architecture.ARM_64,
    memorySize: props.memorySize,
    timeout: props.timeout,
    role,
    logGroup,
    environment: props.environment,
    tracing: props.tracing ? Tracing.ACTIVE : undefined,
    bundling: props.bundling,
    ...props.more,
  });
  Validations.of(fn).acknowledge({
    id: 'AwsSolutions-L1',
    reason:
      'Pinned to nodejs22.x on purpose: the handlers are bundled for (esbuild target node22) and tested against it; moving to a newer runtime is a deliberate, tested upgrade.',
  });
  return { fn, role, logGroup };
}
