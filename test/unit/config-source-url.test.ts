import { describe, expect, it } from 'vitest';
import { readConfig } from '../../lambdas/config';

const base = { TABLE_NAME: 't', BUCKET_NAME: 'b' };

describe('SOURCE_URL_HTTP_HOSTS and SOURCE_URL_TIMEOUT_MS', () => {
  it('allow no plain http host and give a fetch 20 s by default', () => {
    // Act
    const config = readConfig(base);

    // Assess
    expect([config.sourceUrlHttpHosts, config.sourceUrlTimeoutMs]).toEqual([[], 20_000]);
  });

  it('read comma-separated host and host:port entries, and a timeout', () => {
    // Act
    const config = readConfig({ ...base, SOURCE_URL_HTTP_HOSTS: ' files.internal, 127.0.0.1:8080 ,', SOURCE_URL_TIMEOUT_MS: '1500' });

    // Assess
    expect(config.sourceUrlHttpHosts).toEqual([{ host: 'files.internal' }, { host: '127.0.0.1', port: '8080' }]);
    expect(config.sourceUrlTimeoutMs).toBe(1500);
  });

  it.each([
    [{ SOURCE_URL_HTTP_HOSTS: 'http://files.internal' }, /SOURCE_URL_HTTP_HOSTS/],
    [{ SOURCE_URL_HTTP_HOSTS: 'files.internal/path' }, /SOURCE_URL_HTTP_HOSTS/],
    [{ SOURCE_URL_TIMEOUT_MS: '25001' }, /SOURCE_URL_TIMEOUT_MS must be at most 25000 ms/],
    [{ SOURCE_URL_TIMEOUT_MS: '0' }, /SOURCE_URL_TIMEOUT_MS must be a positive integer/],
  ])('fails loudly on %j', (env, message) => {
    // Act
    const read = () => readConfig({ ...base, ...env });

    // Assess
    expect(read).toThrow(message);
  });
});
