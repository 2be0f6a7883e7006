import { describe, expect, it } from 'vitest';
import type { ZodMiniType } from 'zod/mini';
import { downloadFilesBody, downloadQuery, patchBody, saveBody, saveQuery, uploadBody, uploadQuery } from '../../../lambdas/http/schemas';

const id = '0f8fad5b-d9cb-469f-a165-70867728950e';
const s3ref = { bucket: 'files', key: `temp/1/${id}/a.pdf` };

/** The field paths of the issues, or 'ok' when the input is valid. */
function problems(schema: ZodMiniType, input: unknown): string[] | 'ok' {
  const result = schema.safeParse(input);
  return result.success ? 'ok' : result.error.issues.map((issue) => issue.path.join('.'));
}

describe('uploadBody', () => {
  it.each([
    ['a missing filename', { mime_type: 'application/pdf' }, 'filename'],
    ['an empty filename', { filename: '' }, 'filename'],
    ['a blank filename', { filename: '   ' }, 'filename'],
    ['a filename that is not a string', { filename: 42 }, 'filename'],
    ['a mime_type that is not a MIME type', { filename: 'a', mime_type: 'not a mime' }, 'mime_type'],
    ['a mime_type without subtype', { filename: 'a', mime_type: 'image/' }, 'mime_type'],
    ['a negative size_bytes', { filename: 'a', size_bytes: -1 }, 'size_bytes'],
    ['a fractional size_bytes', { filename: 'a', size_bytes: 1.5 }, 'size_bytes'],
    ['a size_bytes given as a string', { filename: 'a', size_bytes: '10' }, 'size_bytes'],
  ])('rejects %s', (_case, input, field) => {
    // Act
    const found = problems(uploadBody, input);

    // Assess
    expect(found).toContain(field);
  });

  it.each([
    ['a plain upload', { filename: 'Bericht März.pdf', mime_type: 'application/pdf', size_bytes: 0 }],
    ['a MIME type with parameters', { filename: 'a.txt', mime_type: 'text/plain; charset=utf-8' }],
    ['an OOXML type', { filename: 'a.docx', mime_type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' }],
  ])('accepts %s', (_case, input) => {
    // Act
    const found = problems(uploadBody, input);

    // Assess
    expect(found).toBe('ok');
  });

  it("explains zod's own issues in English, which zod/mini leaves to its caller", () => {
    // Act
    const result = uploadBody.safeParse({ filename: 42, size_bytes: -1 });

    // Assess
    expect(result.error?.issues.map((issue) => issue.message)).toEqual([
      'Invalid input: expected string, received number',
      'Too small: expected number to be >=0',
    ]);
  });

  it('leaves mime_type unset when it is omitted or empty: the upload is untyped', () => {
    // Act
    const parsed = [uploadBody.parse({ filename: 'blob' }), uploadBody.parse({ filename: 'blob', mime_type: '' })];

    // Assess
    expect(parsed.map((body) => body.mime_type)).toEqual([undefined, undefined]);
  });

  it.each([
    ['', 'ok'],
    [id, 'ok'],
    ['123', ['file_entity_id']],
  ] as const)('checks the file_entity_id query %j', (value, expected) => {
    // Act
    const found = problems(uploadQuery, { file_entity_id: value });

    // Assess
    expect(found).toEqual(expected);
  });
});

describe('saveBody', () => {
  it.each([
    ['an _id that is not a UUID', { s3ref, _id: 'abc' }, '_id'],
    ['an unknown access_control', { s3ref, access_control: 'public' }, 'access_control'],
    ['an unknown type', { s3ref, type: 'pdf' }, 'type'],
    ['a relation without entity_id', { s3ref, relations: [{ _schema: 'contact' }] }, 'relations.0.entity_id'],
    ['an s3ref without key', { s3ref: { bucket: 'files' } }, 's3ref.key'],
    ['a custom_download_url that is not a URL', { s3ref, custom_download_url: 'nope' }, 'custom_download_url'],
    ['_owners that is empty', { s3ref, _owners: [] }, '_owners'],
    ['eleven _owners', { s3ref, _owners: Array.from({ length: 11 }, (_, index) => ({ org_id: 'o', user_id: `u${index}` })) }, '_owners'],
    ['an owner without user_id', { s3ref, _owners: [{ org_id: 'o' }] }, '_owners.0.user_id'],
    ['an owner whose user_id has a control character', { s3ref, _owners: [{ org_id: 'o', user_id: 'a\nb' }] }, '_owners.0.user_id'],
    ['an owner whose user_id is 257 characters', { s3ref, _owners: [{ org_id: 'o', user_id: 'u'.repeat(257) }] }, '_owners.0.user_id'],
  ])('rejects %s', (_case, input, field) => {
    // Act
    const found = problems(saveBody, input);

    // Assess
    expect(found).toContain(field);
  });

  it.each(['javascript:alert(document.cookie)', 'data:text/html,<script>alert(1)</script>', 'file:///etc/passwd'])(
    'rejects the custom_download_url %j, which a client would follow as a link',
    (url) => {
      // Act
      const found = problems(saveBody, { s3ref, custom_download_url: url });

      // Assess
      expect(found).toEqual(['custom_download_url']);
    },
  );

  it('allows and drops unknown fields', () => {
    // Act
    const parsed = saveBody.parse({ s3ref, _id: '', some_future_field: { a: 1 }, _schema: 'file' });

    // Assess
    expect(parsed).toEqual({ s3ref, _id: '' });
  });

  it('accepts a full payload', () => {
    // Prepare
    const input = {
      _id: id,
      s3ref,
      filename: 'a.pdf',
      _title: 'A',
      type: 'document',
      mime_type: 'application/pdf',
      access_control: 'public-read',
      _tags: ['t'],
      relations: [{ entity_id: 'e-1', _schema: 'contact', _tags: ['x'] }],
      custom_download_url: 'https://example.com/a.pdf',
    };

    // Act
    const found = problems(saveBody, input);

    // Assess
    expect(found).toBe('ok');
  });
});

describe('boolean query flags', () => {
  it.each([
    [{}, { delete_temp_file: true, version_only: false }],
    [{ delete_temp_file: 'false', version_only: 'true' }, { delete_temp_file: false, version_only: true }],
  ])('reads save flags %j', (query, expected) => {
    // Act
    const parsed = saveQuery.parse(query);

    // Assess
    expect(parsed).toEqual(expected);
  });

  it.each(['TRUE', '1', '0', 'yes', ''])('rejects %j as a flag value', (value) => {
    // Act
    const found = [
      problems(saveQuery, { delete_temp_file: value }),
      problems(saveQuery, { version_only: value }),
      problems(downloadQuery, { attachment: value }),
    ];

    // Assess
    expect(found).toEqual([['delete_temp_file'], ['version_only'], ['attachment']]);
  });
});

describe('downloadQuery', () => {
  it.each([
    [{}, { version: 0, attachment: true }],
    [{ version: '2', attachment: 'false' }, { version: 2, attachment: false }],
    [{ version: '0' }, { version: 0, attachment: true }],
  ])('reads %j', (query, expected) => {
    // Act
    const parsed = downloadQuery.parse(query);

    // Assess
    expect(parsed).toEqual(expected);
  });

  it.each(['-1', '1.5', 'latest', '', '1e3', ' 1', '1234567890'])('rejects the version %j', (version) => {
    // Act
    const found = problems(downloadQuery, { version });

    // Assess
    expect(found).toEqual(['version']);
  });
});

describe('downloadFilesBody', () => {
  it.each([
    ['an empty list', [], ''],
    ['more than 100 files', Array.from({ length: 101 }, () => ({ id })), ''],
    ['an id that is not a UUID', [{ id }, { id: 'nope' }], '1.id'],
    ['a negative version', [{ id, version: -1 }], '0.version'],
    ['not a list', { id }, ''],
  ])('rejects %s', (_case, input, field) => {
    // Act
    const found = problems(downloadFilesBody, input);

    // Assess
    expect(found).toContain(field);
  });

  it('accepts 100 files with optional versions', () => {
    // Prepare
    const input = Array.from({ length: 100 }, (_, index) => (index % 2 ? { id } : { id, version: index }));

    // Act
    const found = problems(downloadFilesBody, input);

    // Assess
    expect(found).toBe('ok');
  });
});

describe('patchBody', () => {
  it('takes _owners alone as a change', () => {
    // Act
    const found = problems(patchBody, { _owners: [{ org_id: 'org-a', user_id: 'u1' }] });

    // Assess
    expect(found).toBe('ok');
  });
});
