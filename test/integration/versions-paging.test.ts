import { beforeAll, describe, expect, it } from 'vitest';
import { Api, downloadBytes, putBytes, tokensFor, uploadFile } from './support/api';
import type { Entity, Ticket } from './support/api';
import { useLocalStack } from './support/stack';

const context = useLocalStack();

/** More versions than the entity carries (100), so some can only be reached by paging. */
const versionCount = 105;

interface VersionItem {
  version: number;
  s3ref: { bucket: string; key: string };
  filename: string;
  size_bytes: number;
  readable_size: string;
  mime_type: string;
  created_at: string;
}

interface VersionPage {
  results: VersionItem[];
  next_cursor?: string;
}

const bytesOf = (number: number) => Buffer.from(`bytes of version ${number}`);

let file: Entity;

/** Adds versions 2..count through the API: uploads and PUTs in parallel, saves in small batches. */
async function addVersions(api: Api, id: string, count: number): Promise<Entity> {
  let latest: Entity | undefined;
  for (let first = 2; first <= count; first += 8) {
    const numbers = Array.from({ length: Math.min(8, count - first + 1) }, (_, index) => first + index);
    const tickets = await Promise.all(
      numbers.map(async (number) => {
        const ticket = await api.post<Ticket>(`/v2/files/upload?file_entity_id=${id}`, { filename: `v${number}.txt`, mime_type: 'text/plain' });
        expect((await putBytes(ticket.body.upload_url, bytesOf(number), 'text/plain')).status).toBe(200);
        return ticket.body;
      }),
    );
    // In order, so that version n holds the bytes of upload n.
    for (const ticket of tickets) {
      const saved = await api.post<Entity>('/v2/files', { _id: id, s3ref: ticket.s3ref, filename: ticket.s3ref.key.split('/').at(-1) });
      expect(saved.status).toBe(200);
      latest = saved.body;
    }
  }
  if (!latest) throw new Error('no version added');
  return latest;
}

async function allPages(api: Api, id: string, limit: number): Promise<VersionPage[]> {
  const pages: VersionPage[] = [];
  let cursor: string | undefined;
  do {
    const query = `limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const page = await api.get<VersionPage>(`/v1/files/${id}/versions?${query}`);
    expect(page.status).toBe(200);
    pages.push(page.body);
    cursor = page.body.next_cursor;
  } while (cursor && pages.length < 50);
  return pages;
}

describe('a file with more versions than its entity carries', () => {
  let lastSave: Entity;

  beforeAll(async () => {
    file = await uploadFile(context.api, { filename: 'v1.txt', mimeType: 'text/plain', bytes: bytesOf(1) });
    lastSave = await addVersions(context.api, file._id, versionCount);
  }, 120_000);

  it('carries only the 100 newest versions, newest first, in every response', async () => {
    // Act
    const fetched = await context.api.get<Entity>(`/v2/files/${file._id}`);

    // Assess
    expect(fetched.status).toBe(200);
    expect(fetched.body.versions).toHaveLength(100);
    expect(lastSave.versions).toHaveLength(100);
    expect(fetched.body.versions[0]?.filename).toBe(`v${versionCount}.txt`);
    expect(fetched.body.versions[99]?.filename).toBe(`v${versionCount - 99}.txt`);
  });

  it('pages through every version newest first, each with the index download takes', async () => {
    // Act
    const pages = await allPages(context.api, file._id, 40);

    // Assess
    expect(pages.map((page) => page.results.length)).toEqual([40, 40, 25]);
    expect(pages.at(-1)?.next_cursor).toBeUndefined();
    const versions = pages.flatMap((page) => page.results);
    expect(versions.map((version) => version.version)).toEqual(Array.from({ length: versionCount }, (_, index) => index));
    expect(versions.map((version) => version.filename)).toEqual(
      Array.from({ length: versionCount }, (_, index) => `v${versionCount - index}.txt`),
    );
    const fetched = await context.api.get<Entity>(`/v2/files/${file._id}`);
    expect(versions.slice(0, 100).map((version) => version.s3ref)).toEqual(fetched.body.versions.map((version) => version.s3ref));
    expect(versions[0]).toMatchObject({ mime_type: 'text/plain', size_bytes: bytesOf(versionCount).length, readable_size: expect.any(String) });
  });

  it('answers 50 versions and a cursor without a limit', async () => {
    // Act
    const page = await context.api.get<VersionPage>(`/v1/files/${file._id}/versions`);

    // Assess
    expect(page.status).toBe(200);
    expect(page.body.results).toHaveLength(50);
    expect(page.body.next_cursor).toEqual(expect.any(String));
  });

  it('downloads the bytes of versions beyond the 100 the entity carries', async () => {
    // Act
    const oldest = await downloadBytes(context.api, file._id, versionCount - 1);
    const third = await downloadBytes(context.api, file._id, versionCount - 3);

    // Assess
    expect(oldest.toString()).toBe(bytesOf(1).toString());
    expect(third.toString()).toBe(bytesOf(3).toString());
  });

  it("refuses another file's cursor and a cursor it never gave with 400", async () => {
    // Prepare
    const other = await uploadFile(context.api, { filename: 'o.txt', mimeType: 'text/plain', bytes: bytesOf(0) });
    const page = await context.api.get<VersionPage>(`/v1/files/${file._id}/versions?limit=1`);
    const cursor = encodeURIComponent(page.body.next_cursor ?? '');

    // Act
    const responses = await Promise.all(
      [`/v1/files/${other._id}/versions?cursor=${cursor}`, `/v1/files/${file._id}/versions?cursor=not-a-cursor`,
        `/v1/files/${file._id}/versions?cursor=${Buffer.from('{"file":1}').toString('base64url')}`]
        .map((path) => context.api.get(path)),
    );

    // Assess
    expect(responses.map((response) => response.status)).toEqual([400, 400, 400]);
    expect(responses[0]?.body).toEqual({ status: 400, error: expect.stringContaining('cursor') });
  });

  it.each(['0', '101', 'ten', '-1', '1.5'])('refuses limit=%s with 400', async (limit) => {
    // Act
    const response = await context.api.get(`/v1/files/${file._id}/versions?limit=${limit}`);

    // Assess
    expect(response).toMatchObject({ status: 400, body: { status: 400, error: expect.stringContaining('limit') } });
  });

  it("answers 404 for another org's file and for an unknown one", async () => {
    // Prepare
    const other = new Api(context.stack.url, (await tokensFor(context.stack)).other);

    // Act
    const responses = await Promise.all([
      other.get(`/v1/files/${file._id}/versions`),
      context.api.get('/v1/files/0f8fad5b-d9cb-469f-a165-70867728950e/versions'),
    ]);

    // Assess
    expect(responses.map((response) => response.status)).toEqual([404, 404]);
  });
});
