import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { clientSchemaPath, clientSchemaSource } from '../../../bin/openapi';
import { openApiDocument } from '../../../lambdas/http/openapi';
import type { JsonSchema } from '../../../lambdas/http/openapi';
import { operations } from '../../../lambdas/operations';

const methods = ['get', 'post', 'patch', 'delete', 'put'] as const;

/** Every operation object of a document, with its method and path. */
function operationsOf(document: { paths: Record<string, Record<string, unknown>> }) {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    methods.filter((method) => item[method] !== undefined).map((method) => ({ path, method, operation: item[method] as JsonSchema })),
  );
}

/** A route of the operations table as clients call it: copyFile's route catches the segment `{id}:copy`. */
function calledPath(operation: string, path: string): string {
  return operation === 'copyFile' ? `${path}:copy` : path;
}

describe('the OpenAPI document', () => {
  it('documents every route of the operations table once, each with its own operationId', () => {
    // Prepare
    const routes = operations.flatMap((operation) => operation.routes.map((route) => `${route.method.toLowerCase()} ${calledPath(operation.name, route.path)}`));

    // Act
    const documented = operationsOf(openApiDocument());

    // Assess
    expect(documented.map(({ method, path }) => `${method} ${path}`).sort()).toEqual([...routes].sort());
    const ids = documented.map(({ operation }) => operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('uses epilot\'s operationId wherever epilot\'s spec has the same method and path', async () => {
    // Prepare
    const require = createRequire(import.meta.url);
    const epilot = JSON.parse(await readFile(require.resolve('@epilot/file-client/dist/openapi.json'), 'utf8')) as { paths: Record<string, Record<string, unknown>> };
    const theirs = new Map(operationsOf(epilot).map(({ method, path, operation }) => [`${method} ${path}`, operation.operationId]));

    // Act
    const ours = operationsOf(openApiDocument()).filter(({ method, path }) => theirs.has(`${method} ${path}`));

    // Assess
    expect(ours.length).toBeGreaterThan(15);
    for (const { method, path, operation } of ours) expect(`${method} ${path} ${String(operation.operationId)}`).toBe(`${method} ${path} ${String(theirs.get(`${method} ${path}`))}`);
  });

  it('asks for the bearer token on every route but the public ones, and takes the session cookie on the GET routes of cookie operations only', () => {
    // Prepare
    const byId = new Map(operationsOf(openApiDocument()).map((entry) => [entry.operation.operationId, entry]));

    // Act
    const security = operations.flatMap((operation) =>
      operation.routes.map((route) => {
        const documented = [...byId.values()].find((entry) => entry.method === route.method.toLowerCase() && entry.path === calledPath(operation.name, route.path));
        return { operation, route, security: documented?.operation.security };
      }),
    );

    // Assess
    const document = openApiDocument();
    expect(document.security).toEqual([{ EpilotAuth: [] }]);
    expect(document.components.securitySchemes.EpilotAuth).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    expect(document.components.securitySchemes.CookieAuth).toMatchObject({ type: 'apiKey', in: 'cookie', name: 'token' });
    for (const { operation, route, security: declared } of security) {
      const expected = operation.public ? [] : operation.cookie && route.method === 'GET' ? [{ EpilotAuth: [] }, { CookieAuth: [] }] : undefined;
      expect({ route: `${route.method} ${route.path}`, security: declared }).toEqual({ route: `${route.method} ${route.path}`, security: expected });
    }
  });

  it('lists the gateway\'s answers on each route: 401 where a token is needed, 429 everywhere (the stage throttles every route)', () => {
    // Act
    const documented = operationsOf(openApiDocument());

    // Assess
    for (const { operation } of documented) {
      const statuses = Object.keys(operation.responses as object);
      const isPublic = Array.isArray(operation.security) && operation.security.length === 0;
      expect({ id: operation.operationId, has401: statuses.includes('401'), has429: statuses.includes('429') }).toEqual({
        id: operation.operationId,
        has401: !isPublic,
        has429: true,
      });
      expect(statuses).toEqual(expect.arrayContaining(['404', '500', '503']));
    }
  });

  it('is OpenAPI 3.1 whose schemas all compile as JSON Schema 2020-12 and whose references all resolve', () => {
    // Prepare
    const document = openApiDocument();
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema({ components: document.components }, 'openapi.json');

    // Act
    const compiled = Object.keys(document.components.schemas).map((name) => ajv.getSchema(`openapi.json#/components/schemas/${name}`));
    const references = [...JSON.stringify(document).matchAll(/"\$ref":"([^"]+)"/g)].map(([, ref]) => ref as string);

    // Assess
    expect(document.openapi).toBe('3.1.0');
    expect(compiled.every((validate) => typeof validate === 'function')).toBe(true);
    for (const ref of references) {
      const [, kind, name] = /^#\/components\/(schemas|responses)\/(\w+)$/.exec(ref) ?? [];
      expect({ ref, found: kind !== undefined && name !== undefined && name in document.components[kind as 'schemas' | 'responses'] }).toEqual({ ref, found: true });
    }
  });

  it('types query parameters as clients send them: numbers as integers, flags as booleans with their defaults', () => {
    // Act
    const documented = operationsOf(openApiDocument());
    const parameter = (id: string, name: string) =>
      (documented.find(({ operation }) => operation.operationId === id)?.operation.parameters as JsonSchema[]).find((entry) => entry.name === name);

    // Assess
    expect(parameter('previewFile', 'w')).toMatchObject({ in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 2048 } });
    expect(parameter('listFiles', 'limit')).toMatchObject({ schema: { type: 'integer', default: 25 } });
    expect(parameter('listFileVersions', 'limit')).toMatchObject({ schema: { type: 'integer', default: 50 } });
    expect(parameter('saveFileV2', 'delete_temp_file')).toMatchObject({ schema: { type: 'boolean', default: true } });
    expect(parameter('listFiles', 'shared')).toMatchObject({ schema: { type: 'boolean', default: false } });
    expect(parameter('downloadS3File', 's3_key')).toMatchObject({ required: true, schema: { type: 'string' } });
    expect(parameter('getFile', 'id')).toMatchObject({ in: 'path', required: true });
  });
});

describe('client/schema.d.ts', () => {
  it('is what npm run openapi generates from the document, so the typed client cannot drift from the API', async () => {
    // Prepare
    const checkedIn = await readFile(clientSchemaPath, 'utf8');

    // Act
    const fresh = await clientSchemaSource();

    // Assess
    expect(checkedIn === fresh ? 'up to date' : 'stale: run npm run openapi').toBe('up to date');
  });
});
