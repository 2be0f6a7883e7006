import { Duration } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { synthFileService } from './fixtures/synth';

function environments(overrides: Parameters<typeof synthFileService>[0]): Array<Record<string, string>> {
  const functions = synthFileService(overrides).template.findResources('AWS::Lambda::Function');
  return Object.values(functions)
    .map((fn) => (fn as { Properties: { Environment?: { Variables?: Record<string, string> } } }).Properties.Environment?.Variables)
    .filter((variables): variables is Record<string, string> => variables?.TABLE_NAME !== undefined);
}

describe('the sourceUrlHttpHosts and sourceUrlTimeout props', () => {
  it('reach every handler as SOURCE_URL_HTTP_HOSTS and SOURCE_URL_TIMEOUT_MS', () => {
    // Act
    const variables = environments({ sourceUrlHttpHosts: ['files.internal', 'cdn.internal:8080'], sourceUrlTimeout: Duration.seconds(12) });

    // Assess
    expect(variables.length).toBeGreaterThan(0);
    for (const env of variables) {
      expect([env.SOURCE_URL_HTTP_HOSTS, env.SOURCE_URL_TIMEOUT_MS]).toEqual(['files.internal,cdn.internal:8080', '12000']);
    }
  });

  it('allow https only, within 20 s, by default', () => {
    // Act
    const variables = environments({});

    // Assess
    for (const env of variables) expect([env.SOURCE_URL_HTTP_HOSTS, env.SOURCE_URL_TIMEOUT_MS]).toEqual(['', '20000']);
  });

  it.each([
    [{ sourceUrlHttpHosts: ['http://files.internal'] }, /sourceUrlHttpHosts entries must be host or host:port/],
    [{ sourceUrlTimeout: Duration.seconds(26) }, /sourceUrlTimeout must be between 1 ms and 25 s/],
  ])('refuses %j with a clear message', (props, message) => {
    // Act
    const build = () => synthFileService(props);

    // Assess
    expect(build).toThrow(message);
  });
});
