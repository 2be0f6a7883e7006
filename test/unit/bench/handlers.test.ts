import { describe, expect, it } from 'vitest';
import { floorClients, floorSource } from '../../../bench/lib/handlers';
import type { Bundle } from '../../../bench/lib/handlers';
import { handlerResults, renderHandlers } from '../../../bench/lib/report';

const dynamoOnly = floorClients.filter((client) => client.package.includes('dynamodb'));

function bundle(entry: string): Bundle {
  return {
    entry,
    file: `/b/${entry}/index.mjs`,
    floorFile: `/b/${entry}-sdk-floor/index.mjs`,
    sdkClients: dynamoOnly.map((client) => client.package),
    bytes: 400 * 1024,
    gzipBytes: 120 * 1024,
    mapBytes: 0,
    packages: [{ name: '@smithy/core', bytes: 130 * 1024 }],
  };
}

describe('the SDK floor', () => {
  it('imports and constructs exactly the clients it is given, and keeps them from being dropped', () => {
    // Act
    const source = floorSource(dynamoOnly);

    // Assess
    expect(source).toContain("from '@aws-sdk/client-dynamodb'");
    expect(source).toContain('new DynamoDBClient(');
    expect(source).toContain('DynamoDBDocumentClient.from(dynamodb)');
    expect(source).not.toContain('client-s3');
    expect(source).toContain('globalThis.sdkFloor = [dynamodb, document]');
  });

  it('is set beside each handler init as init_vs_sdk_floor, and printed with its verdict', () => {
    // Prepare
    const times = {
      node_ms: 40,
      handlers: {
        'get-file': { init_ms: 110, sdk_floor_ms: 100 },
        'save-file': { init_ms: 150, sdk_floor_ms: 120 },
      },
    };

    // Act
    const results = handlerResults([bundle('get-file'), bundle('save-file')], times);
    const text = renderHandlers(results, { nodeOptions: '--enable-source-maps', initRuns: 10, nodeMs: 40 });

    // Assess
    expect(results['get-file']).toMatchObject({ init_ms: 110, sdk_floor_ms: 100, init_vs_sdk_floor: 1.1 });
    expect(results['save-file']).toMatchObject({ init_vs_sdk_floor: 1.25 });
    expect(text).toMatch(/get-file .* 110 .* 100 .* 1\.10/);
    expect(text).toContain('worst init_vs_sdk_floor 1.25: MISSED (target <= 1.15)');
  });
});
