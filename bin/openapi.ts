import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';
import type { OpenAPI3 } from 'openapi-typescript';
import { openApiDocument } from '../lambdas/http/openapi';

/** Where the typed client's types live, generated from the OpenAPI document. */
export const clientSchemaPath = join(dirname(fileURLToPath(import.meta.url)), '..', 'client', 'schema.d.ts');

/** The TypeScript declarations (`paths`, `components`, `operations`) of the OpenAPI document. */
export async function clientSchemaSource(): Promise<string> {
  const ast = await openapiTS(openApiDocument() as unknown as OpenAPI3);
  return `${COMMENT_HEADER.replace('openapi-typescript.', 'openapi-typescript from the OpenAPI document: npm run openapi.')}${astToString(ast)}`;
}

/**
 * `npm run openapi`: writes client/schema.d.ts from the document the service serves.
 * `npm run openapi -- --json <file> [--server <url>]`: also writes the document itself.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { json: { type: 'string' }, server: { type: 'string' } } });
  await mkdir(dirname(clientSchemaPath), { recursive: true });
  await writeFile(clientSchemaPath, await clientSchemaSource());
  console.log(`wrote ${clientSchemaPath}`);
  if (values.json) {
    const document = openApiDocument(values.server ? { servers: [{ url: values.server.replace(/\/+$/, '') }] } : {});
    await writeFile(values.json, `${JSON.stringify(document, null, 2)}\n`);
    console.log(`wrote ${values.json}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
