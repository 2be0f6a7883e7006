import { describe, expect, it } from 'vitest';
import { synthFileService } from './fixtures/synth';

function environments(overrides: Parameters<typeof synthFileService>[0]): Array<Record<string, string>> {
  const functions = synthFileService(overrides).template.findResources('AWS::Lambda::Function');
  return Object.values(functions)
    .map((fn) => (fn as { Properties: { Environment?: { Variables?: Record<string, string> } } }).Properties.Environment?.Variables)
    .filter((variables): variables is Record<string, string> => variables?.TABLE_NAME !== undefined);
}

describe('the allowedMimeTypes prop', () => {
  it('reaches every handler as ALLOWED_MIME_TYPES, normalised to lower case', () => {
    // Act
    const variables = environments({ allowedMimeTypes: ['image/*', 'Application/PDF'] });

    // Assess
    expect(variables.length).toBeGreaterThan(0);
    for (const env of variables) expect(env.ALLOWED_MIME_TYPES).toBe('image/*,application/pdf');
  });

  it('leaves ALLOWED_MIME_TYPES empty by default, which allows every type', () => {
    // Act
    const variables = environments({});

    // Assess
    for (const env of variables) expect(env.ALLOWED_MIME_TYPES).toBe('');
  });

  it.each([
    [['image'], /allowedMimeTypes entries must be MIME types or wildcards/],
    [['image/png,text/plain'], /allowedMimeTypes entries must be MIME types or wildcards/],
    [[], /allowedMimeTypes must list at least one type/],
  ])('refuses %j with a clear message', (allowedMimeTypes, message) => {
    // Act
    const build = () => synthFileService({ allowedMimeTypes });

    // Assess
    expect(build).toThrow(message);
  });
});
