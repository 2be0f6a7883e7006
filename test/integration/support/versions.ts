import { expect } from 'vitest';
import { downloadBytes } from './api';
import type { Api, Entity } from './api';
import type { Storage } from './storage';

/** The version numbers the table holds for a file, ascending. */
export async function storedVersionNumbers(storage: Storage, org: string, id: string): Promise<number[]> {
  const items = await storage.documents();
  return items
    .filter((item) => item.pk === `FILE#${org}#${id}` && String(item.sk).startsWith('VERSION#'))
    .map((item) => Number(item.version))
    .sort((a, b) => a - b);
}

/**
 * Asserts that a file is whole: its versions are numbered 1..n without a gap, every version
 * downloads, and the entity describes its latest version. Returns the bytes of each version,
 * newest first, for the caller to compare with what it uploaded.
 */
export async function expectWholeFile(api: Api, storage: Storage, org: string, id: string): Promise<Buffer[]> {
  const fetched = await api.get<Entity>(`/v2/files/${id}`);
  expect(fetched.status).toBe(200);
  const entity = fetched.body;
  const count = entity.versions.length;
  expect(await storedVersionNumbers(storage, org, id)).toEqual(Array.from({ length: count }, (_unused, index) => index + 1));
  expect(new Set(entity.versions.map((version) => version.s3ref.key)).size).toBe(count);
  const latest = entity.versions[0];
  expect(entity).toMatchObject({
    s3ref: latest?.s3ref,
    filename: latest?.filename,
    size_bytes: latest?.size_bytes,
    mime_type: (latest as { mime_type?: string } | undefined)?.mime_type,
  });
  const bytes: Buffer[] = [];
  // A few downloads at a time: the point is every version's bytes, not load on the service.
  for (let start = 0; start < count; start += 8) {
    const indexes = Array.from({ length: Math.min(8, count - start) }, (_unused, offset) => start + offset);
    bytes.push(...(await Promise.all(indexes.map((index) => downloadBytes(api, id, index)))));
  }
  bytes.forEach((downloaded, index) => expect(downloaded.length).toBe(entity.versions[index]?.size_bytes));
  return bytes;
}
