import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack } from '../../local/stack';
import type { LocalStack } from '../../local/stack';
import { Api, tokensFor, uploadFile } from './support/api';
import type { Entity } from './support/api';
import { bytesAt, openWithoutToken } from './support/public';
import { expectRefusal, sendRaw } from './support/requests';
import { Storage } from './support/storage';
import { documentedStatuses } from './support/openapi';
import { openApiDocument } from '../../lambdas/http/openapi';

/**
 * Hostile input at the public file and public link routes: each request is refused with its
 * own 4xx (an ErrorObject, or API Gateway's own `{"message"}`), and the bucket and the table
 * are exactly as before it. The routes reached without a token answer anything that names
 * no public file or live link with a 404, whatever its shape.
 */

let stack: LocalStack;
/** What the OpenAPI document lists for each route: every refusal below must be among it. */
const document = openApiDocument();
let token: string;
let storage: Storage;
/** Shared by every case; no case may change them. */
let shared: { file: Entity; foreign: Entity; link: string; foreignLink: string };

beforeAll(async () => {
  stack = await startLocalStack({});
  const tokens = await tokensFor(stack);
  token = tokens.own;
  const own = new Api(stack.url, tokens.own);
  const other = new Api(stack.url, tokens.other);
  storage = new Storage(stack);
  const file = await uploadFile(own, { filename: 'mine.txt', mimeType: 'text/plain', bytes: Buffer.from('org-a only') });
  const foreign = await uploadFile(other, { filename: 'theirs.txt', mimeType: 'text/plain', bytes: Buffer.from('org-b only') });
  shared = {
    file,
    foreign,
    link: (await own.post<string>(`/v1/files/${file._id}/public/links`)).body,
    foreignLink: (await other.post<string>(`/v1/files/${foreign._id}/public/links`)).body,
  };
});

afterAll(async () => {
  storage?.close();
  await stack?.stop();
});

interface Case {
  name: string;
  method: string;
  path: string;
  status: number;
  /** JSON to send, or a string sent byte for byte. */
  body?: unknown;
  raw?: string;
  /** Sent without a token, as a browser follows a public URL. */
  anonymous?: boolean;
  /** API Gateway answers this case itself, with `{"message": ...}` instead of `{status, error}`. */
  gatewayMessage?: string;
}

const MiB = 1024 * 1024;
const unknownId = '00000000-0000-4000-8000-000000000000';
const unknownLink = 'A'.repeat(32);
const long = 'a'.repeat(10_000);
const inYears = (years: number) => new Date(Date.now() + years * 365.25 * 24 * 3600_000).toISOString();
/** A month ahead: well within a link's lifetime, so only the shape of a value can be wrong. */
const soon = inYears(1 / 12);
const c = (name: string, method: string, path: string, status: number, body?: unknown): Case => ({ name, method, path, status, body });
const anon = (name: string, path: string, status: number): Case => ({ name, method: 'GET', path, status, anonymous: true });
const raw = (name: string, path: string, text: string): Case => ({ name, method: 'POST', path, status: 400, raw: text });
const noRoute = (name: string, method: string, path: string): Case => ({ name, method, path, status: 404, gatewayMessage: 'Not Found' });
const links = '/v1/files/{id}/public/links';

const groups: Record<string, Case[]> = {
  'GET /v1/files/public/{id} (getPublicFile, no token)': [
    anon('an id that climbs directories', '/v1/files/public/..%2F..%2Fetc%2Fpasswd?org_id=org-a', 404),
    anon('a NUL byte as id', '/v1/files/public/%00?org_id=org-a', 404),
    anon('an id of 10,000 characters', `/v1/files/public/${long}?org_id=org-a`, 404),
    anon('an SQL-ish id', `/v1/files/public/${encodeURIComponent("' OR '1'='1")}?org_id=org-a`, 404),
    anon('malformed percent-encoding', '/v1/files/public/%E0%A4%A?org_id=org-a', 404),
    anon('an own id followed by a newline', '/v1/files/public/{id}%0A?org_id=org-a', 404),
    anon('an unknown id', `/v1/files/public/${unknownId}?org_id=org-a`, 404),
    anon('no org_id', '/v1/files/public/{id}', 404),
    anon('org_id given twice', '/v1/files/public/{id}?org_id=org-a&org_id=org-a', 404),
    anon('a wildcard org_id', '/v1/files/public/{id}?org_id=*', 404),
    anon('an org_id that climbs directories', '/v1/files/public/{id}?org_id=..%2Forg-a', 404),
    anon('an org_id of 10,000 characters', `/v1/files/public/{id}?org_id=${long}`, 400),
    anon("another org's file under the own org", '/v1/files/public/{foreign}?org_id=org-a', 404),
    anon('an own private file', '/v1/files/public/{id}?org_id=org-a', 403),
    anon("another org's private file under its org", '/v1/files/public/{foreign}?org_id=org-b', 403),
  ],
  'GET /v1/files/public/{id}/preview (previewPublicFile, no token)': [
    anon('a NUL byte as id', '/v1/files/public/%00/preview?org_id=org-a', 404),
    anon('an unknown id', `/v1/files/public/${unknownId}/preview?org_id=org-a`, 404),
    anon('no org_id', '/v1/files/public/{id}/preview', 404),
    anon('an org_id of 10,000 characters', `/v1/files/public/{id}/preview?org_id=${long}`, 400),
    anon("another org's file under the own org", '/v1/files/public/{foreign}/preview?org_id=org-a', 404),
    anon('an own private file', '/v1/files/public/{id}/preview?org_id=org-a', 403),
    anon('w 0', '/v1/files/public/{id}/preview?org_id=org-a&w=0', 400),
    anon('w 2049', '/v1/files/public/{id}/preview?org_id=org-a&w=2049', 400),
    anon('a version that does not exist', '/v1/files/public/{id}/preview?org_id=org-a&version=4', 403),
  ],
  'POST /v1/files/{id}/public/links (generatePublicLink)': [
    raw('truncated JSON', links, '{"expires_at":'),
    raw('JSON behind a byte order mark', links, '\ufeff{}'),
    c('a JSON array', 'POST', links, 400, []),
    c('a JSON string', 'POST', links, 400, soon),
    c('JSON null', 'POST', links, 400, null),
    c('an expires_at that is a number', 'POST', links, 400, { expires_at: Date.parse(soon) / 1000 }),
    c('an expires_at that is null', 'POST', links, 400, { expires_at: null }),
    c('an expires_at that is not a date', 'POST', links, 400, { expires_at: 'tomorrow' }),
    c('an expires_at without a time', 'POST', links, 400, { expires_at: soon.slice(0, 10) }),
    c('an expires_at of February 30th', 'POST', links, 400, { expires_at: `${soon.slice(0, 4)}-02-30T00:00:00Z` }),
    c('an expires_at with a lone surrogate', 'POST', links, 400, { expires_at: `${soon}\ud800` }),
    c('an expires_at without its offset', 'POST', links, 400, { expires_at: soon.slice(0, 19) }),
    c('an expires_at in the past', 'POST', links, 400, { expires_at: '2001-01-01T00:00:00Z' }),
    c('an expires_at two years ahead', 'POST', links, 400, { expires_at: inYears(2) }),
    c('an id that is not a UUID', 'POST', '/v1/files/not-a-uuid/public/links', 400),
    c('an id that climbs directories', 'POST', '/v1/files/..%2F..%2Fetc/public/links', 400),
    c('an unknown id', 'POST', `/v1/files/${unknownId}/public/links`, 404),
    c("another org's id", 'POST', '/v1/files/{foreign}/public/links', 404),
    c('a JSON body over 1 MiB', 'POST', links, 413, { padding: 'x'.repeat(MiB) }),
    { ...c('a body over 10 MB', 'POST', links, 413), raw: ' '.repeat(10 * MiB + 1), gatewayMessage: 'Request Entity Too Large' },
  ],
  'GET /v1/files/{id}/public/links (listPublicLinksForFile)': [
    c('an id that is not a UUID', 'GET', '/v1/files/not-a-uuid/public/links', 400),
    c('a NUL byte as id', 'GET', '/v1/files/%00/public/links', 400),
    c('an id of 10,000 characters', 'GET', `/v1/files/${long}/public/links`, 400),
    c('an unknown id', 'GET', `/v1/files/${unknownId}/public/links`, 404),
    c("another org's id", 'GET', '/v1/files/{foreign}/public/links', 404),
  ],
  'GET /v1/files/public/links/{id}/{filename} (accessPublicLink, no token)': [
    anon('an unknown link id', `/v1/files/public/links/${unknownLink}/a.txt`, 404),
    anon('a link id one character short', '/v1/files/public/links/{linkShort}/a.txt', 404),
    anon('a link id of 10,000 characters', `/v1/files/public/links/${long}/a.txt`, 404),
    anon('a link id that climbs directories', '/v1/files/public/links/..%2F..%2Fx/a.txt', 404),
    anon('a NUL byte as link id', '/v1/files/public/links/%00/a.txt', 404),
    anon('malformed percent-encoding as link id', '/v1/files/public/links/%E0%A4%A/a.txt', 404),
    anon('a file id instead of a link id', '/v1/files/public/links/{id}/mine.txt', 404),
  ],
  'DELETE /v1/files/public/links/{id} (revokePublicLink)': [
    c('a link id that is not one', 'DELETE', '/v1/files/public/links/not-a-link', 400),
    c('a wildcard link id', 'DELETE', '/v1/files/public/links/*', 400),
    c('a link id of 10,000 characters', 'DELETE', `/v1/files/public/links/${long}`, 400),
    c('a NUL byte as link id', 'DELETE', '/v1/files/public/links/%00', 400),
    c('a file id instead of a link id', 'DELETE', '/v1/files/public/links/{id}', 400),
    c('an unknown link id', 'DELETE', `/v1/files/public/links/${unknownLink}`, 404),
    c("another org's link", 'DELETE', '/v1/files/public/links/{foreignLink}', 404),
  ],
  'the router': [
    noRoute('POST to a public file', 'POST', '/v1/files/public/{id}?org_id=org-a'),
    noRoute('DELETE of a public file', 'DELETE', '/v1/files/public/{id}?org_id=org-a'),
    noRoute('PUT to the links of a file', 'PUT', links),
    noRoute('DELETE of the links of a file', 'DELETE', links),
    noRoute('GET of a link without its filename', 'GET', '/v1/files/public/links/{link}'),
    noRoute('DELETE of a link with its filename', 'DELETE', '/v1/files/public/links/{link}/a.txt'),
    noRoute('an empty link id', 'GET', '/v1/files/public/links//a.txt'),
    noRoute('a link with an empty filename', 'GET', '/v1/files/public/links/{link}/'),
    noRoute('public links in v2', 'GET', '/v2/files/public/links/{link}/a.txt'),
    noRoute('a POST to the OpenAPI document', 'POST', '/openapi.json'),
    noRoute('a DELETE of the OpenAPI document', 'DELETE', '/openapi.json'),
    noRoute('the OpenAPI document under v1', 'GET', '/v1/openapi.json'),
  ],
};

const linkIdOf = (link: string) => link.split('/').at(-2) ?? '';

for (const [group, cases] of Object.entries(groups)) {
  describe(group, () => {
    for (const { name, method, path, status, body, raw: text, anonymous, gatewayMessage } of cases) {
      it(`refuses ${name} with ${status}, and stores, changes and deletes nothing`, async () => {
        // Prepare
        const before = await storage.snapshot();
        const payload = text ?? (body === undefined ? undefined : JSON.stringify(body));

        // Act
        const concrete = path
          .replaceAll('{id}', shared.file._id)
          .replaceAll('{foreign}', shared.foreign._id)
          .replaceAll('{linkShort}', linkIdOf(shared.link).slice(1))
          .replaceAll('{link}', linkIdOf(shared.link))
          .replaceAll('{foreignLink}', linkIdOf(shared.foreignLink));
        const response = await sendRaw(stack.url, {
          method,
          path: concrete,
          ...(anonymous ? {} : { token }),
          ...(payload !== undefined ? { body: payload } : {}),
        });

        // Assess
        if (gatewayMessage) {
          expect({ status: response.status, body: response.body }).toEqual({ status, body: { message: gatewayMessage } });
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
  it.each([
    ['climbs directories', '..%2F..%2Fetc%2Fpasswd'],
    ['carries a NUL byte and an executable extension', 'invoice%00.exe'],
    ['carries markup', '%3Cscript%3Ealert(1)%3C%2Fscript%3E.html'],
    ['is 2,000 characters long', 'n'.repeat(2000)],
  ])('opens a link whose filename segment %s, with the file’s own name and bytes', async (_case, filename) => {
    // Act
    const answer = await openWithoutToken(`${stack.url}/v1/files/public/links/${linkIdOf(shared.link)}/${filename}`);

    // Assess
    expect(answer.status).toBe(302);
    const disposition = new URL(answer.location ?? '').searchParams.get('response-content-disposition') ?? '';
    expect(disposition).toContain('mine.txt');
    expect(disposition).not.toMatch(/passwd|exe|script|nnnn/);
    expect(await bytesAt(answer.location)).toBe('org-a only');
  });

  it('serves the OpenAPI document whatever query, headers and body come with the request, naming no other host than the one asked', async () => {
    // Act
    const answer = await fetch(`${stack.url}/openapi.json?servers=https://evil.example&__proto__=x`, {
      headers: { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'javascript', authorization: 'Bearer not-a-token', cookie: 'token=a.b.c' },
    });

    // Assess
    expect(answer.status).toBe(200);
    const served = (await answer.json()) as { servers: Array<{ url: string }> };
    expect(served.servers).toEqual([{ url: stack.url }]);
  });

  it('makes a link from a body with fields it does not know, and from no body at all', async () => {
    // Prepare
    const own = new Api(stack.url, token);

    // Act
    const withExtras = await own.post<string>(`/v1/files/${shared.file._id}/public/links`, { org: 'org-b', file_id: shared.foreign._id, id: 'mine' });
    const withoutBody = await own.post<string>(`/v1/files/${shared.file._id}/public/links`);

    // Assess
    expect([withExtras.status, withoutBody.status]).toEqual([201, 201]);
    for (const made of [withExtras.body, withoutBody.body]) {
      expect(made).toMatch(/\/v1\/files\/public\/links\/[\w-]{32}\/mine\.txt$/);
      expect(await bytesAt((await openWithoutToken(made)).location)).toBe('org-a only');
    }
  });
});
