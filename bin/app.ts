/**
 * The CDK app. Configuration comes from context (`cdk deploy -c jwtIssuer=... -c jwtAudience=...`
 * or cdk.json). With no issuer it still synthesises, so `npx cdk synth` works offline with zero
 * setup, but it warns, and CloudFormation refuses to deploy that template (see FileServiceStack).
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { FileServiceStack } from '../lib/file-service-stack';

const app = new App();

function contextString(key: string): string | undefined {
  const value: unknown = app.node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new Error(`Context ${key} must be a string, got ${JSON.stringify(value)}.`);
  return value.trim();
}

/** A comma-separated context value (or a JSON array in cdk.json) as a list. */
function contextList(key: string): string[] | undefined {
  const value: unknown = app.node.tryGetContext(key);
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value.map((item) => item.trim());
  if (typeof value !== 'string') throw new Error(`Context ${key} must be a comma-separated string or a list of strings.`);
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

new FileServiceStack(app, contextString('stackName') ?? 'FileService', {
  env:
    process.env.CDK_DEFAULT_ACCOUNT || process.env.CDK_DEFAULT_REGION
      ? { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION }
      : undefined,
  description: 'Serverless file service (epilot File API compatible)',
  jwtIssuer: contextString('jwtIssuer'),
  // The stack refuses an issuer without an audience.
  jwtAudience: contextList('jwtAudience'),
  tenantClaim: contextString('tenantClaim'),
  rolesClaim: contextString('rolesClaim'),
  adminRole: contextString('adminRole'),
  serviceScope: contextString('serviceScope'),
  corsOrigins: contextList('corsOrigins'),
  // -c webConsole=true: the web console on S3 + CloudFront as well.
  webConsole: contextString('webConsole') === 'true',
});

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
