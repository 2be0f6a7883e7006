import { describe, expect, it } from 'vitest';
import { readConfig } from '../../lambdas/config';

const base = { TABLE_NAME: 't', BUCKET_NAME: 'b' };
const MiB = 1024 ** 2;

describe('COPY_PART_THRESHOLD_BYTES', () => {
  it('copies objects of 256 MiB and more in parts when unset', () => {
    expect(readConfig(base).copyPartThresholdBytes).toBe(256 * MiB);
  });

  it('reads a threshold from 5 MiB to 5 GiB', () => {
    expect(readConfig({ ...base, COPY_PART_THRESHOLD_BYTES: String(6 * MiB) }).copyPartThresholdBytes).toBe(6 * MiB);
  });

  it.each([String(5 * MiB - 1), String(5 * 1024 * MiB + 1), '6MiB', '-1'])('fails loudly on %j', (value) => {
    // Act
    const read = () => readConfig({ ...base, COPY_PART_THRESHOLD_BYTES: value });

    // Assess
    expect(read).toThrow(/COPY_PART_THRESHOLD_BYTES/);
  });
});
