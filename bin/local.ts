import { join } from 'node:path';
import { assertLocalPrerequisites } from '../local/prerequisites';
import { startLocalStack } from '../local/stack';
import { localDataDir } from './paths';

/** `npm start`: the whole service on this machine, no AWS account and no Docker needed. */
async function main(): Promise<void> {
  assertLocalPrerequisites();
  // Node 20 is fine for local runs (Lambda runs Node 22): keep the SDK's support notice out of the way.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // CloudWatch metrics (EMF lines) mean nothing on a laptop; POWERTOOLS_METRICS_DISABLED=false shows them.
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  const port = Number(process.env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, got ${process.env.PORT}`);
  const stack = await startLocalStack({
    port,
    host: process.env.HOST ?? '127.0.0.1',
    dataDir: localDataDir,
    localSignIn: true,
    ...(process.env.CORS_ORIGINS ? { corsOrigins: process.env.CORS_ORIGINS.split(',') } : {}),
  });
  const token = await stack.auth.sign({ org: 'demo-org', user: 'demo-user' }, 24 * 3600);

  console.log(`
File service running at ${stack.url}
  web console:     ${stack.url}/ (one click signs you in as the demo user)
  API reference:   ${stack.url}/docs (the OpenAPI document: ${stack.url}/openapi.json)
  local S3:        ${stack.s3Endpoint} (bucket ${stack.bucket}, presigned URLs checked like S3)
  DynamoDB Local:  ${stack.dynamoDbEndpoint} (table ${stack.table})
  data kept in:    ${join(localDataDir)}
  file events:     ${join(localDataDir, 'events.ndjson')}${process.env.EVENTS_WEBHOOK_URL ? `, POSTed to ${process.env.EVENTS_WEBHOOK_URL}` : ' (set EVENTS_WEBHOOK_URL to have them POSTed)'}

A token for org "demo-org", valid 24 h (more with: npm run token -- --org <org> --user <user>):
  export TOKEN=${token}

Try it (or: npx file-service upload <file>, no token needed here):
  curl -s -X POST ${stack.url}/v2/files/upload -H "Authorization: Bearer $TOKEN" \\
    -H 'Content-Type: application/json' -d '{"filename":"hello.txt","mime_type":"text/plain"}'

Press Ctrl-C to stop.`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping...`);
    stack.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
