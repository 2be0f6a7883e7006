import { generate } from 'json-schema-faker';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import type { core } from 'zod/mini';
import { linkIdPath } from '../../../lambdas/http/link-schemas';
import { openApiDocument, routeDocs } from '../../../lambdas/http/openapi';
import { fileIdPath, uploadIdPath } from '../../../lambdas/http/schemas';
import { epilotSpec } from '../../support/epilot-spec';
import type { EpilotOperation, Schema } from '../../support/epilot-spec';

/**
 * What epilot's File API spec says a client may send, our request schemas accept: for every
 * operation both APIs have (same operationId), many requests are sampled from epilot's
 * schemas of the body, the query and the path (json-schema-faker, fixed seeds) and given to
 * the zod schemas our handlers validate with. Where we refuse on purpose, the difference is
 * listed below, one field of one operation with the reason; each listed difference must
 * still occur, so the list cannot outlive the difference.
 */

type Part = 'body' | 'query' | 'path';

interface Difference {
  operation: string;
  part: Part;
  /** The field, as zod names an issue's path; array indexes as `*`, the whole body as `(root)`. */
  field: string;
  reason: string;
}

const filename = 'we refuse an empty or blank filename, one over 1024 characters, and text with unpaired surrogates: the name is stored and put into URLs';
const mimeType = 'we take a MIME type (type/subtype, parameters): it is signed into the upload URL and served as Content-Type';
const version = 'a version counts back from the latest (0); a negative one names nothing';
const box = 'a preview box is 1 to 2048 pixels a side';
const relation = 'a relation names an entity: its entity_id is not empty';
const s3refPart = 'an s3ref names an object of this service: a bucket name of 1 to 255 characters, a key of 1 to 1024';

const knownDifferences: readonly Difference[] = [
  { operation: 'uploadFileV2', part: 'body', field: 'filename', reason: filename },
  { operation: 'uploadFileV2', part: 'body', field: 'mime_type', reason: mimeType },
  { operation: 'uploadFile', part: 'body', field: 'filename', reason: filename },
  { operation: 'uploadFile', part: 'body', field: 'mime_type', reason: mimeType },
  { operation: 'saveFileV2', part: 'body', field: '(root)', reason: 'the batch version mode (an array of s3refs, one new version each) is not implemented; save them one by one' },
  { operation: 'saveFileV2', part: 'body', field: 'filename', reason: filename },
  { operation: 'saveFileV2', part: 'body', field: 'mime_type', reason: mimeType },
  { operation: 'saveFileV2', part: 'body', field: 'file_entity_id', reason: 'file_entity_id (deprecated) names a file: a UUID, or empty for none, as _id' },
  { operation: 'saveFile', part: 'body', field: 'filename', reason: filename },
  { operation: 'saveFile', part: 'body', field: 'mime_type', reason: mimeType },
  { operation: 'saveFile', part: 'body', field: 'file_entity_id', reason: 'file_entity_id (deprecated) names a file: a UUID, or empty for none, as _id' },
  { operation: 'saveFile', part: 'body', field: 's3ref.bucket', reason: s3refPart },
  { operation: 'saveFile', part: 'body', field: 's3ref.key', reason: s3refPart },
  { operation: 'saveFile', part: 'body', field: 'relations.*.entity_id', reason: relation },
  { operation: 'saveFileV2', part: 'body', field: 's3ref.bucket', reason: s3refPart },
  { operation: 'saveFileV2', part: 'body', field: 's3ref.key', reason: s3refPart },
  { operation: 'saveFileV2', part: 'body', field: 'relations.*.entity_id', reason: relation },
  { operation: 'downloadFiles', part: 'body', field: '*.id', reason: 'a bulk download names files by id: a UUID each (epilot\'s FileEntityId also allows "" for none)' },
  { operation: 'downloadFiles', part: 'body', field: '(root)', reason: 'a bulk download lists 1 to 100 files' },
  { operation: 'downloadFiles', part: 'body', field: '*.version', reason: version },
  { operation: 'downloadFile', part: 'query', field: 'version', reason: version },
  { operation: 'previewFile', part: 'query', field: 'version', reason: version },
  { operation: 'previewFile', part: 'query', field: 'w', reason: box },
  { operation: 'previewFile', part: 'query', field: 'h', reason: box },
  { operation: 'previewPublicFile', part: 'query', field: 'version', reason: version },
  { operation: 'previewPublicFile', part: 'query', field: 'w', reason: box },
  { operation: 'previewPublicFile', part: 'query', field: 'h', reason: box },
  { operation: 'previewS3File', part: 'query', field: 'w', reason: box },
  { operation: 'previewS3File', part: 'query', field: 'h', reason: box },
  { operation: 'previewS3FileGet', part: 'query', field: 'w', reason: box },
  { operation: 'previewS3FileGet', part: 'query', field: 'h', reason: box },
  { operation: 'previewS3FileGet', part: 'query', field: 'key', reason: s3refPart },
  { operation: 'previewS3FileGet', part: 'query', field: 'bucket', reason: s3refPart },
  { operation: 'previewS3File', part: 'body', field: 'key', reason: s3refPart },
  { operation: 'previewS3File', part: 'body', field: 'bucket', reason: s3refPart },
  { operation: 'downloadS3File', part: 'query', field: 's3_key', reason: s3refPart },
  { operation: 'downloadS3File', part: 'query', field: 's3_bucket', reason: s3refPart },
];

const samplesPerPart = 200;

/** Our zod schemas of an operation's body, query and path, found by its operationId. */
function ourSchemas(operationId: string): Partial<Record<Part, core.$ZodType>> {
  const entry = Object.entries(routeDocs).find(([, doc]) => doc.operationId === operationId);
  if (!entry) throw new Error(`No route documents ${operationId}`);
  const [key, doc] = entry;
  const path = key.includes('{upload_id}') ? uploadIdPath : /PublicLink$/.test(operationId) && key.includes('/public/links/') ? linkIdPath : key.includes('{id}') ? fileIdPath : undefined;
  return { ...(doc.body ? { body: doc.body.schema } : {}), ...(doc.query ? { query: doc.query } : {}), ...(path ? { path } : {}) };
}

/** epilot's schema of the parameters in one place, as one object (required ones required). */
function parametersSchema(operation: EpilotOperation, where: 'query' | 'path'): Schema | undefined {
  const parameters = operation.parameters.filter((parameter) => parameter.in === where);
  if (parameters.length === 0) return undefined;
  return {
    type: 'object',
    properties: Object.fromEntries(parameters.map((parameter) => [parameter.name, parameter.schema])),
    required: parameters.filter((parameter) => parameter.required).map((parameter) => parameter.name),
    additionalProperties: false,
  };
}

/**
 * The shapes a schema allows at its root, one per alternative of a `oneOf`/`anyOf` (through
 * `$ref`s), so that each is sampled as often as the others: the sampler alone would mostly
 * give an empty object for saveFileV2's body, an anyOf of allOfs inside a oneOf.
 */
function alternativesOf(schema: Schema, schemas: Record<string, Schema>): Schema[] {
  const ref = schema.$ref;
  if (typeof ref === 'string') {
    const target = schemas[ref.replace('#/components/schemas/', '')];
    if (!target) throw new Error(`epilot's spec has no ${ref}`);
    return alternativesOf(target, schemas);
  }
  const choices = (schema.oneOf ?? schema.anyOf) as Schema[] | undefined;
  return choices ? choices.flatMap((choice) => alternativesOf(choice, schemas)) : [schema];
}

/** Parameters travel as text: what API Gateway hands the handler. */
function asWire(value: unknown): Record<string, string> {
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([name, inner]) => [name, typeof inner === 'string' ? inner : JSON.stringify(inner)]));
}

function fieldOf(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(root)' : path.map((segment) => (typeof segment === 'number' ? '*' : String(segment))).join('.');
}

interface Refusal {
  operation: string;
  part: Part;
  field: string;
  sample: unknown;
  message: string;
}

async function refusalsOf(operationId: string): Promise<Refusal[]> {
  const { document, operations } = epilotSpec();
  const operation = operations.get(operationId);
  if (!operation) throw new Error(`epilot has no ${operationId}`);
  const ours = ourSchemas(operationId);
  const parts: Array<[Part, Schema | undefined]> = [
    ['body', operation.body],
    ['query', parametersSchema(operation, 'query')],
    ['path', parametersSchema(operation, 'path')],
  ];
  const refusals: Refusal[] = [];
  for (const [part, schema] of parts) {
    if (!schema) continue;
    const zod = ours[part];
    // The handler reads no such part (getFile's query): whatever epilot allows there is ignored.
    if (!zod) continue;
    const shapes = alternativesOf(schema, document.components.schemas ?? {});
    for (let seed = 1; seed <= samplesPerPart; seed += 1) {
      const shape = shapes[seed % shapes.length] as Schema;
      const sampled = await generate({ ...shape, components: document.components }, { seed, optionalsProbability: 0.6, maxItems: 3, maxDepth: 6 });
      const sample = part === 'body' ? sampled : asWire(sampled);
      const result = z.safeParse(zod, sample);
      if (result.success) continue;
      for (const issue of result.error.issues) refusals.push({ operation: operationId, part, field: fieldOf(issue.path), sample, message: issue.message });
    }
  }
  return refusals;
}

/** The operations both APIs have: the same operationId. */
function sharedOperations(): string[] {
  const ours = new Set(Object.values(openApiDocument().paths).flatMap((item) => Object.values(item).map((operation) => operation.operationId as string)));
  return [...epilotSpec().operations.keys()].filter((id) => ours.has(id));
}

describe('requests as epilot\'s File API describes them', () => {
  const observed: Refusal[] = [];

  it('concern the operations both APIs have, at least the upload, save, download and preview ones', () => {
    // Act
    const shared = sharedOperations();

    // Assess
    expect(shared).toEqual(expect.arrayContaining(['uploadFileV2', 'saveFileV2', 'getFile', 'deleteFile', 'downloadFile', 'downloadFiles', 'previewFile', 'generatePublicLink', 'accessPublicLink']));
  });

  it.each(sharedOperations())('are accepted by %s\'s schemas, but for the listed differences', async (operationId) => {
    // Act
    const refusals = await refusalsOf(operationId);
    observed.push(...refusals);

    // Assess
    const unexplained = refusals.filter(
      (refusal) => !knownDifferences.some((known) => known.operation === refusal.operation && known.part === refusal.part && known.field === refusal.field),
    );
    expect(unexplained.slice(0, 5).map((refusal) => `${refusal.part} ${refusal.field}: ${refusal.message} in ${JSON.stringify(refusal.sample)}`)).toEqual([]);
  });

  it('still meet every listed difference, so the list names only refusals that happen', () => {
    // Act
    const unseen = knownDifferences.filter(
      (known) => !observed.some((refusal) => refusal.operation === known.operation && refusal.part === known.part && refusal.field === known.field),
    );

    // Assess
    expect(unseen.map((known) => `${known.operation} ${known.part} ${known.field}`)).toEqual([]);
  });
});
