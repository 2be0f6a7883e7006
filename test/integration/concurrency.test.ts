import { describe, expect, it } from 'vitest';
import { downloadBytes, putBytes, uploadFile } from './support/api';
import type { Entity, Ticket } from './support/api';
import { useLocalStack } from './support/stack';

const context = useLocalStack();

async function uploads(count: number): Promise<Array<Ticket['s3ref']>> {
  return Promise.all(
    Array.from({ length: count }, async (_unused, index) => {
      const ticket = await context.api.post<Ticket>('/v2/files/upload', { filename: `v${index}.txt`, mime_type: 'text/plain' });
      await putBytes(ticket.body.upload_url, Buffer.from(`version ${index}`), 'text/plain');
      return ticket.body.s3ref;
    }),
  );
}

describe('concurrent writes to one file', () => {
  it('keeps all of 50 versions saved at once, each with its own bytes', async () => {
    // Prepare
    const file = await uploadFile(context.api, { filename: 'base.txt', mimeType: 'text/plain', bytes: Buffer.from('base') });
    const refs = await uploads(50);

    // Act
    const saves = await Promise.all(refs.map((s3ref) => context.api.post<Entity>('/v2/files', { _id: file._id, s3ref })));

    // Assess
    expect(saves.filter((save) => save.status !== 200).map((save) => save.body)).toEqual([]);
    const stored = (await context.api.get<Entity>(`/v2/files/${file._id}`)).body;
    expect(stored.versions).toHaveLength(51);
    expect(new Set(stored.versions.map((version) => version.s3ref.key)).size).toBe(51);
    expect(stored.s3ref).toEqual(stored.versions[0]?.s3ref);
    const texts = new Set<string>();
    for (let index = 0; index < 51; index += 5) texts.add((await downloadBytes(context.api, file._id, index)).toString());
    expect(texts.size).toBe(11);
  });

  it('ends with the file gone with all its objects, or present and whole, when a delete races saves', async () => {
    // Prepare
    const file = await uploadFile(context.api, { filename: 'base.txt', mimeType: 'text/plain', bytes: Buffer.from('base') });
    const refs = await uploads(20);

    // Act
    const [deleted, ...saves] = await Promise.all([
      new Promise((resolve) => setTimeout(resolve, 5)).then(() => context.api.delete(`/v2/files/${file._id}`)),
      ...refs.map((s3ref) => context.api.post<Entity>('/v2/files', { _id: file._id, s3ref })),
    ]);

    // Assess
    expect(deleted?.status).toBe(200);
    expect(saves.every((save) => save.status === 200 || save.status === 404)).toBe(true);
    expect((await context.api.get(`/v2/files/${file._id}`)).status).toBe(404);
    expect(await context.storage.keys(`files/org-a/${file._id}/`)).toEqual([]);
    expect((await context.storage.documents()).filter((item) => String(item.pk).startsWith(`FILE#org-a#${file._id}`))).toEqual([]);
  });
});
