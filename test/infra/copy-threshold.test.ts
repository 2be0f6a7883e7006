import { describe, expect, it } from 'vitest';
import { synthFileService } from './fixtures/synth';

const MiB = 1024 ** 2;

function environments(overrides: Parameters<typeof synthFileService>[0]): Array<Record<string, string>> {
  const functions = synthFileService(overrides).template.findResources('AWS::Lambda::Function');
  return Object.values(functions)
    .map((fn) => (fn as { Properties: { Environment?: { Variables?: Record<string, string> } } }).Properties.Environment?.Variables)
    .filter((variables): variables is Record<string, string> => variables?.TABLE_NAME !== undefined);
}

describe('the copyPartThresholdBytes prop', () => {
  it('reaches every handler as COPY_PART_THRESHOLD_BYTES', () => {
    // Act
    const variables = environments({ copyPartThresholdBytes: 64 * MiB });

    // Assess
    expect(variables.length).toBeGreaterThan(0);
    for (const env of variables) expect(env.COPY_PART_THRESHOLD_BYTES).toBe(String(64 * MiB));
  });

  it('copies objects of 256 MiB and more in parts by default', () => {
    // Act
    const variables = environments({});

    // Assess
    for (const env of variables) expect(env.COPY_PART_THRESHOLD_BYTES).toBe(String(256 * MiB));
  });

  it.each([5 * MiB - 1, 5 * 1024 * MiB + 1, 6 * MiB + 0.5])('refuses %d bytes, saying it must be from 5 MiB to 5 GiB', (copyPartThresholdBytes) => {
    // Act
    const build = () => synthFileService({ copyPartThresholdBytes });

    // Assess
    expect(build).toThrow(/copyPartThresholdBytes must be a whole number of bytes from 5 MiB .* to 5 GiB/);
  });
});
