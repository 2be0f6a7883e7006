import { Annotations, CfnOutput, CfnParameter, CfnRule, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { FileService, type FileServiceProps } from './file-service';

/**
 * Stand-ins for an unset issuer and audience, so `cdk synth` works offline with no setup.
 * `.invalid` is a reserved top-level domain: no token can ever come from this issuer.
 */
export const PLACEHOLDER_ISSUER = 'https://jwt-issuer-not-configured.invalid/';
export const PLACEHOLDER_AUDIENCE = 'jwt-audience-not-configured';

/** What a deployment without an issuer is told, by `cdk synth`'s warning and by CloudFormation. */
export const MISSING_ISSUER_MESSAGE =
  'No JWT issuer is configured, so the API would reject every request. Deploy with ' +
  '-c jwtIssuer=https://your-idp.example.com/ -c jwtAudience=your-client-id ' +
  '(or the stack parameters JwtIssuer and JwtAudience).';
const MISSING_AUDIENCE_MESSAGE =
  'The JWT audience is still the placeholder. Deploy with -c jwtIssuer=https://your-idp.example.com/ ' +
  '-c jwtAudience=your-client-id (or set the stack parameter JwtAudience too).';

export interface FileServiceStackProps extends StackProps, Omit<FileServiceProps, 'jwtIssuer' | 'jwtAudience'> {
  /**
   * Issuer of the JWTs the API accepts.
   *
   * @default - the stack parameter `JwtIssuer`, whose default is a placeholder: the stack
   * synthesises (with a warning), and CloudFormation refuses to deploy it until a real
   * issuer is given
   */
  readonly jwtIssuer?: string;

  /**
   * Accepted audiences of the JWTs; required with `jwtIssuer`.
   *
   * @default - the stack parameter `JwtAudience` (comma-separated), refused while it holds
   * the placeholder
   */
  readonly jwtAudience?: string[];
}

/** Deploys one FileService and prints what a client and an operator need. */
export class FileServiceStack extends Stack {
  public readonly fileService: FileService;

  constructor(scope: Construct, id: string, props: FileServiceStackProps) {
    super(scope, id, props);
    const { jwtIssuer, jwtAudience } = this.jwtSettings(props);
    this.fileService = new FileService(this, 'FileService', {
      jwtIssuer,
      jwtAudience,
      tenantClaim: props.tenantClaim,
      rolesClaim: props.rolesClaim,
      adminRole: props.adminRole,
      serviceScope: props.serviceScope,
      corsOrigins: props.corsOrigins,
      tempExpiration: props.tempExpiration,
      maxUploadBytes: props.maxUploadBytes,
      uploadUrlTtl: props.uploadUrlTtl,
      downloadUrlTtl: props.downloadUrlTtl,
      removalPolicy: props.removalPolicy,
      logRetention: props.logRetention,
      accessLogsExpiration: props.accessLogsExpiration,
      throttle: props.throttle,
      alarmTopic: props.alarmTopic,
      tracing: props.tracing,
      reservedConcurrency: props.reservedConcurrency,
      handlersDir: props.handlersDir,
      eventBus: props.eventBus,
      webhooks: props.webhooks,
      webConsole: props.webConsole,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.fileService.url, description: 'Base URL of the File API' });
    new CfnOutput(this, 'BucketName', { value: this.fileService.bucket.bucketName, description: 'Bucket holding the files' });
    new CfnOutput(this, 'TableName', { value: this.fileService.table.tableName, description: 'Table holding the file entities' });
    if (this.fileService.webConsole) {
      new CfnOutput(this, 'ConsoleUrl', { value: this.fileService.webConsole.url, description: 'The web console (sign in with a token of the issuer)' });
    }
  }

  /**
   * The issuer and audience as given, or, with no issuer, as stack parameters guarded by a
   * CloudFormation rule. The cdk CLI does not tell an app whether it runs for synth or for
   * deploy, so the refusal has to live in the template: CloudFormation evaluates rules before
   * it creates or changes anything and fails the deployment with the rule's description.
   */
  private jwtSettings(props: FileServiceStackProps): { jwtIssuer: string; jwtAudience: string[] } {
    if (props.jwtIssuer !== undefined) {
      if (!props.jwtAudience?.length) {
        throw new Error('FileServiceStack: jwtAudience is required with jwtIssuer (for example -c jwtAudience=your-client-id).');
      }
      return { jwtIssuer: props.jwtIssuer, jwtAudience: props.jwtAudience };
    }

    const issuer = new CfnParameter(this, 'JwtIssuer', {
      type: 'String',
      default: PLACEHOLDER_ISSUER,
      allowedPattern: '^https://\\S+$',
      constraintDescription: 'must be an https URL that serves /.well-known/openid-configuration',
      description: 'Issuer (iss) of the JWTs the API accepts; usually set with -c jwtIssuer=... instead.',
    });
    const audience = new CfnParameter(this, 'JwtAudience', {
      type: 'CommaDelimitedList',
      default: props.jwtAudience?.length ? props.jwtAudience.join(',') : PLACEHOLDER_AUDIENCE,
      description: 'Accepted audiences (aud, or client_id for tokens without aud), comma-separated.',
    });
    new CfnRule(this, 'RequireJwtIssuer', {
      assertions: [
        {
          assert: Fn.conditionNot(Fn.conditionEquals(issuer.valueAsString, PLACEHOLDER_ISSUER)),
          assertDescription: MISSING_ISSUER_MESSAGE,
        },
        {
          assert: Fn.conditionNot(Fn.conditionContains(audience.valueAsList, PLACEHOLDER_AUDIENCE)),
          assertDescription: MISSING_AUDIENCE_MESSAGE,
        },
      ],
    });
    Annotations.of(this).addWarningV2(
      'file-service:no-jwt-issuer',
      `${MISSING_ISSUER_MESSAGE} Synth works; CloudFormation will refuse to deploy this template as it is.`,
    );
    return { jwtIssuer: issuer.valueAsString, jwtAudience: audience.valueAsList };
  }
}
