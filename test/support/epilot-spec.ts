import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * epilot's File API spec as its client package ships it (OpenAPI 3.0), and what the
 * compatibility tests need of it: its operations by operationId, and its schemas made plain
 * JSON Schema (OpenAPI 3.0's `nullable` becomes a `null` alternative; examples dropped).
 */

export type Schema = Record<string, unknown>;

export interface EpilotParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema: Schema;
}

export interface EpilotOperation {
  operationId: string;
  method: string;
  path: string;
  parameters: EpilotParameter[];
  body?: Schema;
  /** Status → the JSON schema of the body, or undefined when the status has no JSON content. */
  responses: Record<string, Schema | undefined>;
}

export interface EpilotSpec {
  document: { paths: Record<string, Record<string, Schema>>; components: Record<string, Record<string, Schema>> };
  operations: Map<string, EpilotOperation>;
}

const methods = ['get', 'post', 'put', 'patch', 'delete'] as const;

let loaded: EpilotSpec | undefined;

export function epilotSpec(): EpilotSpec {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const raw = JSON.parse(readFileSync(require.resolve('@epilot/file-client/dist/openapi.json'), 'utf8')) as EpilotSpec['document'];
  const document = plainJsonSchema(raw) as EpilotSpec['document'];
  const resolve = <T>(value: T): T => {
    const ref = (value as Schema | undefined)?.$ref;
    if (typeof ref !== 'string') return value;
    const [, kind, name] = /^#\/components\/(\w+)\/(.+)$/.exec(ref) ?? [];
    return resolve(document.components[kind ?? '']?.[name ?? ''] as T);
  };
  const operations = new Map<string, EpilotOperation>();
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of methods) {
      const operation = item[method] as Schema | undefined;
      if (!operation) continue;
      const parameters = ((operation.parameters ?? []) as Schema[]).map((parameter) => resolve(parameter) as unknown as EpilotParameter);
      const body = ((operation.requestBody as Schema | undefined)?.content as Record<string, Schema> | undefined)?.['application/json']?.schema as Schema | undefined;
      const responses: Record<string, Schema | undefined> = {};
      for (const [status, response] of Object.entries((operation.responses ?? {}) as Record<string, Schema>)) {
        const content = (resolve(response).content as Record<string, Schema> | undefined)?.['application/json'];
        responses[status] = content?.schema as Schema | undefined;
      }
      operations.set(operation.operationId as string, { operationId: operation.operationId as string, method, path, parameters, ...(body ? { body } : {}), responses });
    }
  }
  loaded = { document, operations };
  return loaded;
}

/** OpenAPI 3.0's schema dialect as JSON Schema: `nullable: true` admits null; `example`s go. */
function plainJsonSchema(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plainJsonSchema);
  if (value === null || typeof value !== 'object') return value;
  const { nullable, example: _example, examples: _examples, ...rest } = value as Schema;
  const converted = Object.fromEntries(Object.entries(rest).map(([key, inner]) => [key, key === 'properties' ? mapValues(inner as Schema) : plainJsonSchema(inner)]));
  if (nullable !== true) return converted;
  if (typeof converted.type === 'string') return { ...converted, type: [converted.type, 'null'] };
  return { anyOf: [converted, { type: 'null' }] };
}

/** Property names are data, not keywords: a property called `example` stays. */
function mapValues(properties: Schema): Schema {
  return Object.fromEntries(Object.entries(properties).map(([name, schema]) => [name, plainJsonSchema(schema)]));
}
