import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { TargetDelivery } from '../../local/events-front';
import { uploadFile } from './support/api';
import { useLocalStack } from './support/stack';

/**
 * Default previews rendered ahead of time against `npm start`: the local bus hands
 * FileCreated and FileVersionAdded to renderPreviews in its own worker, as EventBridge invokes
 * the function on AWS, and the first request for the default preview is served from the bucket.
 */

const context = useLocalStack();

const solid = (width: number, height: number) => sharp({ create: { width, height, channels: 3, background: { r: 30, g: 160, b: 60 } } });

async function saved(filename: string, mimeType: string, bytes: Uint8Array, id?: string): Promise<string> {
  return (await uploadFile(context.api, { filename, mimeType, bytes, ...(id ? { id } : {}) }))._id;
}

/** The end of renderPreviews' handling of this file's event, retries included. */
function rendering(id: string, type: 'FileCreated' | 'FileVersionAdded'): Promise<TargetDelivery> {
  return context.stack.events.waitForDelivery(
    (delivery) => delivery.target === 'renderPreviews' && delivery.event.detail.file_id === id && delivery.event['detail-type'] === type,
    30_000,
  );
}

async function defaultPreview(id: string, version = 0) {
  const response = await context.api.raw(`/v1/files/${id}/preview${version ? `?version=${version}` : ''}`);
  return { status: response.status, cache: response.headers.get('x-preview-cache'), bytes: Buffer.from(await response.arrayBuffer()) };
}

describe('default previews ahead of time', () => {
  it('renders the default preview of a saved JPEG in the background, so the very first request for it is a cache hit', async () => {
    // Prepare
    const id = await saved('photo.jpg', 'image/jpeg', await solid(1200, 800).jpeg().toBuffer());

    // Act
    const delivery = await rendering(id, 'FileCreated');
    const kept = await context.storage.keys(`previews/org-a/${id}/`);
    const first = await defaultPreview(id);

    // Assess
    expect({ ok: delivery.ok, attempts: delivery.attempts }).toEqual({ ok: true, attempts: 1 });
    expect(kept).toEqual([expect.stringMatching(new RegExp(`^previews/org-a/${id}/1/300x300 `))]);
    expect(first.status).toBe(200);
    expect(first.cache).toBe('hit');
    expect(await sharp(first.bytes).metadata()).toMatchObject({ format: 'jpeg', width: 300, height: 200 });
  });

  it('renders the default preview of a new version too, and keeps the older version’s', async () => {
    // Prepare
    const id = await saved('photo.jpg', 'image/jpeg', await solid(600, 300).jpeg().toBuffer());
    await rendering(id, 'FileCreated');

    // Act
    await saved('photo.jpg', 'image/jpeg', await solid(300, 600).jpeg().toBuffer(), id);
    const delivery = await rendering(id, 'FileVersionAdded');
    const latest = await defaultPreview(id);
    const previous = await defaultPreview(id, 1);

    // Assess
    expect({ ok: delivery.ok, attempts: delivery.attempts, version: delivery.event.detail.version }).toEqual({ ok: true, attempts: 1, version: 2 });
    expect([latest.status, latest.cache, previous.status, previous.cache]).toEqual([200, 'hit', 200, 'hit']);
    expect(await sharp(latest.bytes).metadata()).toMatchObject({ width: 150, height: 300 });
    expect(await sharp(previous.bytes).metadata()).toMatchObject({ width: 300, height: 150 });
    expect(await context.storage.keys(`previews/org-a/${id}/`)).toEqual([
      expect.stringMatching(new RegExp(`^previews/org-a/${id}/1/300x300 `)),
      expect.stringMatching(new RegExp(`^previews/org-a/${id}/2/300x300 `)),
    ]);
  });

  it('makes no preview of a text file, and no error', async () => {
    // Prepare
    const id = await saved('notes.txt', 'text/plain', Buffer.from('no picture here'));

    // Act
    const delivery = await rendering(id, 'FileCreated');
    const answer = await defaultPreview(id);

    // Assess
    expect({ ok: delivery.ok, attempts: delivery.attempts }).toEqual({ ok: true, attempts: 1 });
    expect(await context.storage.keys(`previews/org-a/${id}/`)).toEqual([]);
    expect(answer.status).toBe(415);
  });

  it('is done at once with an image it refuses, keeping nothing, and previewFile still answers the refusal', async () => {
    // Prepare: the first 200 bytes of a JPEG.
    const id = await saved('broken.jpg', 'image/jpeg', (await solid(64, 64).jpeg().toBuffer()).subarray(0, 200));

    // Act
    const delivery = await rendering(id, 'FileCreated');
    const answer = await defaultPreview(id);

    // Assess
    expect({ ok: delivery.ok, attempts: delivery.attempts }).toEqual({ ok: true, attempts: 1 });
    expect(await context.storage.keys(`previews/org-a/${id}/`)).toEqual([]);
    expect(answer.status).toBe(422);
  });

  it('tries again when storage fails, and keeps the preview on the next attempt', async () => {
    // Prepare: the first write of a preview by renderPreviews fails, every SDK retry of it too.
    context.stack.faults.inject({ service: 's3', action: 'PutObject', function: 'renderPreviews', mode: 'before' });

    // Act
    const id = await saved('photo.png', 'image/png', await solid(400, 400).png().toBuffer());
    const delivery = await rendering(id, 'FileCreated');
    context.stack.faults.clear();
    const first = await defaultPreview(id);

    // Assess
    expect({ ok: delivery.ok, attempts: delivery.attempts }).toEqual({ ok: true, attempts: 2 });
    expect([first.status, first.cache]).toEqual([200, 'hit']);
  });
});
