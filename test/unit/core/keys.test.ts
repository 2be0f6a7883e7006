import { safeParse } from 'zod/mini';
import { describe, expect, it } from 'vitest';
import { parseTempKey, permanentKey, safeKeySegment, tempKey } from '../../../lambdas/core/keys';
import { uploadBody } from '../../../lambdas/http/schemas';
import { randomNames } from '../support/random-names';

const uploadId = '3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b';
const fileId = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';

describe('safeKeySegment', () => {
  it('turns a path traversal into one harmless segment', () => {
    // Act
    const segment = safeKeySegment('../../etc/passwd');

    // Assess
    expect(segment).not.toContain('/');
    expect(segment.startsWith('.')).toBe(false);
    expect(segment).not.toContain('..');
    expect(segment).toContain('passwd');
  });

  it('replaces slashes and backslashes so the name cannot add key levels', () => {
    // Act
    const segment = safeKeySegment('a/b\\c/..\\d.txt');

    // Assess
    expect(segment).not.toMatch(/[/\\]/);
    expect(segment.endsWith('d.txt')).toBe(true);
  });

  it('removes control characters, zero-width characters and bidi overrides', () => {
    // Prepare
    const spoofed = 'in\u0000vo\u0007ice\u200b\u202egpj.exe\u2066\u0085.pdf';

    // Act
    const segment = safeKeySegment(spoofed);

    // Assess
    expect(segment).toBe('invoicegpj.exe.pdf');
  });

  it('drops leading dots so the name is neither hidden nor a relative reference', () => {
    // Act
    const segments = ['.htaccess', '...secret.txt', '..', '.'].map(safeKeySegment);

    // Assess
    expect(segments).toEqual(['htaccess', 'secret.txt', 'file', 'file']);
  });

  it('keeps unicode letters, spaces and the extension', () => {
    // Act
    const segment = safeKeySegment('Bericht März 2024 – Ωmega 報告.pdf');

    // Assess
    expect(segment).toBe('Bericht März 2024 – Ωmega 報告.pdf');
  });

  it('normalizes decomposed unicode to NFC', () => {
    // Act
    const segment = safeKeySegment('Ma\u0308rz.txt');

    // Assess
    expect(segment).toBe('M\u00e4rz.txt');
  });

  it('bounds a very long name to 200 characters and keeps its extension', () => {
    // Prepare
    const longName = `${'x'.repeat(5000)}.pdf`;

    // Act
    const segment = safeKeySegment(longName);

    // Assess
    expect(Array.from(segment).length).toBeLessThanOrEqual(200);
    expect(segment.endsWith('.pdf')).toBe(true);
    expect(segment.startsWith('xxx')).toBe(true);
  });

  it('bounds names of astral characters by characters without splitting surrogate pairs', () => {
    // Act
    const segment = safeKeySegment(`${'😀'.repeat(300)}.png`);

    // Assess
    expect(Array.from(segment).length).toBeLessThanOrEqual(200);
    expect(segment.endsWith('.png')).toBe(true);
    expect(segment).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
  });

  it.each(['', '   ', '\u0000\u0001', '\u202e', '...'])('falls back to "file" for %j', (name) => {
    // Act
    const segment = safeKeySegment(name);

    // Assess
    expect(segment).toBe('file');
  });
});

describe('safeKeySegment on any name', () => {
  const names = randomNames(20240501, 20_000);

  it.each([
    '.. report.pdf.txt',
    '. .txt',
    'a\u200b\u0301.txt',
    // Cut to 200 characters: a dot meets the extension's dot, and the extension ends on a space.
    `${'a'.repeat(183)}.${'x'.repeat(10)}.${'b'.repeat(20)}`,
    `${'a'.repeat(200)}.abcdefghijklmn xyz`,
  ])(
    'gives %j a segment that stays as it is when sanitised again',
    (name) => {
      // Act
      const once = safeKeySegment(name);

      // Assess
      expect(safeKeySegment(once)).toBe(once);
    },
  );

  it('is idempotent for 20,000 seeded random names over the whole Unicode range', () => {
    // Act
    const unstable = names.filter((name) => safeKeySegment(safeKeySegment(name)) !== safeKeySegment(name));

    // Assess
    expect(unstable.map((name) => JSON.stringify(name)).slice(0, 5)).toEqual([]);
  });

  it('always gives one bounded, visible, well-formed segment', () => {
    // Act
    const segments = names.map(safeKeySegment);

    // Assess
    const bad = segments.filter(
      (segment) =>
        segment.length === 0 ||
        Array.from(segment).length > 200 ||
        // eslint-disable-next-line no-control-regex
        /[/\\]|\.\.|^[.\s]|\s$|[\u0000-\u001f\u007f-\u009f]/.test(segment) ||
        /[\ud800-\udfff]/u.test(segment) ||
        segment.normalize('NFC') !== segment,
    );
    expect(bad.map((segment) => JSON.stringify(segment)).slice(0, 5)).toEqual([]);
  });

  it('gives every name that uploadFile accepts a temp key that save accepts', () => {
    // Prepare
    const accepted = names.filter((filename) => safeParse(uploadBody, { filename }).success);

    // Act
    const refused = accepted.filter((filename) => {
      const parsed = parseTempKey('org-1', tempKey('org-1', uploadId, filename));
      return parsed?.uploadId !== uploadId || parsed.name !== safeKeySegment(filename);
    });

    // Assess
    expect(accepted.length).toBeGreaterThan(10_000);
    expect(refused.map((name) => JSON.stringify(name)).slice(0, 5)).toEqual([]);
  });
});

describe('tempKey and permanentKey', () => {
  it('puts uploads under temp/<org>/<uploadId>/', () => {
    // Act
    const key = tempKey('org-1', uploadId, 'report.pdf');

    // Assess
    expect(key).toBe(`temp/org-1/${uploadId}/report.pdf`);
  });

  it('puts saved versions under files/<org>/<fileId>/ and never under temp/', () => {
    // Act
    const key = permanentKey('org-1', fileId, uploadId, '../temp/x.pdf');

    // Assess
    expect(key.startsWith(`files/org-1/${fileId}/${uploadId}/`)).toBe(true);
    expect(key.startsWith('temp/')).toBe(false);
    expect(key.split('/')).toHaveLength(5);
  });

  it('encodes an org id containing a slash so it stays one segment', () => {
    // Act
    const temp = tempKey('../other-org', uploadId, 'a.txt');
    const permanent = permanentKey('evil/../other', fileId, uploadId, 'a.txt');

    // Assess
    expect(temp.split('/')).toHaveLength(4);
    expect(temp.startsWith('temp/..%2Fother-org/')).toBe(true);
    expect(permanent.split('/')).toHaveLength(5);
    expect(permanent.split('/')[1]).toBe('evil%2F..%2Fother');
  });

  it('keeps every key within S3’s 1,024 bytes for the longest org id and name, and apart for orgs that differ in one character', () => {
    // Prepare: 128 characters of 4 bytes each, and a name of 200.
    const org = '𝔬'.repeat(64);
    const other = `${'𝔬'.repeat(63)}𝔭`;
    const name = `${'𝔫'.repeat(196)}.txt`;

    // Act
    const keys = [tempKey(org, uploadId, name), permanentKey(org, fileId, uploadId, name)];

    // Assess
    for (const key of keys) expect(Buffer.byteLength(key)).toBeLessThanOrEqual(1024);
    expect(parseTempKey(org, keys[0] as string)).toEqual({ uploadId, name });
    expect(parseTempKey(other, keys[0] as string)).toBeUndefined();
    expect(tempKey('short-org', uploadId, 'a.txt')).toBe(`temp/short-org/${uploadId}/a.txt`);
  });
});

describe('parseTempKey', () => {
  it('accepts a temp key of the own org and returns its parts', () => {
    // Prepare
    const key = tempKey('org-1', uploadId, 'report.pdf');

    // Act
    const parsed = parseTempKey('org-1', key);

    // Assess
    expect(parsed).toEqual({ uploadId, name: 'report.pdf' });
  });

  it("rejects another org's temp key, including one whose id only starts like the caller's", () => {
    // Prepare
    const other = tempKey('org-12', uploadId, 'report.pdf');

    // Act
    const parsed = [parseTempKey('org-1', other), parseTempKey('org-2', tempKey('org-1', uploadId, 'a'))];

    // Assess
    expect(parsed).toEqual([undefined, undefined]);
  });

  it('does not let an org id with a slash claim another org\'s prefix', () => {
    // Prepare
    const victimKey = tempKey('a/b', uploadId, 'x.pdf');

    // Act
    const parsed = parseTempKey('a', victimKey);

    // Assess
    expect(parsed).toBeUndefined();
  });

  it.each([
    ['a non-uuid upload id', 'temp/org-1/not-a-uuid/report.pdf'],
    ['an extra segment', `temp/org-1/${uploadId}/dir/report.pdf`],
    ['a missing name', `temp/org-1/${uploadId}/`],
    ['a permanent key', `files/org-1/${fileId}/${uploadId}/report.pdf`],
    ['a key outside any prefix', `org-1/${uploadId}/report.pdf`],
    ['a traversal out of temp', `temp/org-1/../org-2/${uploadId}/x.pdf`],
  ])('rejects %s', (_case, key) => {
    // Act
    const parsed = parseTempKey('org-1', key);

    // Assess
    expect(parsed).toBeUndefined();
  });
});
