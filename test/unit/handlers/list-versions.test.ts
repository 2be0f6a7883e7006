import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler } from '../../../lambdas/handlers/list-versions';
import { ddb, entityItem, pk, useMockedAws, versionItems, versionSk } from './aws';
import { apiEvent, bodyOf } from './events';

useMockedAws();

const fileId = '9b2e7c1d-3f4a-4b5c-8d6e-7f8091a2b3c4';
const route = 'GET /v1/files/{id}/versions';

function listEvent(query?: Record<string, string>) {
  return apiEvent({ routeKey: route, path: { id: fileId }, ...(query ? { query } : {}) });
}

interface Page {
  results: Array<{ version: number; filename: string }>;
  next_cursor?: string;
}

describe('list-versions handler', () => {
  it('answers the newest page with indexes and a cursor, from one bounded consistent Query', async () => {
    // Prepare
    ddb.on(GetCommand, { Key: { pk: pk(fileId), sk: 'FILE' } }).resolves({ Item: entityItem(fileId, 5) });
    ddb.on(QueryCommand).resolves({ Items: versionItems(fileId, 5).slice(0, 2), LastEvaluatedKey: { pk: pk(fileId), sk: versionSk(4) } });

    // Act
    const result = await handler(listEvent({ limit: '2' }));

    // Assess
    expect(result.statusCode).toBe(200);
    const page = bodyOf<Page>(result);
    expect(page.results.map((item) => [item.version, item.filename])).toEqual([[0, 'v5.pdf'], [1, 'v4.pdf']]);
    expect(page.next_cursor).toEqual(expect.any(String));
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({ Limit: 2, ConsistentRead: true, ScanIndexForward: false });
  });

  it('reads 50 versions when no limit is given', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({ Item: entityItem(fileId, 1) });
    ddb.on(QueryCommand).resolves({ Items: versionItems(fileId, 1) });

    // Act
    const result = await handler(listEvent());

    // Assess
    expect(bodyOf<Page>(result)).toEqual({ results: [expect.objectContaining({ version: 0 })] });
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input.Limit).toBe(50);
  });

  it.each<Record<string, string>>([{ limit: '0' }, { limit: '101' }, { limit: 'x' }, { cursor: '' }])('answers 400 for %j before reading anything', async (query) => {
    // Act
    const result = await handler(listEvent(query));

    // Assess
    expect(result.statusCode).toBe(400);
    expect(ddb.calls()).toHaveLength(0);
  });

  it('answers 404 for a file the table does not hold for the org', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({});

    // Act
    const result = await handler(listEvent());

    // Assess
    expect(result.statusCode).toBe(404);
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(0);
  });
});
