import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ApiHandler } from '../../lambdas/http/handler';
import { operations } from '../../lambdas/operations';
import type { LocalStack } from '../../local/stack';
import type { Claims } from './events';

export type HandlerName = 'upload-file' | 'save-file' | 'get-file' | 'delete-file' | 'download-file' | 'download-files' | 'list-files' | 'preview-file';

/** Everything the measurements share: the running stack, raw SDK clients and the handlers. */
export interface BenchContext {
  stack: LocalStack;
  /** Configured like lambdas/wiring.ts configures the service's own clients. */
  s3: S3Client;
  dynamo: DynamoDBDocumentClient;
  handlers: Record<HandlerName, ApiHandler>;
  claims: Claims;
  /** Bearer token for the same caller, for the HTTP API. */
  token: string;
}

/**
 * The handlers Lambda runs, imported here (after the stack has set the environment) so
 * each is called in-process exactly as the Lambda runtime would call it.
 */
export async function loadHandlers(): Promise<Record<HandlerName, ApiHandler>> {
  const entries = await Promise.all(
    operations.map(async (operation) => {
      const module = (await import(`../../lambdas/handlers/${operation.entry}.ts`)) as { handler: ApiHandler };
      return [operation.entry, module.handler] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<HandlerName, ApiHandler>;
}

export async function createContext(stack: LocalStack, claims: Claims): Promise<BenchContext> {
  const s3 = new S3Client({
    region: stack.region,
    endpoint: stack.s3Endpoint,
    forcePathStyle: true,
    credentials: stack.credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const dynamo = DynamoDBDocumentClient.from(
    new DynamoDBClient({ region: stack.region, endpoint: stack.dynamoDbEndpoint, credentials: stack.credentials }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
  return {
    stack,
    s3,
    dynamo,
    handlers: await loadHandlers(),
    claims,
    token: await stack.auth.sign({ org: claims.org_id, user: claims.sub }, 3600),
  };
}

export function destroyContext(context: BenchContext): void {
  context.s3.destroy();
  context.dynamo.destroy();
}
