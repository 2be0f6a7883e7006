import { describe, expect, it } from 'vitest';
import { FileService } from '../../../lambdas/core/file-service';
import type { FetchedSource, SourceFetcher } from '../../../lambdas/core/ports';
import { SourceFailedError } from '../../../lambdas/core/source-url';
import { FakeFileRepository, FakeObjectStore, fixedNow, maxUploadBytes, orgA, pngBytes } from './fakes';

const clean = { deleteTempFile: true, versionOnly: false };

/** A source that sends the given bytes with the given headers, and records what it was asked. */
function sourceOf(bytes: Uint8Array, headers: { contentType?: string; contentDisposition?: string } = {}, url = 'https://files.example/a/pixel.png') {
  const asked: Array<{ url: string; maxBytes: number }> = [];
  const fetcher: SourceFetcher = {
    fetch: async (requested, { maxBytes }) => {
      asked.push({ url: requested, maxBytes });
      async function* body() {
        yield bytes;
      }
      return { url: new URL(url), ...headers, body: body() } satisfies FetchedSource;
    },
  };
  return { fetcher, asked };
}

function setupWith(sources?: SourceFetcher) {
  const store = new FakeObjectStore();
  const repository = new FakeFileRepository();
  const service = new FileService({ repository, store, limits: { maxUploadBytes }, now: () => fixedNow, ...(sources ? { sources } : {}) });
  return { store, service };
}

describe('FileService.saveFromUrl', () => {
  it('saves what the source sends, named after the final URL and typed as the source declares, asking for at most the size limit', async () => {
    // Prepare
    const source = sourceOf(pngBytes, { contentType: 'image/png; charset=binary' });
    const { service, store } = setupWith(source.fetcher);

    // Act
    const { entity, created } = await service.saveFromUrl(orgA, { url: 'https://files.example/p' }, {}, clean);

    // Assess
    expect(created).toBe(true);
    expect(entity).toMatchObject({ filename: 'pixel.png', mime_type: 'image/png', size_bytes: pngBytes.length });
    expect(source.asked).toEqual([{ url: 'https://files.example/p', maxBytes: maxUploadBytes }]);
    expect(store.keys('temp/')).toEqual([]);
  });

  it('takes the save’s own filename and type over the source’s', async () => {
    // Prepare
    const source = sourceOf(new TextEncoder().encode('a,b'), { contentType: 'text/plain', contentDisposition: 'attachment; filename="x.txt"' });
    const { service } = setupWith(source.fetcher);

    // Act
    const { entity } = await service.saveFromUrl(orgA, { url: 'https://files.example/p', filename: 'table.csv', mime_type: 'text/csv' }, {}, clean);

    // Assess
    expect(entity).toMatchObject({ filename: 'table.csv', mime_type: 'text/csv' });
  });

  it('passes the source’s failure on and stores nothing', async () => {
    // Prepare
    const failing: SourceFetcher = { fetch: () => Promise.reject(new SourceFailedError('source_url answered HTTP 404, not the file')) };
    const { service, store } = setupWith(failing);

    // Act
    const attempt = service.saveFromUrl(orgA, { url: 'https://files.example/p' }, {}, clean);

    // Assess
    await expect(attempt).rejects.toMatchObject({ status: 422 });
    expect(store.keys()).toEqual([]);
  });

  it('refuses a source_url with 400 where no fetcher is wired', async () => {
    // Act
    const attempt = setupWith().service.saveFromUrl(orgA, { url: 'https://files.example/p' }, {}, clean);

    // Assess
    await expect(attempt).rejects.toMatchObject({ status: 400 });
  });
});
