import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, Fn, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  type CfnStage,
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpNoneAuthorizer,
  HttpStage,
  LogGroupLogDestination,
  type ThrottleSettings,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer, HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Alarm, type AlarmProps, ComparisonOperator, MathExpression, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { AttributeType, BillingMode, ProjectionType, StreamViewType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { listIndexes } from '../lambdas/adapters/table-layout';
import { PolicyStatement, type Role } from 'aws-cdk-lib/aws-iam';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { type BundlingOptions, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  HttpMethods,
  ObjectOwnership,
  type CfnBucket,
} from 'aws-cdk-lib/aws-s3';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { allowedTypePattern } from '../lambdas/core/file-types';
import { parseHttpHosts } from '../lambdas/core/source-url';
import { defaultPreviewMaxInputPixels, defaultPreviewMaxSourceBytes, maxSourceUrlTimeoutMs } from '../lambdas/config';
import { defaultCopyPartThresholdBytes, minCopyPartThresholdBytes } from '../lambdas/adapters/part-copy';
import { filesPrefix, previewExpirationDays, previewsPrefix, tempPrefix } from '../lambdas/core/keys';
import {
  defaultPublicThrottle,
  handlerEnvironment,
  operations,
  orphanReaper,
  type Permission,
  type RouteThrottle,
} from '../lambdas/operations';
import { FileEvents, type FileEventsWebhook } from './file-events';
import { permissionGrants } from './permissions';
import { PreviewsAhead } from './preview-ahead';
import { previewArchitecture, previewBundling } from './preview-bundling';
import { serviceFunction, type ServiceFunctionSettings } from './service-function';
import { WebConsole, type WebConsoleOptions } from './web-console';

// The grants live in their own module so the local stack evaluates the same policies
// without loading the CDK.
export { permissionGrants, type PermissionGrant } from './permissions';

/** The largest object a single presigned PUT can write to S3. */
export const MAX_SINGLE_PUT_BYTES = 5 * 1024 ** 3;
/** The largest object S3 stores: a multipart upload of up to 10,000 parts. */
export const MAX_OBJECT_BYTES = 5 * 1024 ** 4;
/** S3's smallest part of a multipart upload (but the last). */
const MIN_PART_BYTES = 5 * 1024 ** 2;
/**
 * Longest accepted presigned URL lifetime. SigV4 allows seven days, but the Lambdas sign with
 * their role's temporary session credentials, and a URL dies with the session that signed it.
 */
const MAX_PRESIGNED_URL_SECONDS = 60 * 60;

/** Stage-wide throttling when none is given; see `FileServiceProps.throttle`. */
export const DEFAULT_THROTTLE: ThrottleSettings = { rateLimit: 200, burstLimit: 400 };

/**
 * A claim name: what OIDC providers use (`org_id`, Cognito's `custom:org_id`, Auth0's
 * namespaced `https://example.com/org_id`), never whitespace, quotes or JSON syntax.
 */
const CLAIM_NAME = /^[A-Za-z0-9_.:/-]{1,256}$/;


const DEFAULT_HANDLERS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'lambdas', 'handlers');

/**
 * Operations that copy or delete objects, or retry a write against concurrent ones, get the
 * most time HTTP API allows (its integration timeout is 30 s); the others only read the
 * table or sign URLs.
 */
const LONG_RUNNING_OPERATIONS = new Set(['saveFile', 'deleteFile', 'updateFile', 'copyFile', 'previewFile', 'previewS3File', 'previewPublicFile']);
/**
 * Operations that decode images: memory (and with it CPU) for a 100-megapixel source, whose
 * shrink-on-load decode of a JPEG still takes a few hundred MB.
 */
const RENDERING_OPERATIONS = new Set(['previewFile', 'previewS3File', 'previewPublicFile']);
const LONG_TIMEOUT = Duration.seconds(29);
const SHORT_TIMEOUT = Duration.seconds(10);

/** How every handler is bundled for Lambda (`npm run bench` reads these options from here). */
export const HANDLER_BUNDLING: BundlingOptions = {
  forceDockerBundling: false,
  format: OutputFormat.ESM,
  target: 'node22',
  minify: true,
  // Node reads and JSON-parses this map (~0.9 MB) at every cold start because of
  // --enable-source-maps: about 20 ms of init, the price of readable stack traces.
  sourceMap: true,
  sourcesContent: false,
  // Bundle the pinned SDK instead of the runtime's: the handlers rely on recent
  // client options (requestChecksumCalculation) the runtime copy may lack.
  bundleAwsSDK: true,
  // ES builds first: the SDK's dist-es tree-shakes, dist-cjs would add ~250 KB and ~40 ms of init.
  mainFields: ['module', 'main'],
  // Some CommonJS dependencies call require(); ESM bundles have no require of their own.
  banner: "import { createRequire as __fsCreateRequire } from 'node:module';const require = __fsCreateRequire(import.meta.url);",
};

export interface FileServiceProps {
  /**
   * Issuer (`iss`) of the JWTs the API accepts: an https URL that serves
   * `/.well-known/openid-configuration`.
   */
  readonly jwtIssuer: string;

  /** Accepted audiences (`aud`) of the JWTs; at least one. */
  readonly jwtAudience: string[];

  /**
   * The verified JWT claim that names the caller's organisation (tenant). Every file belongs
   * to the org in this claim. Amazon Cognito puts custom attributes under `custom:`, so a user
   * pool with a custom attribute `org_id` needs `custom:org_id`. Passed to every Lambda as
   * `TENANT_CLAIM`.
   *
   * @default 'org_id'
   */
  readonly tenantClaim?: string;

  /**
   * The verified JWT claim that lists the caller's roles, and the role in it that makes an
   * org admin, who may see and manage every file of their org (`ROLES_CLAIM`, `ADMIN_ROLE`).
   * For Cognito groups: `cognito:groups`.
   *
   * @default 'roles' and 'admin'
   */
  readonly rolesClaim?: string;
  readonly adminRole?: string;

  /**
   * The OAuth scope that marks a trusted backend's client-credentials token: a token whose
   * `scope` claim lists it manages every file of its org and may save files for its users
   * (`_owners`). Passed to every Lambda as `SERVICE_SCOPE`. The backend's app client must be
   * an accepted audience too: client-credentials tokens carry no `aud`, and API Gateway
   * then checks their `client_id` against `jwtAudience`.
   *
   * @default 'file-service/service'
   */
  readonly serviceScope?: string;

  /**
   * Browser origins allowed to call the API and to PUT/GET objects through presigned URLs.
   * With `['*']` scripts of any origin may call the API with a bearer token, never with
   * credentials (`allowCredentials` stays false): the session cookie (getSession) then works
   * only for `<img>` and the like, and getSession cannot be called with `credentials:
   * 'include'` from another origin. Listed origins may also send credentials and read the
   * answers (`allowCredentials: true`): list your apps' origins to use browser sessions.
   * Pass `[]` to disable CORS entirely (server-to-server use only).
   *
   * @default ['*']
   */
  readonly corsOrigins?: string[];

  /**
   * How long an uploaded but never saved object stays under `temp/` before S3 removes it.
   * S3 lifecycle rules work in whole days, so this must be a whole number of days.
   *
   * @default Duration.days(1)
   */
  readonly tempExpiration?: Duration;

  /**
   * Largest file a client may upload. A single PUT or POST takes at most 5 GiB; above that a
   * file is uploaded in parts (`upload_method: "multipart"`), up to S3's 5 TiB.
   *
   * @default 5 GiB
   */
  readonly maxUploadBytes?: number;

  /**
   * A declared size above this is answered with a multipart upload unless the client asks for
   * another method. From 5 MiB to 5 GiB.
   *
   * @default 5 GiB
   */
  readonly multipartThresholdBytes?: number;

  /**
   * Types a file may have: MIME types (`application/pdf`) and wildcards (`image/*`). Checked
   * against the declared type at upload and against the type a save resolves from the bytes;
   * others are refused with 415.
   *
   * @default every type
   */
  readonly allowedMimeTypes?: string[];

  /**
   * Hosts a save's `source_url` may fetch over plain http, as `host` (any port) or `host:port`.
   * They are trusted: their addresses are not checked, so list only hosts you control. Every
   * other source must be https on a public address.
   *
   * @default - none: https only
   */
  readonly sourceUrlHttpHosts?: string[];

  /**
   * How long the save function may spend fetching a `source_url`, redirects and bytes
   * included; at most 25 s, so that the save still fits the function's 29 s.
   *
   * @default Duration.seconds(20)
   */
  readonly sourceUrlTimeout?: Duration;

  /**
   * Files of more bytes get no preview (422): the preview function reads the whole file into
   * its memory (1,536 MB).
   *
   * @default 64 MiB
   */
  readonly previewMaxSourceBytes?: number;

  /**
   * Images of more pixels (width × height, read from the header) get no preview (422) and are
   * never decoded, so a small file that declares billions of pixels cannot exhaust the function.
   *
   * @default 100 million
   */
  readonly previewMaxInputPixels?: number;

  /**
   * Saves and copies copy an object of at least this many bytes in parts, in parallel
   * (UploadPartCopy), and smaller ones with one CopyObject: CopyObject stops at 5 GB and copies
   * a multi-GB object slower than API Gateway waits (29 s). From 5 MiB to 5 GiB.
   *
   * @default 256 MiB
   */
  readonly copyPartThresholdBytes?: number;

  /**
   * Lifetime of presigned upload URLs, at most 1 hour. The Lambdas sign URLs with their role's
   * temporary session credentials, and S3 refuses a presigned URL once the credentials that
   * signed it expire, whatever expiry the URL itself states. A session that signs a URL may
   * have little time left, so a long lifetime is a promise the service cannot keep; an hour
   * keeps the broken tail short.
   *
   * @default Duration.minutes(15)
   */
  readonly uploadUrlTtl?: Duration;

  /**
   * Lifetime of presigned download URLs, at most 1 hour, for the same reason as
   * `uploadUrlTtl`: a URL dies with the temporary credentials that signed it.
   *
   * @default Duration.minutes(15)
   */
  readonly downloadUrlTtl?: Duration;

  /**
   * What happens to the stateful resources (file bucket, access-log bucket, table, log groups)
   * when they leave the stack. `DESTROY` only removes an empty bucket; `SNAPSHOT` is rejected
   * because S3 buckets do not support it.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Retention of the Lambda and API access log groups.
   *
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;

  /**
   * How long S3 server access logs of the file bucket are kept. Whole days only.
   *
   * @default Duration.days(365)
   */
  readonly accessLogsExpiration?: Duration;

  /**
   * Stage-wide request throttling of the API. Without a stage limit, one client can spend the
   * account's regional API Gateway quota (shared with every other API) and the Lambda
   * concurrency of the whole account. 200 requests per second at a few hundred milliseconds
   * each keeps well under the default 1,000 concurrent executions; raise it for real traffic.
   *
   * @default DEFAULT_THROTTLE: 200 requests per second, bursts of 400
   */
  readonly throttle?: ThrottleSettings;

  /**
   * Throttling of each route reached without a token (public files and links), which has no
   * authorizer to keep strangers out: each such route gets its own token bucket, shared by
   * every client, in place of the stage-wide `throttle`.
   *
   * @default defaultPublicThrottle: 50 requests per second, bursts of 100, per public route
   */
  readonly publicThrottle?: RouteThrottle;

  /**
   * Where the alarms (see `FileService.alarms`) send their notifications when they fire.
   *
   * @default - the alarms exist, with no actions
   */
  readonly alarmTopic?: ITopic;

  /**
   * Active X-Ray tracing of every Lambda. HTTP APIs cannot be traced, so traces start at the
   * Lambda.
   *
   * @default false
   */
  readonly tracing?: boolean;

  /**
   * Reserved concurrency: one number for every function, or a map from operation name (see
   * lambdas/operations.ts) to a number for some of them. Reserving caps a function and keeps
   * that much of the account's concurrency for it; Lambda refuses a reservation that leaves
   * the account fewer than 100 unreserved executions.
   *
   * @default - no reservation: the functions share the account's unreserved concurrency
   */
  readonly reservedConcurrency?: number | Readonly<Record<string, number>>;

  /**
   * Directory holding one `<entry>.ts` per operation (see lambdas/operations.ts), each
   * exporting `handler`. Tests point this at trivial fixtures to keep synthesis fast.
   *
   * @default the repository's lambdas/handlers
   */
  readonly handlersDir?: string;

  /**
   * The EventBridge bus that receives FileCreated, FileVersionAdded, FileUpdated and
   * FileDeleted events (source `file-service`).
   *
   * @default - a new bus, created with the service
   */
  readonly eventBus?: IEventBus;

  /**
   * HTTPS endpoints that receive chosen file events, each through an EventBridge API
   * destination that sends the secret in a header.
   *
   * @default - none
   */
  readonly webhooks?: FileEventsWebhook[];

  /**
   * Also deploy the web console: a private S3 bucket served by a CloudFront distribution
   * (`webConsole.url`), its `config.json` naming this API. Its origin is added to the API's
   * and the bucket's CORS origins (unless they allow every origin).
   *
   * @default false
   */
  readonly webConsole?: boolean | WebConsoleOptions;
}

interface ResolvedSettings {
  readonly tenantClaim: string;
  readonly rolesClaim: string;
  readonly adminRole: string;
  readonly serviceScope: string;
  readonly corsOrigins: string[];
  readonly tempExpirationDays: number;
  readonly maxUploadBytes: number;
  readonly multipartThresholdBytes: number;
  /** Comma-separated, as ALLOWED_MIME_TYPES; empty allows every type. */
  readonly allowedMimeTypes: string;
  /** Comma-separated, as SOURCE_URL_HTTP_HOSTS; empty allows none. */
  readonly sourceUrlHttpHosts: string;
  readonly sourceUrlTimeoutMs: number;
  readonly previewMaxSourceBytes: number;
  readonly previewMaxInputPixels: number;
  readonly copyPartThresholdBytes: number;
  readonly uploadUrlTtlSeconds: number;
  readonly downloadUrlTtlSeconds: number;
  readonly removalPolicy: RemovalPolicy;
  readonly logRetention: RetentionDays;
  readonly accessLogsExpirationDays: number;
  readonly handlersDir: string;
  readonly throttle: ThrottleSettings;
  readonly publicThrottle: RouteThrottle;
  readonly tracing: boolean;
  /** Reserved concurrency by operation name; absent means none. */
  readonly reservedConcurrency: Readonly<Record<string, number>>;
}

/** A preview bound: a whole number from 1 to what the preview function can hold. */
function previewLimit(name: string, value: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new Error(`FileService: ${name} must be a whole number from 1 to ${max}, what the preview function's memory holds (got ${value}).`);
  }
  return value;
}

function wholeDays(name: string, value: Duration): number {
  const days = value.toDays({ integral: false });
  if (!Number.isInteger(days) || days < 1) {
    throw new Error(
      `FileService: ${name} must be a whole number of days, at least 1, because S3 lifecycle rules count in days (got ${value.toHumanString()}).`,
    );
  }
  return days;
}

function presignTtlSeconds(name: string, value: Duration): number {
  const seconds = value.toSeconds({ integral: false });
  if (!Number.isInteger(seconds) || seconds < 1) {
    throw new Error(`FileService: ${name} must be a whole number of seconds, at least 1 (got ${value.toHumanString()}).`);
  }
  if (seconds > MAX_PRESIGNED_URL_SECONDS) {
    throw new Error(
      `FileService: ${name} must be at most 1 hour: the Lambdas sign URLs with temporary session credentials, and a URL stops working when they expire, whatever lifetime it states (got ${value.toHumanString()}).`,
    );
  }
  return seconds;
}

function claimName(prop: string, claim: string): string {
  if (!CLAIM_NAME.test(claim)) {
    throw new Error(`FileService: ${prop} must be a claim name of letters, digits and _ . : / - (for example roles or cognito:groups), got '${claim}'.`);
  }
  return claim;
}

function roleName(prop: string, role: string): string {
  if (!/^[\w.:/@-]{1,128}$/.test(role)) {
    throw new Error(`FileService: ${prop} must be a role name of letters, digits and _ . : / @ -, got '${role}'.`);
  }
  return role;
}

function tenantClaim(value: string | undefined): string {
  const claim = value ?? 'org_id';
  if (!CLAIM_NAME.test(claim)) {
    throw new Error(
      `FileService: tenantClaim must be a claim name of letters, digits and _ . : / - (for example org_id or custom:org_id), got '${claim}'.`,
    );
  }
  return claim;
}

function reservedConcurrency(value: FileServiceProps['reservedConcurrency']): Record<string, number> {
  if (value === undefined) return {};
  const byOperation =
    typeof value === 'number' ? Object.fromEntries(operations.map((op) => [op.name, value])) : { ...value };
  const known = new Set(operations.map((op) => op.name));
  for (const [name, count] of Object.entries(byOperation)) {
    if (!known.has(name)) {
      throw new Error(`FileService: reservedConcurrency names an unknown operation '${name}' (known: ${[...known].join(', ')}).`);
    }
    // Zero would turn the operation off: every request would be throttled.
    if (!Number.isSafeInteger(count) || count < 1) {
      throw new Error(`FileService: reservedConcurrency of ${name} must be a whole number, at least 1 (got ${count}).`);
    }
  }
  return byOperation;
}

function publicThrottle(value: RouteThrottle | undefined): RouteThrottle {
  const throttle = value ?? defaultPublicThrottle;
  if (!(throttle.rateLimit > 0) || !Number.isSafeInteger(throttle.burstLimit) || throttle.burstLimit < 1) {
    throw new Error(
      `FileService: publicThrottle needs a positive rateLimit and a whole burstLimit of at least 1 (got ${JSON.stringify(throttle)}).`,
    );
  }
  return throttle;
}

function resolveSettings(props: FileServiceProps): ResolvedSettings {
  if (!Token.isUnresolved(props.jwtIssuer) && !/^https:\/\/[^/\s]+/.test(props.jwtIssuer)) {
    throw new Error(`FileService: jwtIssuer must be an https URL (got '${props.jwtIssuer}').`);
  }
  if (props.jwtAudience.length === 0 || props.jwtAudience.some((audience) => audience.trim() === '')) {
    throw new Error('FileService: jwtAudience must list at least one non-empty audience.');
  }

  const corsOrigins = props.corsOrigins ?? ['*'];
  if (corsOrigins.includes('*') && corsOrigins.length > 1) {
    throw new Error("FileService: corsOrigins '*' already allows every origin; pass it alone or list specific origins.");
  }
  if (corsOrigins.some((origin) => origin.trim() === '')) {
    throw new Error('FileService: corsOrigins must not contain empty strings.');
  }

  const maxUploadBytes = props.maxUploadBytes ?? MAX_SINGLE_PUT_BYTES;
  if (!Number.isSafeInteger(maxUploadBytes) || maxUploadBytes < 1) {
    throw new Error(`FileService: maxUploadBytes must be a positive whole number of bytes (got ${maxUploadBytes}).`);
  }
  if (maxUploadBytes > MAX_OBJECT_BYTES) {
    throw new Error(
      `FileService: maxUploadBytes must be at most 5 TiB (${MAX_OBJECT_BYTES} bytes), the largest S3 object (got ${maxUploadBytes}).`,
    );
  }
  const multipartThresholdBytes = props.multipartThresholdBytes ?? MAX_SINGLE_PUT_BYTES;
  if (!Number.isSafeInteger(multipartThresholdBytes) || multipartThresholdBytes < MIN_PART_BYTES || multipartThresholdBytes > MAX_SINGLE_PUT_BYTES) {
    throw new Error(
      `FileService: multipartThresholdBytes must be a whole number of bytes from 5 MiB to 5 GiB, the sizes a single PUT takes (got ${multipartThresholdBytes}).`,
    );
  }

  const allowedMimeTypes = props.allowedMimeTypes?.map((type) => type.trim().toLowerCase());
  if (allowedMimeTypes !== undefined && allowedMimeTypes.length === 0) {
    throw new Error('FileService: allowedMimeTypes must list at least one type; leave it out to allow every type.');
  }
  const badType = allowedMimeTypes?.find((type) => !allowedTypePattern.test(type));
  if (badType !== undefined) {
    throw new Error(`FileService: allowedMimeTypes entries must be MIME types or wildcards such as image/* (got "${badType}").`);
  }

  const sourceUrlHttpHosts = (props.sourceUrlHttpHosts ?? []).map((entry) => entry.trim());
  try {
    parseHttpHosts(sourceUrlHttpHosts);
  } catch (error) {
    throw new Error(`FileService: sourceUrlHttpHosts entries must be host or host:port: ${(error as Error).message}.`);
  }
  const sourceUrlTimeoutMs = (props.sourceUrlTimeout ?? Duration.seconds(20)).toMilliseconds();
  if (!Number.isSafeInteger(sourceUrlTimeoutMs) || sourceUrlTimeoutMs < 1 || sourceUrlTimeoutMs > maxSourceUrlTimeoutMs) {
    throw new Error(
      `FileService: sourceUrlTimeout must be between 1 ms and ${maxSourceUrlTimeoutMs / 1000} s, so that the fetched file is still saved within the save function's 29 s (got ${sourceUrlTimeoutMs} ms).`,
    );
  }
  const copyPartThresholdBytes = props.copyPartThresholdBytes ?? defaultCopyPartThresholdBytes;
  if (!Number.isSafeInteger(copyPartThresholdBytes) || copyPartThresholdBytes < minCopyPartThresholdBytes || copyPartThresholdBytes > MAX_SINGLE_PUT_BYTES) {
    throw new Error(
      `FileService: copyPartThresholdBytes must be a whole number of bytes from 5 MiB (the smallest part S3 copies) to 5 GiB (the largest CopyObject) (got ${copyPartThresholdBytes}).`,
    );
  }

  const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
  if (removalPolicy === RemovalPolicy.SNAPSHOT) {
    throw new Error('FileService: removalPolicy SNAPSHOT is not supported by S3 buckets; use RETAIN or DESTROY.');
  }

  const handlersDir = resolve(props.handlersDir ?? DEFAULT_HANDLERS_DIR);
  const missing = [...operations.map((op) => `${op.entry}.ts`), 'authorize-session.ts'].filter((file) => !existsSync(join(handlersDir, file)));
  if (missing.length > 0) {
    throw new Error(`FileService: handlersDir ${handlersDir} lacks handler files: ${missing.join(', ')}.`);
  }

  return {
    tenantClaim: tenantClaim(props.tenantClaim),
    rolesClaim: claimName('rolesClaim', props.rolesClaim ?? 'roles'),
    adminRole: roleName('adminRole', props.adminRole ?? 'admin'),
    serviceScope: roleName('serviceScope', props.serviceScope ?? 'file-service/service'),
    corsOrigins,
    tempExpirationDays: wholeDays('tempExpiration', props.tempExpiration ?? Duration.days(1)),
    maxUploadBytes,
    multipartThresholdBytes,
    allowedMimeTypes: allowedMimeTypes?.join(',') ?? '',
    sourceUrlHttpHosts: sourceUrlHttpHosts.join(','),
    sourceUrlTimeoutMs,
    previewMaxSourceBytes: previewLimit('previewMaxSourceBytes', props.previewMaxSourceBytes ?? defaultPreviewMaxSourceBytes, 512 * 1024 * 1024),
    previewMaxInputPixels: previewLimit('previewMaxInputPixels', props.previewMaxInputPixels ?? defaultPreviewMaxInputPixels, 268_402_689),
    copyPartThresholdBytes,
    uploadUrlTtlSeconds: presignTtlSeconds('uploadUrlTtl', props.uploadUrlTtl ?? Duration.minutes(15)),
    downloadUrlTtlSeconds: presignTtlSeconds('downloadUrlTtl', props.downloadUrlTtl ?? Duration.minutes(15)),
    removalPolicy,
    logRetention: props.logRetention ?? RetentionDays.ONE_MONTH,
    accessLogsExpirationDays: wholeDays('accessLogsExpiration', props.accessLogsExpiration ?? Duration.days(365)),
    handlersDir,
    throttle: props.throttle ?? DEFAULT_THROTTLE,
    publicThrottle: publicThrottle(props.publicThrottle),
    tracing: props.tracing ?? false,
    reservedConcurrency: reservedConcurrency(props.reservedConcurrency),
  };
}

/**
 * The whole file service: a private bucket for the bytes, one table for the entities, one
 * Lambda per operation with only that operation's permissions, and an HTTP API whose every
 * route requires a valid JWT, except the throttled public routes of public files and links.
 */
export class FileService extends Construct {
  public readonly bucket: Bucket;
  /** Receives the file bucket's S3 server access logs. */
  public readonly accessLogsBucket: Bucket;
  public readonly table: Table;
  public readonly api: HttpApi;
  public readonly stage: HttpStage;
  /** The Lambda of each operation, keyed by operation name (see lambdas/operations.ts). */
  public readonly functions: Record<string, NodejsFunction>;
  /** The Lambda authorizer of the routes that also take the session cookie (operations marked `cookie`). */
  public readonly sessionAuthorizerFunction: NodejsFunction;
  /** Base URL of the API, ending in `/`. */
  public readonly url: string;
  /**
   * What an operator needs paging on: the API's 5xx rate, each function's errors and
   * throttles, and the table's throttled requests. Each notifies `alarmTopic` when given.
   */
  public readonly alarms: Alarm[];
  /** File events: the bus, the function that publishes them from the table's stream, the webhooks. */
  public readonly events: FileEvents;
  /** The default preview of each new file and version, rendered from its event. */
  public readonly previewsAhead: PreviewsAhead;
  /** The web console, when the `webConsole` prop asks for it. */
  public readonly webConsole?: WebConsole;

  constructor(scope: Construct, id: string, props: FileServiceProps) {
    super(scope, id);
    let settings = resolveSettings(props);
    // Log delivery by bucket policy is the only kind that works with BucketOwnerEnforced
    // (ACLs disabled); pin it here so the construct does not depend on the app's feature flags.
    this.node.setContext(S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);

    this.accessLogsBucket = this.createAccessLogsBucket(settings);
    if (props.webConsole) {
      this.webConsole = new WebConsole(this, 'Console', {
        ...(typeof props.webConsole === 'object' ? props.webConsole : {}),
        accessLogsBucket: this.accessLogsBucket,
        removalPolicy: settings.removalPolicy,
      });
      // The console calls the API and PUTs to the bucket from its own origin.
      if (!settings.corsOrigins.includes('*')) settings = { ...settings, corsOrigins: [...settings.corsOrigins, this.webConsole.origin] };
    }
    this.bucket = this.createBucket(settings);
    this.table = this.createTable(settings);
    this.functions = this.createFunctions(settings);
    this.createOrphanReaper(settings);
    this.sessionAuthorizerFunction = this.createSessionAuthorizerFunction(props, settings);
    this.events = new FileEvents(this, 'Events', {
      table: this.table,
      ...(props.eventBus ? { eventBus: props.eventBus } : {}),
      ...(props.webhooks ? { webhooks: props.webhooks } : {}),
      ...this.functionSettings(props, settings),
    });
    this.previewsAhead = this.createPreviewsAhead(props, settings);
    const { api, stage } = this.createApi(props, settings);
    this.api = api;
    this.stage = stage;
    this.url = stage.url;
    this.alarms = [...this.createAlarms(props.alarmTopic), ...this.events.alarms, ...this.previewsAhead.alarms];
    this.webConsole?.deploy(this.url);
  }

  private createPreviewsAhead(props: FileServiceProps, settings: ResolvedSettings): PreviewsAhead {
    return new PreviewsAhead(this, 'PreviewsAhead', {
      eventBus: this.events.eventBus,
      table: this.table,
      bucket: this.bucket,
      ...this.functionSettings(props, settings),
    });
  }

  /** How the functions of the service's parts (file events, previews ahead) are built and run. */
  private functionSettings(props: FileServiceProps, settings: ResolvedSettings): ServiceFunctionSettings {
    return {
      handlersDir: settings.handlersDir,
      environment: this.functionEnvironment(settings),
      bundling: HANDLER_BUNDLING,
      logRetention: settings.logRetention,
      removalPolicy: settings.removalPolicy,
      tracing: settings.tracing,
      ...(props.alarmTopic ? { alarmTopic: props.alarmTopic } : {}),
    };
  }

  /** cdk-nag does not ask a log destination bucket to log itself (S1), so no acknowledgement. */
  private createAccessLogsBucket(settings: ResolvedSettings): Bucket {
    return new Bucket(this, 'AccessLogsBucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // S3 server access logging only delivers to SSE-S3 buckets.
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      lifecycleRules: [{ id: 'ExpireAccessLogs', expiration: Duration.days(settings.accessLogsExpirationDays) }],
      removalPolicy: settings.removalPolicy,
    });
  }

  private createBucket(settings: ResolvedSettings): Bucket {
    return new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'files-bucket/',
      lifecycleRules: [
        {
          id: 'ExpireUnsavedUploads',
          prefix: tempPrefix,
          expiration: Duration.days(settings.tempExpirationDays),
        },
        { id: 'AbortIncompleteMultipartUploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
        { id: 'ExpirePreviews', prefix: previewsPrefix, expiration: Duration.days(previewExpirationDays) },
      ],
      cors:
        settings.corsOrigins.length > 0
          ? [
              {
                allowedOrigins: settings.corsOrigins,
                allowedMethods: [HttpMethods.PUT, HttpMethods.GET, HttpMethods.HEAD, HttpMethods.POST, HttpMethods.DELETE],
                allowedHeaders: ['*'],
                exposedHeaders: ['ETag'],
                maxAge: 3600,
              },
            ]
          : undefined,
      removalPolicy: settings.removalPolicy,
    });
  }

  private createTable(settings: ResolvedSettings): Table {
    const table = new Table(this, 'Table', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Upload claims (what a saved upload became) carry an expiry; DynamoDB drops them after it.
      timeToLiveAttribute: 'expires_at',
      // The orphan reaper reads what TTL removed (old images); file events compare both images.
      stream: StreamViewType.NEW_AND_OLD_IMAGES,
      encryption: TableEncryption.AWS_MANAGED,
      // A retained table should also survive a console or API delete.
      deletionProtection: settings.removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy: settings.removalPolicy,
    });
    // Listing and search read these, each sharded by org (lambdas/adapters/table-layout.ts).
    for (const index of Object.values(listIndexes)) {
      table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        projectionType: ProjectionType.ALL,
      });
    }
    return table;
  }

  private createFunctions(settings: ResolvedSettings): Record<string, NodejsFunction> {
    const environment = this.functionEnvironment(settings);
    const stack = Stack.of(this);
    const bucketLogicalId = stack.resolve((this.bucket.node.defaultChild as CfnBucket).logicalId) as string;

    const functions: Record<string, NodejsFunction> = {};
    for (const operation of operations) {
      const rendering = RENDERING_OPERATIONS.has(operation.name);
      const { fn, role } = serviceFunction(this, pascalCase(operation.name), {
        description: `File service: ${operation.name}`,
        roleDescription: `Runs the ${operation.name} operation of the file service`,
        entry: join(settings.handlersDir, `${operation.entry}.ts`),
        environment,
        // sharp's native binary is the one npm installed on the machine that synthesises.
        bundling: rendering ? previewBundling(HANDLER_BUNDLING) : HANDLER_BUNDLING,
        ...(rendering ? { architecture: previewArchitecture() } : {}),
        memorySize: rendering ? 1536 : 512,
        timeout: LONG_RUNNING_OPERATIONS.has(operation.name) ? LONG_TIMEOUT : SHORT_TIMEOUT,
        logRetention: settings.logRetention,
        removalPolicy: settings.removalPolicy,
        tracing: settings.tracing,
        grants: permissionGrants(operation.permissions, { tableArn: this.table.tableArn, bucketArn: this.bucket.bucketArn }),
        more: { reservedConcurrentExecutions: settings.reservedConcurrency[operation.name] },
      });
      acknowledgeObjectKeyWildcards(role, operation.permissions, bucketLogicalId);
      functions[operation.name] = fn;
    }
    return functions;
  }

  /** What every handler reads from its environment (see lambdas/config.ts). */
  private functionEnvironment(settings: ResolvedSettings): Record<string, string> {
    const environment: Record<(typeof handlerEnvironment)[number], string> & Record<string, string> = {
      TABLE_NAME: this.table.tableName,
      BUCKET_NAME: this.bucket.bucketName,
      MAX_UPLOAD_BYTES: String(settings.maxUploadBytes),
      UPLOAD_URL_TTL_SECONDS: String(settings.uploadUrlTtlSeconds),
      DOWNLOAD_URL_TTL_SECONDS: String(settings.downloadUrlTtlSeconds),
      TENANT_CLAIM: settings.tenantClaim,
      ROLES_CLAIM: settings.rolesClaim,
      ADMIN_ROLE: settings.adminRole,
      SERVICE_SCOPE: settings.serviceScope,
      TEMP_EXPIRY_DAYS: String(settings.tempExpirationDays),
      ALLOWED_MIME_TYPES: settings.allowedMimeTypes,
      COPY_PART_THRESHOLD_BYTES: String(settings.copyPartThresholdBytes),
      MULTIPART_THRESHOLD_BYTES: String(settings.multipartThresholdBytes),
      SOURCE_URL_HTTP_HOSTS: settings.sourceUrlHttpHosts,
      SOURCE_URL_TIMEOUT_MS: String(settings.sourceUrlTimeoutMs),
      PREVIEW_MAX_SOURCE_BYTES: String(settings.previewMaxSourceBytes),
      PREVIEW_MAX_INPUT_PIXELS: String(settings.previewMaxInputPixels),
      POWERTOOLS_SERVICE_NAME: 'file-service',
      POWERTOOLS_METRICS_NAMESPACE: 'FileService',
      NODE_OPTIONS: '--enable-source-maps',
    };
    return environment;
  }

  /**
   * Deletes the copy of a save that never committed. A save records an intent item (its
   * permanent key) before copying and deletes it once the version is written;
   * an intent that DynamoDB's TTL removes reaches this function through the table's stream,
   * filtered to TTL removals of intent items. Failed batches go to a dead-letter queue.
   */
  private createOrphanReaper(settings: ResolvedSettings): NodejsFunction {
    // It reads the claim, the version and the intent, and deletes only saved-file objects.
    const { fn, role } = serviceFunction(this, 'OrphanReaper', {
      description: 'File service: delete copies of saves that never committed',
      roleDescription: 'Deletes copies of saves that never committed (file service)',
      entry: join(settings.handlersDir, `${orphanReaper.entry}.ts`),
      environment: this.functionEnvironment(settings),
      bundling: HANDLER_BUNDLING,
      memorySize: 256,
      timeout: Duration.seconds(60),
      logRetention: settings.logRetention,
      removalPolicy: settings.removalPolicy,
      tracing: settings.tracing,
      grants: permissionGrants(orphanReaper.permissions, { tableArn: this.table.tableArn, bucketArn: this.bucket.bucketArn }),
    });
    const bucketLogicalId = Stack.of(this).resolve((this.bucket.node.defaultChild as CfnBucket).logicalId) as string;
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketLogicalId}.Arn>/${filesPrefix}*]`,
      reason:
        'The reaper deletes objects whose keys are generated per upload and per file (org, UUID, file id); the files/ prefix is the narrowest resource that covers them, and only s3:DeleteObject is granted on it.',
    });

    const deadLetters = new Queue(this, 'OrphanReaperDeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(deadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter destination of the orphan reaper’s stream mapping.',
    });
    const streamArn = this.table.tableStreamArn;
    if (!streamArn) throw new Error('FileService: the table has no stream for the orphan reaper');
    // What Lambda's stream poller needs, on this table's stream only (CDK's stream grant adds ListStreams on *).
    role.addToPolicy(
      new PolicyStatement({
        actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'],
        resources: [streamArn],
      }),
    );
    fn.addEventSourceMapping('IntentExpiries', {
      eventSourceArn: streamArn,
      startingPosition: StartingPosition.TRIM_HORIZON,
      batchSize: 10,
      retryAttempts: 10,
      bisectBatchOnError: true,
      reportBatchItemFailures: true,
      onFailure: new SqsDlq(deadLetters),
      filters: [
        FilterCriteria.filter({
          eventName: FilterRule.isEqual('REMOVE'),
          userIdentity: { type: FilterRule.isEqual('Service'), principalId: FilterRule.isEqual('dynamodb.amazonaws.com') },
          dynamodb: { Keys: { pk: { S: FilterRule.beginsWith('INTENT#') } } },
        }),
      ],
    });
    return fn;
  }

  private createApi(props: FileServiceProps, settings: ResolvedSettings): { api: HttpApi; stage: HttpStage } {
    const authorizer = new HttpJwtAuthorizer('JwtAuthorizer', props.jwtIssuer, {
      jwtAudience: props.jwtAudience,
    });
    const api = new HttpApi(this, 'Api', {
      description: 'File service (epilot File API compatible)',
      createDefaultStage: false,
      defaultAuthorizer: authorizer,
      corsPreflight:
        settings.corsOrigins.length > 0
          ? {
              allowOrigins: settings.corsOrigins,
              allowMethods: [CorsHttpMethod.GET, CorsHttpMethod.POST, CorsHttpMethod.PATCH, CorsHttpMethod.DELETE],
              allowHeaders: ['Authorization', 'Content-Type', 'If-Match'],
              // Browsers show scripts only the headers named here; an editor needs the ETag.
              exposeHeaders: ['ETag'],
              maxAge: Duration.hours(1),
              // Listed origins only: their scripts may send the session cookie and read the answer.
              allowCredentials: !settings.corsOrigins.includes('*'),
            }
          : undefined,
    });

    const accessLogs = new LogGroup(this, 'ApiAccessLogs', {
      retention: settings.logRetention,
      removalPolicy: settings.removalPolicy,
    });
    const stage = api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: settings.throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            integrationLatency: '$context.integrationLatency',
            authorizerError: '$context.authorizer.error',
            integrationError: '$context.integrationErrorMessage',
            sub: '$context.authorizer.claims.sub',
            // The session authorizer's context (routes that also take the session cookie).
            sessionSub: '$context.authorizer.sub',
          }),
        ),
      },
    });

    // Public routes (public files and links) go without the authorizer and are throttled
    // per route instead; every other route requires a valid JWT.
    const noAuthorizer = new HttpNoneAuthorizer();
    const sessionAuthorizer = this.sessionAuthorizer();
    const publicRouteSettings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> = {};
    for (const operation of operations) {
      const fn = this.functions[operation.name];
      if (!fn) throw new Error(`FileService: no function for operation ${operation.name}`);
      const integration = new HttpLambdaIntegration(`${pascalCase(operation.name)}Integration`, fn);
      for (const route of operation.routes) {
        const routes = api.addRoutes({
          path: route.path,
          methods: [HttpMethod[route.method]],
          integration,
          authorizer: operation.public ? noAuthorizer : operation.cookie && route.method === 'GET' ? sessionAuthorizer : authorizer,
        });
        if (!operation.public) continue;
        publicRouteSettings[`${route.method} ${route.path}`] = {
          ThrottlingRateLimit: settings.publicThrottle.rateLimit,
          ThrottlingBurstLimit: settings.publicThrottle.burstLimit,
        };
        // A stage's route settings must name routes that already exist.
        stage.node.addDependency(...routes);
        for (const created of routes) {
          Validations.of(created).acknowledge({
            id: 'AwsSolutions-APIG4',
            reason:
              'Reached without a token by design (a public-read file or a public link, whose random id is the secret); throttled per route, and the handler answers only for public-read files or live links.',
          });
        }
      }
    }
    (stage.node.defaultChild as CfnStage).routeSettings = publicRouteSettings;
    return { api, stage };
  }

  /**
   * The function of the session authorizer (lambdas/handlers/authorize-session.ts): it
   * verifies the bearer header, else the `token` cookie, against the same issuer and
   * audiences as the JWT authorizer, fetching the issuer's keys through OIDC discovery. It
   * reads nothing of the service's, so its role may only write its own logs.
   */
  private createSessionAuthorizerFunction(props: FileServiceProps, settings: ResolvedSettings): NodejsFunction {
    return serviceFunction(this, 'SessionAuthorizer', {
      description: 'File service: authorize a bearer token or the session cookie',
      roleDescription: 'Verifies the token of requests that may carry the session cookie (file service)',
      entry: join(settings.handlersDir, 'authorize-session.ts'),
      // The common environment (logging and metrics names among it), and the JWT authorizer's
      // settings; the audiences may be a token (a CloudFormation list parameter).
      environment: {
        ...this.functionEnvironment(settings),
        JWT_ISSUER: props.jwtIssuer,
        JWT_AUDIENCE: Fn.join(',', props.jwtAudience),
      },
      bundling: HANDLER_BUNDLING,
      memorySize: 256,
      timeout: SHORT_TIMEOUT,
      logRetention: settings.logRetention,
      removalPolicy: settings.removalPolicy,
      tracing: settings.tracing,
    }).fn;
  }

  /**
   * A REQUEST authorizer with simple responses and no identity source: API Gateway checks
   * that every identity source is present before it calls the function, and a request
   * carries either the header or the cookie, never surely both. Without identity sources
   * the results cannot be cached (the TTL must be 0), so the function runs on every request
   * of a cookie route; it refuses with 403 Forbidden.
   */
  private sessionAuthorizer(): HttpLambdaAuthorizer {
    return new HttpLambdaAuthorizer('SessionAuthorizer', this.sessionAuthorizerFunction, {
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      identitySource: [],
      resultsCacheTtl: Duration.seconds(0),
    });
  }

  /**
   * Alarms on five-minute sums. A Lambda error is an unhandled failure or a timeout (handled
   * failures are 5xx answers, counted by the API alarm); any error or throttle is worth a look.
   */
  private createAlarms(topic: ITopic | undefined): Alarm[] {
    const period = Duration.minutes(5);
    const alarms: Alarm[] = [];
    const alarm = (id: string, props: Pick<AlarmProps, 'alarmDescription' | 'metric' | 'threshold'>) => {
      const created = new Alarm(this, id, {
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // No traffic is no trouble.
        treatMissingData: TreatMissingData.NOT_BREACHING,
        ...props,
      });
      if (topic) created.addAlarmAction(new SnsAction(topic));
      alarms.push(created);
    };

    alarm('Api5xxRateAlarm', {
      alarmDescription:
        'File API: at least 5% of requests answered 5xx in 5 minutes (with at least 10 requests). See the API access logs and the Lambda logs.',
      // Below 10 requests a single failure is a large share; the Lambda alarms still see it.
      metric: new MathExpression({
        expression: 'IF(requests >= 10, 100 * errors / requests, 0)',
        usingMetrics: {
          errors: this.api.metricServerError({ period, statistic: 'Sum' }),
          requests: this.api.metricCount({ period, statistic: 'Sum' }),
        },
        period,
        label: 'API 5xx rate (%)',
      }),
      threshold: 5,
    });

    for (const operation of operations) {
      const fn = this.functions[operation.name]!;
      const id = pascalCase(operation.name);
      alarm(`${id}ErrorsAlarm`, {
        alarmDescription: `File service ${operation.name}: the Lambda failed (unhandled error or timeout). See its log group.`,
        metric: fn.metricErrors({ period, statistic: 'Sum' }),
        threshold: 1,
      });
      alarm(`${id}ThrottlesAlarm`, {
        alarmDescription: `File service ${operation.name}: Lambda throttled invocations (concurrency exhausted or reserved concurrency reached); those requests failed.`,
        metric: fn.metricThrottles({ period, statistic: 'Sum' }),
        threshold: 1,
      });
    }

    alarm('TableThrottlesAlarm', {
      alarmDescription:
        'File service table: DynamoDB throttled reads or writes (a hot partition, or traffic above twice its previous peak); requests slowed down or failed.',
      metric: new MathExpression({
        expression: 'reads + writes',
        usingMetrics: {
          reads: this.table.metric('ReadThrottleEvents', { period, statistic: 'Sum' }),
          writes: this.table.metric('WriteThrottleEvents', { period, statistic: 'Sum' }),
        },
        period,
        label: 'DynamoDB throttle events',
      }),
      threshold: 1,
    });
    return alarms;
  }
}

/**
 * Object grants end in `/temp/*` or `/files/*`: keys carry the org, a per-upload UUID and the
 * file id, so a key prefix is the narrowest resource IAM can express. Each finding is
 * acknowledged by its exact text (the same mapping, with cdk-nag's rendering of the bucket
 * ARN), so any other wildcard still fails the checks.
 */
function acknowledgeObjectKeyWildcards(role: Role, permissions: readonly Permission[], bucketLogicalId: string): void {
  const rendered = permissionGrants(permissions, { tableArn: '<table>', bucketArn: `<${bucketLogicalId}.Arn>` });
  for (const resource of rendered.flatMap((grant) => grant.resources).filter((r) => r.includes('*'))) {
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${resource}]`,
      reason:
        'Object keys are generated per upload and per file (org, UUID, file id), so this key prefix is the narrowest resource that covers them; the bucket itself, s3:ListBucket and the other prefix are not granted.',
    });
  }
}

/**
 * Active tracing adds xray:PutTraceSegments and xray:PutTelemetryRecords on `*` to each role:
 * X-Ray has no resources to scope them to.
 */
function pascalCase(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
