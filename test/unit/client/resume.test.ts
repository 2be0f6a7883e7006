import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileResumeStore, fingerprint, memoryResumeStore, type ResumeEntry } from '../../../client';
import { openSource } from '../../../client/sources';

const entry = (uploadId: string, createdAt = new Date().toISOString()): ResumeEntry => ({
  upload_id: uploadId,
  s3ref: { bucket: 'bucket', key: `files/org/${uploadId}/x.bin` },
  part_size: 8 * 1024 * 1024,
  size_bytes: 20 * 1024 * 1024,
  created_at: createdAt,
});

let directory: string;

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'resume-'));
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('the fingerprint of an upload source', () => {
  it('differs by service, target file, name, size and content identity, and ignores a trailing slash', () => {
    // Prepare
    const base = { baseUrl: 'https://files.example.com', identity: 'path:/a.bin:1', size: 10, filename: 'a.bin' };

    // Act
    const variants = [
      fingerprint(base),
      fingerprint({ ...base, baseUrl: 'https://other.example.com' }),
      fingerprint({ ...base, fileEntityId: 'f1' }),
      fingerprint({ ...base, filename: 'b.bin' }),
      fingerprint({ ...base, size: 11 }),
      fingerprint({ ...base, identity: 'path:/a.bin:2' }),
    ];

    // Assess
    expect(new Set(variants).size).toBe(variants.length);
    expect(fingerprint({ ...base, baseUrl: 'https://files.example.com/' })).toBe(variants[0]);
  });

  it('tells apart two byte arrays of the same size and agrees on equal ones', async () => {
    // Prepare
    const size = 1024 * 1024;
    const one = new Uint8Array(size).fill(7);
    const same = new Uint8Array(size).fill(7);
    const other = new Uint8Array(size).fill(7);
    other[size - 1] = 8;

    // Act
    const [a, b, c] = await Promise.all([one, same, other].map(async (bytes) => (await openSource(bytes)).identity));

    // Assess
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });

  it('names a File by its name and last modification, and a path by its absolute path and mtime', async () => {
    // Prepare
    const file = new File(['abc'], 'notes.txt', { lastModified: 1_700_000_000_000 });
    const path = join(directory, 'disk.bin');
    await writeFile(path, 'xyz');

    // Act
    const fromFile = await openSource(file);
    const fromPath = await openSource({ path });
    const bytes = await fromPath.slice(1, 3);
    await fromPath.close();

    // Assess
    expect(fromFile).toMatchObject({ name: 'notes.txt', size: 3, identity: 'file:notes.txt:1700000000000' });
    expect(fromPath).toMatchObject({ name: 'disk.bin', size: 3 });
    expect(fromPath.identity).toMatch(new RegExp(`^path:${path}:\\d+$`));
    expect(new TextDecoder().decode(bytes as Uint8Array)).toBe('yz');
  });
});

describe('the resume stores', () => {
  it('keeps, answers and forgets an entry in memory', async () => {
    // Prepare
    const store = memoryResumeStore();

    // Act
    await store.set('k', entry('u1'));
    const kept = await store.get('k');
    await store.delete('k');

    // Assess
    expect(kept).toEqual(entry('u1', kept?.created_at));
    expect(await store.get('k')).toBeUndefined();
  });

  it('keeps entries in a file across instances without losing concurrent writes', async () => {
    // Prepare
    const path = join(directory, 'nested', 'uploads.json');
    const writer = fileResumeStore(path);

    // Act
    await Promise.all(['a', 'b', 'c'].map((key) => writer.set(key, entry(`u-${key}`))));
    await writer.delete('b');
    const reader = fileResumeStore(path);

    // Assess
    expect((await reader.get('a'))?.upload_id).toBe('u-a');
    expect(await reader.get('b')).toBeUndefined();
    expect((await reader.get('c'))?.upload_id).toBe('u-c');
  });

  it('drops entries older than a day, which S3 has aborted by then', async () => {
    // Prepare
    const path = join(directory, 'uploads.json');
    await writeFile(path, JSON.stringify({ old: entry('u-old', new Date(Date.now() - 25 * 3600 * 1000).toISOString()), fresh: entry('u-fresh') }));
    const store = fileResumeStore(path);

    // Act
    const old = await store.get('old');
    await store.set('another', entry('u-another'));

    // Assess
    expect(old).toBeUndefined();
    expect(Object.keys(JSON.parse(await readFile(path, 'utf8')) as object).sort()).toEqual(['another', 'fresh']);
  });

  it('answers nothing for a damaged file and replaces it on the next write', async () => {
    // Prepare
    const path = join(directory, 'uploads.json');
    await writeFile(path, '{ not json');
    const store = fileResumeStore(path);

    // Act
    const before = await store.get('k');
    await store.set('k', entry('u1'));

    // Assess
    expect(before).toBeUndefined();
    expect((await store.get('k'))?.upload_id).toBe('u1');
  });
});
