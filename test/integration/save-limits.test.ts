import { describe, expect, it } from 'vitest';
import { putBytes } from './support/api';
import type { Ticket } from './support/api';
import { useLocalStack } from './support/stack';

/**
 * A request body may be up to 1 MB, but the entity is one DynamoDB item, and items stop at
 * 400 KB. Metadata that cannot fit is refused before the save copies anything.
 */

const context = useLocalStack();

describe('saving metadata that cannot fit in one item', () => {
  it('answers 413 naming the limit for ~600 KB of relations and tags within their counts, and leaves nothing behind', async () => {
    // Prepare
    const ticket = await context.api.post<Ticket>('/v2/files/upload', { filename: 'doc.txt', mime_type: 'text/plain' });
    await putBytes(ticket.body.upload_url, Buffer.from('bytes'), 'text/plain');
    // Within every count (40 relations of 20 tags); three UTF-8 bytes per character.
    const relations = Array.from({ length: 40 }, (_, index) => ({
      entity_id: `${index}-${'e'.repeat(240)}`,
      _tags: Array.from({ length: 20 }, (_, tag) => `${tag}${'€'.repeat(250)}`),
    }));
    const _tags = Array.from({ length: 100 }, (_, index) => `${index}-${'x'.repeat(240)}`);
    const body = { s3ref: ticket.body.s3ref, relations, _tags };
    expect(Buffer.byteLength(JSON.stringify(body))).toBeGreaterThan(600_000);
    const before = await context.storage.snapshot();

    // Act
    const saved = await context.api.post('/v2/files', body);

    // Assess
    expect(saved.status).toBe(413);
    expect(saved.body).toEqual({ status: 413, error: expect.stringContaining('the limit is 262144 bytes') });
    expect(await context.storage.snapshot()).toEqual(before);
  });
});
