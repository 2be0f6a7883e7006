import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DefaultStackSynthesizer, Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  Distribution,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  ResponseHeadersPolicy,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership, type CfnBucket, type IBucket } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';

/** Where `npm run build` (also run by `npm ci`) puts the console's static files. */
export const DEFAULT_CONSOLE_ASSETS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'console');

export interface WebConsoleOptions {
  /**
   * The built console (index.html and its scripts and styles).
   *
   * @default the package's dist/console, written by `npm run build`
   */
  readonly assetsDir?: string;
}

export interface WebConsoleProps extends WebConsoleOptions {
  /** Receives the console bucket's S3 server access logs (prefix `console-bucket/`). */
  readonly accessLogsBucket: IBucket;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The web console as a static site: a private bucket that only the CloudFront distribution
 * reads (origin access control), served over HTTPS with security headers. The console calls
 * the API and S3 straight from the browser, so its origin (`origin`) is one the API's and the
 * bucket's CORS rules list; `deploy` uploads the files with a `config.json` naming the API.
 */
export class WebConsole extends Construct {
  public readonly bucket: Bucket;
  public readonly distribution: Distribution;
  /** `https://<distribution domain>`: where the console is, and the origin its requests come from. */
  public readonly origin: string;
  /** The console's address. */
  public readonly url: string;
  private readonly assetsDir: string;

  constructor(scope: Construct, id: string, props: WebConsoleProps) {
    super(scope, id);
    this.assetsDir = props.assetsDir ?? DEFAULT_CONSOLE_ASSETS_DIR;
    if (!existsSync(join(this.assetsDir, 'index.html'))) {
      throw new Error(`WebConsole: no index.html in ${this.assetsDir}; run npm run build (npm ci runs it) to build the console.`);
    }
    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      serverAccessLogsBucket: props.accessLogsBucket,
      serverAccessLogsPrefix: 'console-bucket/',
      removalPolicy: props.removalPolicy,
    });
    const headers = new ResponseHeadersPolicy(this, 'Headers', {
      securityHeadersBehavior: {
        // The console's own scripts and styles only; it talks to the API and to S3 (presigned
        // uploads and downloads), and shows thumbnails it fetched as blobs.
        contentSecurityPolicy: {
          contentSecurityPolicy:
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data: https://*.amazonaws.com; " +
            "connect-src 'self' https://*.amazonaws.com; frame-ancestors 'none'; base-uri 'none'; form-action 'none'; object-src 'none'",
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
      },
    });
    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'File service web console',
      defaultRootObject: 'index.html',
      minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        responseHeadersPolicy: headers,
      },
    });
    this.origin = `https://${this.distribution.distributionDomainName}`;
    this.url = `${this.origin}/`;
    Validations.of(this.distribution).acknowledge(
      { id: 'AwsSolutions-CFR1', reason: 'The console is a static page for the service\'s own users wherever they are; the API decides who may do what.' },
      { id: 'AwsSolutions-CFR2', reason: 'Static files only; every request that reads or changes data goes to the API, which is throttled and needs a token.' },
      { id: 'AwsSolutions-CFR3', reason: 'Static files only: the API\'s access logs record every request that reads or changes data.' },
      { id: 'AwsSolutions-CFR4', reason: 'The default CloudFront certificate allows TLSv1 at the viewer; a custom domain with its own certificate (TLSv1.2_2021 is set) is the operator\'s choice.' },
    );
  }

  /** Uploads the console with the API's address, and clears CloudFront's cache of the old files. */
  deploy(apiUrl: string): BucketDeployment {
    const deployment = new BucketDeployment(this, 'Files', {
      sources: [Source.asset(this.assetsDir), Source.jsonData('config.json', { apiUrl })],
      destinationBucket: this.bucket,
      distribution: this.distribution,
      distributionPaths: ['/*'],
      memoryLimit: 256,
    });
    // CDK's deployment function (one per stack and memory size) runs only while CloudFormation
    // deploys: it copies the asset zips into this bucket and invalidates the distribution.
    const handler = Stack.of(this).node.children.find((child) => child.node.id.startsWith('Custom::CDKBucketDeployment'));
    if (handler) {
      const stack = Stack.of(this);
      const bucketLogicalId = stack.resolve((this.bucket.node.defaultChild as CfnBucket).logicalId) as string;
      const grants =
        "CDK's BucketDeployment function, which runs only while CloudFormation deploys: it reads the CDK asset bucket, writes and prunes the console bucket's objects and invalidates the distribution (CloudFront has no resource-level permission for that).";
      Validations.of(handler).acknowledge(
        { id: 'AwsSolutions-L1', reason: "The runtime of CDK's BucketDeployment function is chosen by aws-cdk-lib and moves with it." },
        {
          id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
          reason: "CDK's BucketDeployment function writes its logs with the AWS managed basic execution role; it runs only during deployments.",
        },
      );
      for (const finding of [
        'Action::s3:GetObject*',
        'Action::s3:GetBucket*',
        'Action::s3:List*',
        'Action::s3:DeleteObject*',
        'Action::s3:Abort*',
        `Resource::arn:<AWS::Partition>:s3:::cdk-${DefaultStackSynthesizer.DEFAULT_QUALIFIER}-assets-<AWS::AccountId>-<AWS::Region>/*`,
        `Resource::<${bucketLogicalId}.Arn>/*`,
        'Resource::*',
      ]) {
        Validations.of(handler).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason: grants });
      }
    }
    return deployment;
  }
}
