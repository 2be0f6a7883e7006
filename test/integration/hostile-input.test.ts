import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localBucket, startLocalStack } from '../../local/stack';
import type { LocalStack } from '../../local/stack';
import { Api, tokensFor, uploadFile } from './support/api';
import type { Entity, Ticket } from './support/api';
import { expectRefusal, sendRaw, stageUpload } from './support/requests';
import { Storage } from './support/storage';
import { documentedStatuses } from './support/openapi';
import { openApiDocument } from '../../lambdas/http/openapi';

/**
 * Hostile input at every route: each request is refused with its own 4xx as an ErrorObject,
 * and the bucket and the table are exactly as before it. Input that looks hostile but is
 * valid (odd names, extra fields) is accepted without harm; the last block proves that.
 */

let stack: LocalStack;
/** What the OpenAPI document lists for each route: every refusal below must be among it. */
const document = openApiDocument();
let token: string;
let own: Api;
let storage: Storage;
/** Shared by every case; no case may change them. */
let shared: { file: Entity; foreign: Entity; foreignUpload: Ticket; multipart: MultipartTicket; foreignMultipart: MultipartTicket };

interface MultipartTicket {
  s3ref: { bucket: string; key: string };
  upload_id: string;
}

async function startMultipart(api: Api): Promise<MultipartTicket> {
  const ticket = await api.post<MultipartTicket>('/v2/files/upload', { filename: 'parts.txt', mime_type: 'text/plain', upload_method: 'multipart' });
  if (ticket.status !== 201) throw new Error(`multipart upload: ${ticket.status}`);
  return ticket.body;
}

beforeAll(async () => {
  stack = await startLocalStack({});
  const tokens = await tokensFor(stack);
  token = tokens.own;
  own = new Api(stack.url, tokens.own);
  const other = new Api(stack.url, tokens.other);
  storage = new Storage(stack);
  shared = {
    file: await uploadFile(own, { filename: 'mine.txt', mimeType: 'text/plain', bytes: Buffer.from('org-a only') }),
    foreign: await uploadFile(other, { filename: 'theirs.txt', mimeType: 'text/plain', bytes: Buffer.from('org-b only') }),
    foreignUpload: await stageUpload(other, { filename: 'theirs.txt', mimeType: 'text/plain', bytes: 'org-b upload' }),
    multipart: await startMultipart(own),
    foreignMultipart: await startMultipart(other),
  };
});

afterAll(async () => {
  storage?.close();
  await stack?.stop();
});

type Fixtures = typeof shared & { upload: Ticket };
/** A body sent byte for byte, with its Content-Type. */
class Raw {
  constructor(
    readonly text: string | Buffer,
    readonly contentType = 'application/json',
  ) {}
}
/** JSON to send; a function gets a fresh, unsaved upload of the caller's org to aim at. */
type Body = Raw | ((fixtures: Fixtures) => unknown) | string | number | boolean | null | object;
interface Case {
  name: string;
  method: string;
  path: string;
  status: number;
  body?: Body;
  /** API Gateway answers this case itself, with `{"message": ...}` instead of `{status, error}`. */
  gatewayMessage?: string;
  /** The declared type of the fresh upload (default text/plain). */
  uploadAs?: string;
}

const MiB = 1024 * 1024;
const unknownId = '00000000-0000-4000-8000-000000000000';
const raw = (text: string | Buffer, contentType?: string) => new Raw(text, contentType);
const c = (name: string, method: string, path: string, status: number, body?: Body): Case => ({ name, method, path, status, body });
/** No route for the path and method: HTTP APIs answer 404 for a wrong method too (no 405). */
const noRoute = (name: string, method: string, path: string, body?: Body): Case => ({
  name, method, path, status: 404, body, gatewayMessage: 'Not Found',
});
const wrongMethod = (method: string, path: string, routed: string) => noRoute(`${method} ${path}, where only ${routed} is routed`, method, path);
const overGatewayLimit = (path: string): Case => ({
  name: 'a body over 10 MB', method: 'POST', path, status: 413,
  body: raw(Buffer.alloc(10 * MiB + 1, 0x20)), gatewayMessage: 'Request Entity Too Large',
});
const nestedObjects = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
const nestedArrays = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
const ref = (key: string, bucket = localBucket) => ({ s3ref: { bucket, key } });
const uploadIdOf = (ticket: Ticket) => ticket.s3ref.key.split('/')[2] ?? '';
const save = (fields: Record<string, unknown>) => (f: Fixtures) => ({ s3ref: f.upload.s3ref, ...fields });
const overMiB = 'x'.repeat(MiB);

const groups: Record<string, Case[]> = {
  'POST /v1|v2/files/upload (uploadFile)': [
    c('truncated JSON', 'POST', '/v2/files/upload', 400, raw('{"filename":')),
    c('JSON with single quotes and bare keys', 'POST', '/v2/files/upload', 400, raw("{filename: 'a.txt'}")),
    c('JSON with a trailing comma', 'POST', '/v1/files/upload', 400, raw('{"filename":"a.txt",}')),
    c('JSON behind a byte order mark', 'POST', '/v2/files/upload', 400, raw('\ufeff{"filename":"a.txt"}')),
    c('an empty body', 'POST', '/v2/files/upload', 400, raw('')),
    c('a form body labelled as JSON', 'POST', '/v2/files/upload', 400, raw('filename=a.txt')),
    c('a form body labelled as a form', 'POST', '/v2/files/upload', 400, raw('filename=a.txt', 'application/x-www-form-urlencoded')),
    c('a multipart body', 'POST', '/v1/files/upload', 400, raw('--b\r\nContent-Disposition: form-data; name="filename"\r\n\r\na.txt\r\n--b--', 'multipart/form-data; boundary=b')),
    c('an XML body', 'POST', '/v2/files/upload', 400, raw('<filename>a.txt</filename>', 'application/xml')),
    c('a JSON number', 'POST', '/v2/files/upload', 400, 42),
    c('a JSON string', 'POST', '/v2/files/upload', 400, 'a.txt'),
    c('JSON null', 'POST', '/v1/files/upload', 400, null),
    c('nested JSON arrays', 'POST', '/v2/files/upload', 400, [[['a.txt']]]),
    c('no filename', 'POST', '/v2/files/upload', 400, { mime_type: 'text/plain' }),
    c('a numeric filename', 'POST', '/v2/files/upload', 400, { filename: 42 }),
    c('a null filename', 'POST', '/v2/files/upload', 400, { filename: null }),
    c('a filename that is an array', 'POST', '/v2/files/upload', 400, { filename: ['a.txt'] }),
    c('a filename that is an object', 'POST', '/v2/files/upload', 400, { filename: { name: 'a.txt' } }),
    c('an empty filename', 'POST', '/v1/files/upload', 400, { filename: '' }),
    c('a blank filename', 'POST', '/v2/files/upload', 400, { filename: ' \t ' }),
    c('a filename of 5000 characters', 'POST', '/v2/files/upload', 400, { filename: `${'a'.repeat(4996)}.txt` }),
    c('a filename with a lone surrogate', 'POST', '/v2/files/upload', 400, { filename: 'a\ud800.txt' }),
    c('a MIME type that is a number', 'POST', '/v2/files/upload', 400, { filename: 'a.txt', mime_type: 7 }),
    c('a MIME type that is not one', 'POST', '/v2/files/upload', 400, { filename: 'a.txt', mime_type: 'not a mime' }),
    c('a MIME type smuggling a header', 'POST', '/v2/files/upload', 400, { filename: 'a.txt', mime_type: 'text/plain\r\nX-Evil: 1' }),
    c('a MIME parameter smuggling a header', 'POST', '/v2/files/upload', 400, { filename: 'a.txt', mime_type: 'text/plain; a="\r\nX-Evil: 1"' }),
    c('a negative size', 'POST', '/v2/files/upload', 400, { filename: 'a.txt', size_bytes: -1 }),
    c('a fractional size', 'POST', '/v2/files/upload', 400, { filename: 'a.txt', size_bytes: 1.5 }),
    c('a size as text', 'POST', '/v2/files/upload', 400, { filename: 'a.txt', size_bytes: '10' }),
    c('a size beyond safe integers', 'POST', '/v2/files/upload', 400, { filename: 'a.txt', size_bytes: 1e20 }),
    c('a size over the upload limit', 'POST', '/v2/files/upload', 413, { filename: 'a.txt', size_bytes: Number.MAX_SAFE_INTEGER }),
    c('metadata with values that are not text', 'POST', '/v2/files/upload', 400, { filename: 'a.txt', metadata: { a: 1 } }),
    c('a duplicate key whose last value is wrong', 'POST', '/v2/files/upload', 400, raw('{"filename":"a.txt","filename":5}')),
    c('a filename smuggled through __proto__', 'POST', '/v2/files/upload', 400, raw('{"__proto__":{"filename":"a.txt"}}')),
    c('metadata nested 10,000 levels deep', 'POST', '/v2/files/upload', 400, raw(`{"filename":"a.txt","metadata":${nestedObjects(10_000)}}`)),
    c('a malformed file_entity_id', 'POST', '/v2/files/upload?file_entity_id=abc', 400, { filename: 'a.txt' }),
    c('a file_entity_id that climbs directories', 'POST', '/v2/files/upload?file_entity_id=..%2F..%2Fetc', 400, { filename: 'a.txt' }),
    c('a file_entity_id given twice', 'POST', '/v2/files/upload?file_entity_id={id}&file_entity_id={id}', 400, { filename: 'a.txt' }),
    c('an unknown file_entity_id', 'POST', `/v2/files/upload?file_entity_id=${unknownId}`, 404, { filename: 'a.txt' }),
    c("another org's file_entity_id", 'POST', '/v1/files/upload?file_entity_id={foreign}', 404, { filename: 'a.txt' }),
    c('a JSON body over 1 MiB', 'POST', '/v2/files/upload', 413, { filename: 'a.txt', padding: overMiB }),
    c('a malformed checksum with a form upload', 'POST', '/v2/files/upload', 400, { filename: 'a.txt', upload_method: 'post', checksum_sha256: Buffer.alloc(31).toString('base64') }),
    c('a checksum with a multipart upload', 'POST', '/v2/files/upload', 400, { filename: 'a.txt', upload_method: 'multipart', checksum_sha256: Buffer.alloc(32).toString('base64') }),
    c('an upload method in capitals', 'POST', '/v2/files/upload', 400, { filename: 'a.txt', upload_method: 'MULTIPART' }),
    c('a single PUT over 5 GiB', 'POST', '/v2/files/upload', 413, { filename: 'a.txt', size_bytes: 5 * 1024 ** 3 + 1, upload_method: 'put' }),
    overGatewayLimit('/v2/files/upload'),
  ],
  'POST/GET /v1/files/upload/{upload_id}/parts, DELETE /v1/files/upload/{upload_id} (multipart)': [
    c('part number 0', 'POST', '/v1/files/upload/{upload}/parts', 400, { part_numbers: [0] }),
    c('part number 10,001', 'POST', '/v1/files/upload/{upload}/parts', 400, { part_numbers: [1, 10_001] }),
    c('a negative part number', 'POST', '/v1/files/upload/{upload}/parts', 400, { part_numbers: [-1] }),
    c('a fractional part number', 'POST', '/v1/files/upload/{upload}/parts', 400, { part_numbers: [1.5] }),
    c('a part number as text', 'POST', '/v1/files/upload/{upload}/parts', 400, { part_numbers: ['1'] }),
    c('no part numbers', 'POST', '/v1/files/upload/{upload}/parts', 400, { part_numbers: [] }),
    c('1,001 part numbers', 'POST', '/v1/files/upload/{upload}/parts', 400, { part_numbers: Array.from({ length: 1001 }, (_, i) => i + 1) }),
    c('part numbers that are an object', 'POST', '/v1/files/upload/{upload}/parts', 400, { part_numbers: { 1: true } }),
    c('a body without part numbers', 'POST', '/v1/files/upload/{upload}/parts', 400, {}),
    c('JSON null', 'POST', '/v1/files/upload/{upload}/parts', 400, null),
    c('truncated JSON', 'POST', '/v1/files/upload/{upload}/parts', 400, raw('{"part_numbers":[1')),
    c('an upload id that is not a UUID', 'POST', '/v1/files/upload/abc/parts', 400, { part_numbers: [1] }),
    c('an upload id that climbs directories', 'POST', '/v1/files/upload/..%2F..%2Fetc/parts', 400, { part_numbers: [1] }),
    c('an unknown upload id', 'POST', `/v1/files/upload/${unknownId}/parts`, 404, { part_numbers: [1] }),
    c("another org's upload id", 'POST', '/v1/files/upload/{foreignUpload}/parts', 404, { part_numbers: [1] }),
    c('a file id as the upload id', 'POST', '/v1/files/upload/{id}/parts', 404, { part_numbers: [1] }),
    c('listing an upload id that is not a UUID', 'GET', '/v1/files/upload/abc/parts', 400),
    c('listing an unknown upload id', 'GET', `/v1/files/upload/${unknownId}/parts`, 404),
    c("listing another org's upload", 'GET', '/v1/files/upload/{foreignUpload}/parts', 404),
    c('aborting an upload id that is not a UUID', 'DELETE', '/v1/files/upload/abc', 400),
    c('aborting an unknown upload id', 'DELETE', `/v1/files/upload/${unknownId}`, 404),
    c("aborting another org's upload", 'DELETE', '/v1/files/upload/{foreignUpload}', 404),
    c('a refresh without an s3ref', 'POST', '/v2/files/upload/refresh', 400, {}),
    c('a refresh with an s3ref that is text', 'POST', '/v2/files/upload/refresh', 400, { s3ref: 'temp/org-a/x' }),
    c('a refresh of truncated JSON', 'POST', '/v2/files/upload/refresh', 400, raw('{"s3ref":')),
    c("a refresh of another org's upload", 'POST', '/v2/files/upload/refresh', 404, () => ({ s3ref: shared.foreignUpload.s3ref })),
    c('a refresh of a key that climbs directories', 'POST', '/v2/files/upload/refresh', 404, ref('temp/org-a/../org-b/x.txt')),
    c('saving a multipart upload as another file', 'POST', '/v2/files', 400, (f: Fixtures) => ({ s3ref: f.multipart.s3ref, _id: f.file._id })),
    c("saving another org's multipart upload", 'POST', '/v2/files', 403, (f: Fixtures) => ({ s3ref: f.foreignMultipart.s3ref })),
    c('saving a multipart upload with no part yet', 'POST', '/v2/files', 400, (f: Fixtures) => ({ s3ref: f.multipart.s3ref })),
  ],
  'POST /v1|v2/files (saveFile)': [
    c('truncated JSON', 'POST', '/v2/files', 400, raw('{"s3ref":{"bucket":')),
    c('an empty object', 'POST', '/v2/files', 400, {}),
    c('a JSON array', 'POST', '/v2/files', 400, []),
    c('a JSON string', 'POST', '/v2/files', 400, 'temp/org-a/x/a.txt'),
    c('JSON null', 'POST', '/v1/files', 400, null),
    c('only a source_url, of a host that cannot exist (.invalid)', 'POST', '/v2/files', 422, { source_url: 'https://files.invalid/a.pdf' }),
    c('an s3ref that is a string', 'POST', '/v2/files', 400, { s3ref: 'temp/org-a/a.txt' }),
    c('an s3ref that is null', 'POST', '/v2/files', 400, { s3ref: null }),
    c('an s3ref without key', 'POST', '/v2/files', 400, { s3ref: { bucket: localBucket } }),
    c('an s3ref key that is a number', 'POST', '/v2/files', 400, { s3ref: { bucket: localBucket, key: 1 } }),
    c('an s3ref with an empty bucket', 'POST', '/v2/files', 400, save({ s3ref: { bucket: '', key: 'temp/org-a/x/a.txt' } })),
    c('an s3ref key of 1025 characters', 'POST', '/v2/files', 400, ref(`temp/org-a/${unknownId}/${'a'.repeat(1025)}`)),
    c('an own upload named in another bucket', 'POST', '/v2/files', 400, (f: Fixtures) => ref(f.upload.s3ref.key, 'someone-elses-bucket')),
    c("an s3ref of another org's saved file", 'POST', '/v2/files', 403, (f: Fixtures) => ({ s3ref: f.foreign.s3ref })),
    c('an s3ref of a saved file, as the version of another file', 'POST', '/v2/files', 400, (f: Fixtures) => ({ s3ref: f.file.s3ref, _id: unknownId })),
    c("another org's upload", 'POST', '/v2/files', 403, (f: Fixtures) => ({ s3ref: f.foreignUpload.s3ref })),
    c("another org's upload, named through this org's prefix", 'POST', '/v1/files', 400, (f: Fixtures) => ref(`temp/org-a/../${f.foreignUpload.s3ref.key.slice(5)}`)),
    c('an s3ref key that climbs out of its upload', 'POST', '/v2/files', 400, (f: Fixtures) => ref(`temp/org-a/${uploadIdOf(f.upload)}/../../org-b/${uploadIdOf(f.foreignUpload)}/theirs.txt`)),
    c('an s3ref key named ..', 'POST', '/v2/files', 400, (f: Fixtures) => ref(`temp/org-a/${uploadIdOf(f.upload)}/..`)),
    c('an s3ref key with a NUL byte', 'POST', '/v2/files', 400, (f: Fixtures) => ref(`${f.upload.s3ref.key}\u0000`)),
    c('an s3ref key with a lone surrogate', 'POST', '/v2/files', 400, (f: Fixtures) => ref(`${f.upload.s3ref.key}\udc00`)),
    c('an s3ref that was never uploaded', 'POST', '/v2/files', 404, ref(`temp/org-a/${unknownId}/a.txt`)),
    c('a malformed _id', 'POST', '/v2/files', 400, save({ _id: 'abc' })),
    c('an unknown _id', 'POST', '/v2/files', 404, save({ _id: unknownId })),
    c("another org's file as _id", 'POST', '/v2/files', 404, (f: Fixtures) => ({ s3ref: f.upload.s3ref, _id: f.foreign._id })),
    c("another org's file as file_entity_id", 'POST', '/v1/files', 404, (f: Fixtures) => ({ s3ref: f.upload.s3ref, _id: '', file_entity_id: f.foreign._id })),
    c('a numeric filename', 'POST', '/v2/files', 400, save({ filename: 3 })),
    c('a filename of 5000 characters', 'POST', '/v2/files', 400, save({ filename: 'a'.repeat(5000) })),
    c('a filename with a lone surrogate', 'POST', '/v2/files', 400, save({ filename: 'a\ud800.txt' })),
    c('a title of 1025 characters', 'POST', '/v2/files', 400, save({ _title: 't'.repeat(1025) })),
    c('an unknown access_control', 'POST', '/v2/files', 400, save({ access_control: 'everyone' })),
    c('an unknown type', 'POST', '/v2/files', 400, save({ type: 'virus' })),
    c('_tags that is a string', 'POST', '/v2/files', 400, save({ _tags: 'a,b' })),
    c('101 _tags', 'POST', '/v2/files', 400, save({ _tags: Array.from({ length: 101 }, (_, i) => `t${i}`) })),
    c('relations that is an object', 'POST', '/v2/files', 400, save({ relations: { entity_id: 'x' } })),
    c('41 relations', 'POST', '/v2/files', 400, save({ relations: Array.from({ length: 41 }, (_, index) => ({ entity_id: `e-${index}` })) })),
    c('a javascript: custom_download_url', 'POST', '/v2/files', 400, save({ custom_download_url: 'javascript:alert(1)' })),
    c('extra fields claiming another org, on an s3ref never uploaded', 'POST', '/v2/files', 404, { ...ref(`temp/org-a/${unknownId}/a.txt`), _org: 'org-b' }),
    c('_owners from a user who is not an org admin', 'POST', '/v2/files', 403, save({ _owners: [{ org_id: 'org-a', user_id: 'mallory' }] })),
    c('_owners naming no user', 'POST', '/v2/files', 400, save({ _owners: [{ org_id: 'org-b' }] })),
    c('an extra field nested 100,000 levels deep, without s3ref', 'POST', '/v2/files', 400, raw(`{"deep":${nestedObjects(100_000)}}`)),
    c('delete_temp_file that is not a boolean', 'POST', '/v2/files?delete_temp_file=maybe', 400, save({})),
    c('version_only given twice', 'POST', '/v2/files?version_only=true&version_only=false', 400, save({})),
    { ...c('bytes that are not the PNG they were uploaded as', 'POST', '/v2/files', 415, save({})), uploadAs: 'image/png' },
    c('a JSON body over 6 MB (the most a save carries, a direct upload inside)', 'POST', '/v2/files', 413, save({ filename: 'a.txt', padding: 'x'.repeat(6_000_001) })),
    c('content_base64 that is not base64', 'POST', '/v2/files', 400, { filename: 'a.txt', content_base64: '%%%%' }),
    c('content_base64 of 4 MiB and one byte', 'POST', '/v2/files', 413, { filename: 'a.txt', content_base64: Buffer.alloc(4 * 1024 * 1024 + 1).toString('base64') }),
    c('a source_url of the metadata service', 'POST', '/v2/files', 400, { source_url: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/' }),
    c('a source_url of the IPv6 metadata service', 'POST', '/v2/files', 400, { source_url: 'https://[fd00:ec2::254]/latest/meta-data/' }),
    c('a source_url of loopback in octal', 'POST', '/v2/files', 400, { source_url: 'https://0177.0.0.1:6379/' }),
    c('a gopher source_url', 'POST', '/v2/files', 400, { source_url: 'gopher://127.0.0.1:6379/_FLUSHALL' }),
    c('a source_url that is a number', 'POST', '/v2/files', 400, { source_url: 42 }),
    c('a source_url of 10,000 characters', 'POST', '/v2/files', 400, { source_url: `https://example.com/${'a'.repeat(10_000)}` }),
    c('a source_url beside an s3ref', 'POST', '/v2/files', 400, save({ source_url: 'https://127.0.0.1/' })),
    overGatewayLimit('/v1/files'),
  ],
  'GET /v1|v2/files/{id} (getFile)': [
    c('an id that is not a UUID', 'GET', '/v2/files/not-a-uuid', 400),
    c('a NUL byte as id', 'GET', '/v2/files/%00', 400),
    c('an id of 10,000 characters', 'GET', `/v2/files/${'a'.repeat(10_000)}`, 400),
    c('an SQL-ish id', 'GET', `/v2/files/${encodeURIComponent("' OR '1'='1' --")}`, 400),
    c('an id that climbs directories', 'GET', '/v1/files/..%2F..%2Fetc%2Fpasswd', 400),
    c('an own id followed by a newline', 'GET', '/v2/files/{id}%0A', 400),
    c('an own id followed by a space', 'GET', '/v2/files/{id}%20', 400),
    c('malformed percent-encoding', 'GET', '/v2/files/%E0%A4%A', 400),
    c('an encoded lone surrogate', 'GET', '/v2/files/%ED%A0%80', 400),
    c('an unknown id', 'GET', `/v2/files/${unknownId}`, 404),
    c("another org's id", 'GET', '/v1/files/{foreign}', 404),
  ],
  'DELETE /v1|v2/files/{id} (deleteFile)': [
    c('an id that climbs directories', 'DELETE', '/v2/files/..%2F..%2Fetc', 400),
    c('a NUL byte as id', 'DELETE', '/v2/files/%00', 400),
    c('a wildcard id', 'DELETE', '/v1/files/*', 400),
    c('an id of 10,000 characters', 'DELETE', `/v2/files/${'a'.repeat(10_000)}`, 400),
    c('an SQL-ish id', 'DELETE', `/v2/files/${encodeURIComponent('1; DROP TABLE files')}`, 400),
    c('an unknown id', 'DELETE', `/v2/files/${unknownId}`, 404),
    c("another org's id", 'DELETE', '/v1/files/{foreign}', 404),
  ],
  'GET /v1/files/{id}/download (downloadFile)': [
    c('version -1', 'GET', '/v1/files/{id}/download?version=-1', 400),
    c('version 1.5', 'GET', '/v1/files/{id}/download?version=1.5', 400),
    c('version 1e3', 'GET', '/v1/files/{id}/download?version=1e3', 400),
    c('a hexadecimal version', 'GET', '/v1/files/{id}/download?version=0x1', 400),
    c('a version of 20 digits', 'GET', '/v1/files/{id}/download?version=99999999999999999999', 400),
    c('an empty version', 'GET', '/v1/files/{id}/download?version=', 400),
    c('version latest', 'GET', '/v1/files/{id}/download?version=latest', 400),
    c('version given twice', 'GET', '/v1/files/{id}/download?version=0&version=0', 400),
    c('a version that does not exist', 'GET', '/v1/files/{id}/download?version=5', 404),
    c('the largest version number', 'GET', '/v1/files/{id}/download?version=999999999', 404),
    c('attachment that is not a boolean', 'GET', '/v1/files/{id}/download?attachment=yes', 400),
    c('attachment given twice', 'GET', '/v1/files/{id}/download?attachment=true&attachment=false', 400),
    c('an id that is not a UUID', 'GET', '/v1/files/%00/download', 400),
    c("another org's id", 'GET', '/v1/files/{foreign}/download', 404),
  ],
  'GET /v1/files/{id}/preview (previewFile)': [
    c('w 0', 'GET', '/v1/files/{id}/preview?w=0', 400),
    c('w 2049', 'GET', '/v1/files/{id}/preview?w=2049', 400),
    c('a negative h', 'GET', '/v1/files/{id}/preview?h=-5', 400),
    c('w 1e3', 'GET', '/v1/files/{id}/preview?w=1e3', 400),
    c('w of 30 digits', 'GET', '/v1/files/{id}/preview?w=999999999999999999999999999999', 400),
    c('w given twice', 'GET', '/v1/files/{id}/preview?w=10&w=20', 400),
    c('an empty h', 'GET', '/v1/files/{id}/preview?h=', 400),
    c('version -1', 'GET', '/v1/files/{id}/preview?version=-1', 400),
    c('a text file, which has no preview', 'GET', '/v1/files/{id}/preview', 415),
    c('a version that does not exist', 'GET', '/v1/files/{id}/preview?version=5', 404),
    c('an id that is not a UUID', 'GET', '/v1/files/%00/preview', 400),
    c("another org's id", 'GET', '/v1/files/{foreign}/preview', 404),
  ],
  'POST|GET /v1/files:previewS3 (previewS3File)': [
    c('truncated JSON', 'POST', '/v1/files:previewS3', 400, raw('{"bucket":')),
    c('a JSON array', 'POST', '/v1/files:previewS3', 400, []),
    c('an s3ref without a key', 'POST', '/v1/files:previewS3', 400, { bucket: localBucket }),
    c('a key of 2,000 characters', 'POST', '/v1/files:previewS3', 400, { bucket: localBucket, key: 'k'.repeat(2000) }),
    c('another bucket', 'POST', '/v1/files:previewS3', 400, { bucket: 'elsewhere', key: 'temp/org-a/x' }),
    c('a key that climbs directories', 'POST', '/v1/files:previewS3', 404, { bucket: localBucket, key: 'temp/org-a/../org-b/x.png' }),
    c("another org's saved version", 'POST', '/v1/files:previewS3', 404, (f: Fixtures) => f.foreign.s3ref),
    c("another org's upload", 'POST', '/v1/files:previewS3', 404, (f: Fixtures) => f.foreignUpload.s3ref),
    c('an own upload of text, which has no preview', 'POST', '/v1/files:previewS3', 415, (f: Fixtures) => f.upload.s3ref),
    c('w 0', 'POST', '/v1/files:previewS3?w=0', 400, (f: Fixtures) => f.upload.s3ref),
    c('a GET without a key', 'GET', `/v1/files:previewS3?bucket=${localBucket}`, 400),
    c('a GET with an empty key', 'GET', `/v1/files:previewS3?bucket=${localBucket}&key=`, 400),
  ],
  'POST /v1/files:downloadS3 (downloadS3File)': [
    c('no s3_key', 'POST', `/v1/files:downloadS3?s3_bucket=${localBucket}`, 400),
    c('no s3_bucket', 'POST', '/v1/files:downloadS3?s3_key=temp/org-a/x', 400),
    c('another bucket', 'POST', '/v1/files:downloadS3?s3_bucket=elsewhere&s3_key=temp/org-a/x', 400),
    c("another org's upload key", 'POST', `/v1/files:downloadS3?s3_bucket=${localBucket}&s3_key=temp/org-b/00000000-0000-4000-8000-000000000000/x.txt`, 404),
    c('an own upload key that never arrived', 'POST', `/v1/files:downloadS3?s3_bucket=${localBucket}&s3_key=temp/org-a/00000000-0000-4000-8000-000000000000/x.txt`, 404),
    c('a key of no upload or file', 'POST', `/v1/files:downloadS3?s3_bucket=${localBucket}&s3_key=etc/passwd`, 404),
    c('attachment that is not a boolean', 'POST', `/v1/files:downloadS3?s3_bucket=${localBucket}&s3_key=etc/passwd&attachment=yes`, 400),
  ],
  'POST /v1/files:downloadFiles (downloadFiles)': [
    c('truncated JSON', 'POST', '/v1/files:downloadFiles', 400, raw('[{"id":')),
    c('a JSON object', 'POST', '/v1/files:downloadFiles', 400, {}),
    c('JSON null', 'POST', '/v1/files:downloadFiles', 400, null),
    c('a JSON number', 'POST', '/v1/files:downloadFiles', 400, 1),
    c('an empty list', 'POST', '/v1/files:downloadFiles', 400, []),
    c('an entry without id', 'POST', '/v1/files:downloadFiles', 400, [{}]),
    c('a null entry', 'POST', '/v1/files:downloadFiles', 400, [null]),
    c('an entry that is an id string', 'POST', '/v1/files:downloadFiles', 400, [unknownId]),
    c('an id that is not a UUID', 'POST', '/v1/files:downloadFiles', 400, [{ id: "x' OR 1=1" }]),
    c('entries nested in arrays', 'POST', '/v1/files:downloadFiles', 400, (f: Fixtures) => [[{ id: f.file._id }]]),
    c('arrays nested 10,000 levels deep', 'POST', '/v1/files:downloadFiles', 400, raw(nestedArrays(10_000))),
    c('arrays nested 500,000 levels deep', 'POST', '/v1/files:downloadFiles', 400, raw(nestedArrays(500_000))),
    c('version -1', 'POST', '/v1/files:downloadFiles', 400, (f: Fixtures) => [{ id: f.file._id, version: -1 }]),
    c('version 1.5', 'POST', '/v1/files:downloadFiles', 400, (f: Fixtures) => [{ id: f.file._id, version: 1.5 }]),
    c('version as text', 'POST', '/v1/files:downloadFiles', 400, (f: Fixtures) => [{ id: f.file._id, version: '0' }]),
    c('version 1e10', 'POST', '/v1/files:downloadFiles', 400, (f: Fixtures) => [{ id: f.file._id, version: 1e10 }]),
    c('a hexadecimal version', 'POST', '/v1/files:downloadFiles', 400, raw(`[{"id":"${unknownId}","version":0x1}]`)),
    c('101 files', 'POST', '/v1/files:downloadFiles', 400, Array.from({ length: 101 }, () => ({ id: unknownId }))),
    c('a JSON body over 1 MiB', 'POST', '/v1/files:downloadFiles', 413, [{ id: unknownId, padding: overMiB }]),
  ],
  'POST /v2/files/{id}:copy (copyFile)': [
    c('truncated JSON', 'POST', '/v2/files/{id}:copy', 400, raw('{"version":')),
    c('JSON null', 'POST', '/v2/files/{id}:copy', 400, null),
    c('a JSON list', 'POST', '/v2/files/{id}:copy', 400, [{ version: 0 }]),
    c('an id that is not a UUID', 'POST', "/v2/files/x'%20OR%201=1:copy", 400, {}),
    c('an id that climbs directories', 'POST', '/v2/files/..%2F..%2Ffiles:copy', 400, {}),
    c('an unknown id', 'POST', `/v2/files/${unknownId}:copy`, 404, {}),
    c("another org's file", 'POST', '/v2/files/{foreign}:copy', 404, {}),
    c("another org's file as the target", 'POST', '/v2/files/{id}:copy', 404, (f: Fixtures) => ({ file_entity_id: f.foreign._id })),
    c('an unknown target', 'POST', '/v2/files/{id}:copy', 404, { file_entity_id: unknownId }),
    c('a target that is not a UUID', 'POST', '/v2/files/{id}:copy', 400, { file_entity_id: 'files/org-b/x' }),
    c('a version beyond the first', 'POST', '/v2/files/{id}:copy', 404, { version: 1 }),
    c('version -1', 'POST', '/v2/files/{id}:copy', 400, { version: -1 }),
    c('version 1.5', 'POST', '/v2/files/{id}:copy', 400, { version: 1.5 }),
    c('version as text', 'POST', '/v2/files/{id}:copy', 400, { version: '0' }),
    c('version 1e10', 'POST', '/v2/files/{id}:copy', 400, { version: 1e10 }),
    c('an unknown field', 'POST', '/v2/files/{id}:copy', 400, { verison: 1 }),
    c('an org to copy into', 'POST', '/v2/files/{id}:copy', 400, { _org: 'org-b' }),
    c('an s3ref to copy from', 'POST', '/v2/files/{id}:copy', 400, { s3ref: { bucket: localBucket, key: 'files/org-b/x' } }),
    c('an edit grant to another org', 'POST', '/v2/files/{id}:copy', 400, { _acl: { edit: ['org:org-b'] } }),
    c('a filename of only spaces', 'POST', '/v2/files/{id}:copy', 400, { filename: '   ' }),
    c('41 relations', 'POST', '/v2/files/{id}:copy', 400, { relations: Array.from({ length: 41 }, (_, index) => ({ entity_id: `e-${index}` })) }),
    c('a JSON body over 1 MiB', 'POST', '/v2/files/{id}:copy', 413, { filename: 'a.txt', padding: overMiB }),
  ],
  'POST /v1/files:batchGet (batchGetFiles)': [
    c('JSON null', 'POST', '/v1/files:batchGet', 400, null),
    c('a bare list of ids', 'POST', '/v1/files:batchGet', 400, [unknownId]),
    c('an object without ids', 'POST', '/v1/files:batchGet', 400, {}),
    c('ids that are not a list', 'POST', '/v1/files:batchGet', 400, { ids: unknownId }),
    c('an empty list of ids', 'POST', '/v1/files:batchGet', 400, { ids: [] }),
    c('an id that is not a UUID', 'POST', '/v1/files:batchGet', 400, { ids: ["x' OR 1=1"] }),
    c('an id that is a number', 'POST', '/v1/files:batchGet', 400, { ids: [1] }),
    c('a null id', 'POST', '/v1/files:batchGet', 400, { ids: [null] }),
    c('ids nested in lists', 'POST', '/v1/files:batchGet', 400, (f: Fixtures) => ({ ids: [[f.file._id]] })),
    c('101 ids', 'POST', '/v1/files:batchGet', 400, { ids: Array.from({ length: 101 }, () => unknownId) }),
    c('a JSON body over 1 MiB', 'POST', '/v1/files:batchGet', 413, { ids: [unknownId], padding: overMiB }),
  ],
  'PATCH /v2/files/{id} (updateFile)': [
    c('no body', 'PATCH', '/v2/files/{id}', 400),
    c('truncated JSON', 'PATCH', '/v2/files/{id}', 400, raw('{"_title":')),
    c('JSON null', 'PATCH', '/v2/files/{id}', 400, null),
    c('a JSON list', 'PATCH', '/v2/files/{id}', 400, [{ _title: 'x' }]),
    c('an empty object', 'PATCH', '/v2/files/{id}', 400, {}),
    c('a field it cannot change', 'PATCH', '/v2/files/{id}', 400, { s3ref: { bucket: 'b', key: 'files/org-b/x' } }),
    c('an org to move the file to', 'PATCH', '/v2/files/{id}', 400, { _title: 'x', _org: 'org-b' }),
    c('41 relations', 'PATCH', '/v2/files/{id}', 400, { relations: Array.from({ length: 41 }, (_, index) => ({ entity_id: `e-${index}` })) }),
    c('a relation id of 257 characters', 'PATCH', '/v2/files/{id}', 400, { relations: [{ entity_id: 'r'.repeat(257) }] }),
    c('101 tags', 'PATCH', '/v2/files/{id}', 400, { _tags: Array.from({ length: 101 }, (_, index) => `t${index}`) }),
    c('a title with a lone surrogate', 'PATCH', '/v2/files/{id}', 400, raw('{"_title":"\\ud800"}')),
    c('an id that is not a UUID', 'PATCH', '/v2/files/..%2Fetc', 400, { _title: 'x' }),
    c('an unknown id', 'PATCH', `/v2/files/${unknownId}`, 404, { _title: 'x' }),
    c("another org's id", 'PATCH', '/v2/files/{foreign}', 404, { _title: 'x' }),
    c("another org's id, granting the caller's org view of it", 'PATCH', '/v2/files/{foreign}', 404, { _acl: { view: ['org:org-a'] } }),
    c('a grant to a malformed principal', 'PATCH', '/v2/files/{id}', 400, { _acl: { view: ['user:org-a'] } }),
    c('a grant to a wildcard', 'PATCH', '/v2/files/{id}', 400, { _acl: { view: ['*'] } }),
    c('a grant with a control character', 'PATCH', '/v2/files/{id}', 400, { _acl: { view: ['user:org-a/al\u0000ice'] } }),
    c('a grant of edit to another org', 'PATCH', '/v2/files/{id}', 400, { _acl: { view: ['org:org-b'], edit: ['org:org-b'] } }),
    c('a grant for an action that does not exist', 'PATCH', '/v2/files/{id}', 400, { _acl: { view: ['org:org-a'], share: ['org:org-a'] } }),
    c('an _acl of 101 principals', 'PATCH', '/v2/files/{id}', 400, { _acl: { view: Array.from({ length: 101 }, (_, index) => `user:org-a/u${index}`) } }),
    c('an _acl that is a list', 'PATCH', '/v2/files/{id}', 400, { _acl: ['org:org-a'] }),
    c('an _acl listing the file for 91 principals', 'PATCH', '/v2/files/{id}', 400, { _acl: { view: Array.from({ length: 90 }, (_, index) => `user:org-a/u${index}`) } }),
    c('a JSON body over 1 MiB', 'PATCH', '/v2/files/{id}', 413, { _title: 'x', padding: overMiB }),
  ],
  'GET /v2/files (listFiles)': [
    c('limit 0', 'GET', '/v2/files?limit=0', 400),
    c('limit 1e2', 'GET', '/v2/files?limit=1e2', 400),
    c('an unknown parameter', 'GET', '/v2/files?org_id=org-b', 400),
    c('a cursor that is not one', 'GET', '/v2/files?cursor=%00%00', 400),
    c('a cursor of 5,000 characters', 'GET', `/v2/files?cursor=${'c'.repeat(5000)}`, 400),
    c('a MIME pattern with two wildcards', 'GET', '/v2/files?mime_type=*/*', 400),
    c('a size of 20 digits', 'GET', '/v2/files?size_min=99999999999999999999', 400),
    c('a date with a time but no zone', 'GET', '/v2/files?created_after=2024-01-01T00:00', 400),
    c('a relation id of 257 characters', 'GET', `/v2/files?relation=${'r'.repeat(257)}`, 400),
    c('a sort by an unknown field', 'GET', '/v2/files?sort=-org', 400),
    c('an extension with a slash', 'GET', '/v2/files?extension=..%2Fpdf', 400),
    c('shared that is not true or false', 'GET', '/v2/files?shared=yes', 400),
    c('shared together with relation', 'GET', '/v2/files?shared=true&relation=order-1', 400),
  ],
  'the router': [
    wrongMethod('PUT', '/v2/files/upload', 'POST, GET, DELETE'),
    wrongMethod('PATCH', '/v1/files/upload', 'POST, GET, DELETE'),
    wrongMethod('PUT', '/v2/files/{id}', 'GET, PATCH, DELETE'),
    wrongMethod('PUT', '/v1/files', 'POST'),
    wrongMethod('DELETE', '/v2/files', 'GET, POST'),
    wrongMethod('POST', '/v2/files/{id}', 'GET, PATCH, DELETE'),
    wrongMethod('PATCH', '/v1/files/{id}', 'GET, DELETE'),
    wrongMethod('POST', '/v1/files/{id}/download', 'GET'),
    wrongMethod('DELETE', '/v1/files/{id}/download', 'GET'),
    wrongMethod('GET', '/v1/files:downloadFiles', 'POST'),
    wrongMethod('PUT', '/v1/files:downloadFiles', 'POST'),
    wrongMethod('GET', '/v1/files:batchGet', 'POST'),
    noRoute('an unknown version of the API', 'GET', '/v3/files/{id}'),
    noRoute('a download route that only exists in v1', 'GET', '/v2/files/{id}/download'),
    noRoute('a bulk download route that only exists in v1', 'POST', '/v2/files:downloadFiles', [{ id: unknownId }]),
    noRoute('an unknown sub-resource', 'GET', '/v1/files/{id}/history'),
    noRoute('a trailing slash', 'GET', '/v1/files/{id}/download/'),
    noRoute('an empty id segment', 'GET', '/v2/files//download'),
    noRoute('an upper-case path', 'GET', '/V2/FILES/{id}'),
    noRoute('the root', 'GET', '/'),
  ],
};

for (const [group, cases] of Object.entries(groups)) {
  describe(group, () => {
    for (const { name, method, path, status, body, gatewayMessage, uploadAs } of cases) {
      it(`refuses ${name} with ${status}, and stores, changes and deletes nothing`, async () => {
        // Prepare
        const upload = typeof body === 'function'
          ? await stageUpload(own, { filename: 'upload.txt', mimeType: uploadAs ?? 'text/plain', bytes: 'not a PNG, just text' })
          : undefined;
        const fixtures = { ...shared, upload } as Fixtures;
        const json = () => JSON.stringify(typeof body === 'function' ? body(fixtures) : body);
        const payload = body === undefined ? undefined : body instanceof Raw ? body : raw(json());
        const before = await storage.snapshot();

        // Act
        const concrete = path
          .replaceAll('{id}', shared.file._id)
          .replaceAll('{foreign}', shared.foreign._id)
          .replaceAll('{upload}', shared.multipart.upload_id)
          .replaceAll('{foreignUpload}', shared.foreignMultipart.upload_id);
        const response = await sendRaw(stack.url, {
          method,
          path: concrete,
          token,
          ...(payload ? { body: payload.text, contentType: payload.contentType } : {}),
        });

        // Assess
        if (gatewayMessage) {
          expect({ status: response.status, body: response.body }).toEqual({ status, body: { message: gatewayMessage } });
          expect(response.headers.get('content-type')).toBe('application/json');
        } else {
          expectRefusal(response, status);
        }
        // A route's refusal is one the OpenAPI document lists for it (a path no route has is API Gateway's 404).
        const listed = documentedStatuses(document, method, concrete);
        if (listed) expect(listed).toContain(status);
        expect(await storage.snapshot()).toEqual(before);
      });
    }
  });
}

describe('hostile-looking input that is valid', () => {
  // eslint-disable-next-line no-control-regex
  const safeTempKey = /^temp\/org-a\/[0-9a-f-]{36}\/(?!\.)[^/\\\u0000-\u001f\u007f\u200b-\u200f\u202a-\u202e\u2066-\u2069]+$/;
  const uploads: Array<[name: string, body: unknown, contentType: string]> = [
    ['a filename that climbs directories', { filename: '../../etc/passwd' }, 'application/json'],
    ['a filename with NUL bytes and a right-to-left override', { filename: 'invoice\u0000\u202Etxt.exe' }, 'application/json'],
    ['a filename of emoji and combining marks', { filename: '👩‍💻 re\u0301sume\u0301 🧾.pdf' }, 'application/json'],
    ['a filename of exactly 1024 characters', { filename: `${'n'.repeat(1020)}.txt` }, 'application/json'],
    ['extra fields the schema does not know', { filename: 'a.txt', _org: 'org-b', bucket: 'elsewhere' }, 'application/json'],
    ['a JSON body labelled text/plain', { filename: 'a.txt' }, 'text/plain'],
  ];

  it.each(uploads)('gives an upload URL for %s, under a safe key of the caller’s org, storing only the upload’s pending record', async (_name, body, contentType) => {
    // Prepare
    const before = await storage.snapshot();

    // Act
    const response = await sendRaw(stack.url, { method: 'POST', path: '/v2/files/upload', token, body: JSON.stringify(body), contentType });

    // Assess
    expect(response.status).toBe(201);
    const ticket = response.body as Ticket;
    expect(ticket.s3ref).toEqual({ bucket: localBucket, key: expect.stringMatching(safeTempKey) });
    expect(ticket.s3ref.key.length).toBeLessThanOrEqual(300);
    const after = await storage.snapshot();
    expect(after.objects).toEqual(before.objects);
    const added = after.items.filter((item) => !before.items.includes(item));
    expect(added).toHaveLength(1);
    expect(added[0]).toContain(`"PENDING#org-a#${ticket.s3ref.key.split('/')[2]}"`);
    expect(before.items.filter((item) => !after.items.includes(item))).toEqual([]);
  });

  it('answers a saved file’s own s3ref with the file it became, as a repeated save, changing nothing', async () => {
    // Prepare
    const before = await storage.snapshot();

    // Act
    const response = await own.post<Entity>('/v2/files', { s3ref: shared.file.s3ref });

    // Assess
    expect(response.status).toBe(201);
    expect(response.body._id).toBe(shared.file._id);
    expect(await storage.snapshot()).toEqual(before);
  });

  it('saves a file with extra fields claiming another org as the caller’s own, keeping the odd filename verbatim', async () => {
    // Prepare
    const upload = await stageUpload(own, { filename: 'report.txt', mimeType: 'text/plain', bytes: 'twelve bytes' });
    const filename = '../../org-b/\u0000\u202Etxt.exe 👩‍💻';

    // Act
    const response = await own.post<Entity>('/v2/files', {
      s3ref: upload.s3ref,
      filename,
      _org: 'org-b',
      size_bytes: 1,
      versions: [],
    });

    // Assess
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      _org: 'org-a',
      _owners: [{ org_id: 'org-a', user_id: 'alice' }],
      _acl: { view: ['org:org-a'], edit: ['org:org-a'], delete: ['org:org-a'] },
      filename,
      size_bytes: 12,
    });
    expect(response.body.versions).toHaveLength(1);
    // eslint-disable-next-line no-control-regex
    expect(response.body.s3ref.key).toMatch(/^files\/org-a\/[0-9a-f-]{36}\/[0-9a-f-]{36}\/[^/\u0000\u202e]+$/);
    expect((await storage.keys()).filter((key) => !/^(temp|files)\/org-[ab]\//.test(key))).toEqual([]);
  });

  it('lists a file in a bulk download even when its entry carries extra fields', async () => {
    // Act
    const response = await own.post('/v1/files:downloadFiles', [{ id: shared.file._id, version: 0, note: { deep: [1, 2] } }]);

    // Assess
    expect(response.status).toBe(200);
    expect(response.body).toEqual([{ file_entity_id: shared.file._id, download_url: expect.stringMatching(/^http/) }]);
  });
});
