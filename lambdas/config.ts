/**
 * Handler configuration from the environment, read when first needed (not at import) so
 * tests and the local API can set it, and a missing variable fails loudly.
 */
export interface Config {
  tableName: string;
  bucketName: string;
  region: string;
  maxUploadBytes: number;
  uploadUrlTtlSeconds: number;
  downloadUrlTtlSeconds: number;
  /** Days after its upload that an object can still be saved: the temp/ lifecycle rule's days. */
  tempExpiryDays: number;
  /** Local stand-ins: where the service reaches S3 and DynamoDB. Unset on AWS. */
  s3Endpoint?: string;
  dynamoDbEndpoint?: string;
}

const fiveGiB = 5 * 1024 ** 3;

export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    tableName: required(env, 'TABLE_NAME'),
    bucketName: required(env, 'BUCKET_NAME'),
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    maxUploadBytes: positiveInt(env, 'MAX_UPLOAD_BYTES', fiveGiB),
    uploadUrlTtlSeconds: positiveInt(env, 'UPLOAD_URL_TTL_SECONDS', 900),
    downloadUrlTtlSeconds: positiveInt(env, 'DOWNLOAD_URL_TTL_SECONDS', 900),
    tempExpiryDays: positiveInt(env, 'TEMP_EXPIRY_DAYS', 1),
    ...(env.S3_ENDPOINT ? { s3Endpoint: env.S3_ENDPOINT } : {}),
    ...(env.DYNAMODB_ENDPOINT ? { dynamoDbEndpoint: env.DYNAMODB_ENDPOINT } : {}),
  };
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`Environment variable ${name} is required`);
  return value;
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new Error(`Environment variable ${name} must be a positive integer, got "${raw}"`);
  }
  return value;
}

