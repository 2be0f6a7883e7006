import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { FileService } from '../../lib/file-service';
import { FileServiceStack } from '../../lib/file-service-stack';
import { audience, handlersDir, issuer, unbundledApp } from './fixtures/synth';

/** A built console: what `npm run build` writes to dist/console. */
function consoleAssets(): string {
  const dir = mkdtempSync(join(tmpdir(), 'console-assets-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Files</title>');
  return dir;
}

describe('FileService with the web console', () => {
  let stack: Stack;
  let service: FileService;
  let template: Template;

  beforeAll(() => {
    stack = new Stack(unbundledApp(), 'WithConsole');
    service = new FileService(stack, 'Files', {
      jwtIssuer: issuer,
      jwtAudience: audience,
      handlersDir,
      corsOrigins: ['https://app.example.com'],
      webConsole: { assetsDir: consoleAssets() },
    });
    template = Template.fromStack(stack);
  });

  function distributionDomain() {
    return { 'Fn::GetAtt': [stack.getLogicalId(service.webConsole!.distribution.node.defaultChild as never), 'DomainName'] };
  }

  it('serves the console from a private bucket that only its CloudFront distribution reads, over HTTPS', () => {
    // Assess
    template.resourceCountIs('AWS::CloudFront::Distribution', 1);
    template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultRootObject: 'index.html',
        DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: 'redirect-to-https' }),
      }),
    });
    const consoleBucketId = stack.getLogicalId(service.webConsole!.bucket.node.defaultChild as never);
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
    });
    const policies = Object.values(template.findResources('AWS::S3::BucketPolicy')) as Array<{ Properties: { Bucket: { Ref: string }; PolicyDocument: { Statement: Array<{ Principal?: unknown; Action: unknown }> } } }>;
    const consolePolicy = policies.find((policy) => policy.Properties.Bucket.Ref === consoleBucketId);
    expect(JSON.stringify(consolePolicy?.Properties.PolicyDocument.Statement.map((statement) => statement.Principal))).toContain('cloudfront.amazonaws.com');
  });

  it('deploys the files with a config.json that names the API', () => {
    // Assess
    const deployments = Object.values(template.findResources('Custom::CDKBucketDeployment')) as Array<{ Properties: Record<string, unknown> }>;
    expect(deployments).toHaveLength(1);
    const properties = deployments[0]?.Properties ?? {};
    // The second source is config.json, whose placeholder CloudFormation fills with the API's URL.
    const [, configKey] = properties.SourceObjectKeys as string[];
    const config = readFileSync(join(stack.node.root.node.tryGetContext('aws:cdk:outdir') ?? (stack.node.root as { outdir?: string }).outdir ?? '', `asset.${configKey?.replace(/\.zip$/, '')}`, 'config.json'), 'utf8');
    const [, markers] = properties.SourceMarkers as Array<Record<string, unknown>>;
    const apiMarker = Object.entries(markers ?? {}).find(([, value]) => JSON.stringify(value) === JSON.stringify({ Ref: stack.getLogicalId(service.api.node.defaultChild as never) }))?.[0];
    expect(apiMarker).toBeDefined();
    expect(JSON.parse(config)).toEqual({ apiUrl: expect.stringContaining(String(apiMarker)) });
    expect(properties.DistributionPaths).toEqual(['/*']);
  });

  it("adds the console's origin to the API's and the bucket's CORS origins", () => {
    // Assess
    const consoleOrigin = { 'Fn::Join': ['', ['https://', distributionDomain()]] };
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: Match.objectLike({ AllowOrigins: ['https://app.example.com', consoleOrigin], AllowCredentials: true }),
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      CorsConfiguration: { CorsRules: [Match.objectLike({ AllowedOrigins: ['https://app.example.com', consoleOrigin] })] },
    });
  });

  it('has no unacknowledged AwsSolutions finding', () => {
    // Act
    const report = new AwsSolutionsChecks().validateScope(stack);

    // Assess
    expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(',')}`)).toEqual([]);
  });
});

describe('FileService web console options', () => {
  it('creates no console unless asked', () => {
    // Act
    const stack = new Stack(unbundledApp(), 'NoConsole');
    const service = new FileService(stack, 'Files', { jwtIssuer: issuer, jwtAudience: audience, handlersDir });

    // Assess
    expect(service.webConsole).toBeUndefined();
    Template.fromStack(stack).resourceCountIs('AWS::CloudFront::Distribution', 0);
  });

  it('leaves CORS open to every origin when it already was', () => {
    // Act
    const stack = new Stack(unbundledApp(), 'OpenCors');
    new FileService(stack, 'Files', { jwtIssuer: issuer, jwtAudience: audience, handlersDir, webConsole: { assetsDir: consoleAssets() } });

    // Assess
    Template.fromStack(stack).hasResourceProperties('AWS::ApiGatewayV2::Api', { CorsConfiguration: Match.objectLike({ AllowOrigins: ['*'] }) });
  });

  it('refuses a console that was never built, saying how to build it', () => {
    // Prepare
    const stack = new Stack(unbundledApp(), 'Unbuilt');
    const empty = mkdtempSync(join(tmpdir(), 'console-unbuilt-'));

    // Act
    const create = () => new FileService(stack, 'Files', { jwtIssuer: issuer, jwtAudience: audience, handlersDir, webConsole: { assetsDir: empty } });

    // Assess
    expect(create).toThrow(/npm run build/);
  });
});

describe('FileServiceStack with the web console', () => {
  it("prints the console's address beside the API's", () => {
    // Act
    const stack = new FileServiceStack(unbundledApp(), 'StackWithConsole', { jwtIssuer: issuer, jwtAudience: audience, handlersDir, webConsole: { assetsDir: consoleAssets() } });

    // Assess
    const outputs = Template.fromStack(stack).findOutputs('*');
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining(['ApiUrl', 'ConsoleUrl']));
    expect(JSON.stringify(outputs.ConsoleUrl?.Value)).toContain('DomainName');
  });
});

describe('FileService with the console npm run build made', () => {
  it('deploys dist/console when no assets are named', () => {
    // Act
    const stack = new Stack(unbundledApp(), 'BuiltConsole');
    const service = new FileService(stack, 'Files', { jwtIssuer: issuer, jwtAudience: audience, handlersDir, webConsole: true });

    // Assess: the test run builds the package first (test/global-setup.ts).
    expect(service.webConsole?.url).toBeDefined();
    Template.fromStack(stack).resourceCountIs('Custom::CDKBucketDeployment', 1);
  });
});
