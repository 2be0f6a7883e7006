import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Api, uploadFile } from './support/api';
import type { Entity } from './support/api';
import { expectRefusal } from './support/requests';
import { useLocalStack } from './support/stack';

const context = useLocalStack({ sweepIntervalMs: 0 });
const text = (name: string) => ({ filename: name, mimeType: 'text/plain', bytes: Buffer.from(name) });

interface BatchAnswer {
  results: Entity[];
  not_found: string[];
}

describe('POST /v1/files:batchGet', () => {
  it('answers the own files in the order asked, each once, and lists unknown, deleted and foreign ids as not found', async () => {
    // Prepare
    const { api, stack } = context;
    const other = new Api(stack.url, await stack.auth.sign({ org: 'org-b', user: 'bob' }));
    const [first, second, deleted] = await Promise.all(['first.txt', 'second.txt', 'deleted.txt'].map((name) => uploadFile(api, text(name))));
    const theirs = await uploadFile(other, text('theirs.txt'));
    expect((await api.delete(`/v2/files/${deleted?._id}`)).status).toBe(200);
    const unknown = randomUUID();

    // Act
    const answer = await api.post<BatchAnswer>('/v1/files:batchGet', {
      ids: [second?._id, theirs._id, first?._id, unknown, deleted?._id, second?._id],
    });

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body.results.map((entity) => entity._id)).toEqual([second?._id, first?._id]);
    expect(answer.body.results[1]).toEqual((await api.get(`/v2/files/${first?._id}`)).body);
    expect(answer.body.not_found).toEqual([theirs._id, unknown, deleted?._id]);
  });

  it.each([
    ['no ids', { ids: [] }],
    ['101 ids', { ids: Array.from({ length: 101 }, () => randomUUID()) }],
    ['an id that is not a UUID', { ids: ['../etc/passwd'] }],
    ['a list instead of {ids}', [randomUUID()]],
  ])('refuses %s with 400', async (_case, body) => {
    // Act
    const answer = await context.api.post('/v1/files:batchGet', body);

    // Assess
    expectRefusal(answer, 400);
  });
});
