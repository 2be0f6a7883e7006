import { describe, expect, it } from 'vitest';
import { readConfig } from '../../lambdas/config';

const base = { TABLE_NAME: 't', BUCKET_NAME: 'b' };

describe('ALLOWED_MIME_TYPES', () => {
  it('reads a comma-separated list of types and wildcards, trimmed and in lower case', () => {
    // Act
    const config = readConfig({ ...base, ALLOWED_MIME_TYPES: ' image/*, Application/PDF ,,text/csv' });

    // Assess
    expect(config.allowedMimeTypes).toEqual(['image/*', 'application/pdf', 'text/csv']);
  });

  it.each([undefined, '', ' , '])('allows every type when it is %j', (value) => {
    // Act
    const config = readConfig({ ...base, ...(value === undefined ? {} : { ALLOWED_MIME_TYPES: value }) });

    // Assess
    expect(config.allowedMimeTypes).toBeUndefined();
  });

  it.each(['image', '*/png', 'image/*/x', 'text/plain; charset=utf-8'])('fails loudly on the entry %j, which is no type or wildcard', (entry) => {
    // Act
    const read = () => readConfig({ ...base, ALLOWED_MIME_TYPES: `image/png,${entry}` });

    // Assess
    expect(read).toThrow(/ALLOWED_MIME_TYPES/);
  });
});
