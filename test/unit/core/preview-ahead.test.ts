import { describe, expect, it } from 'vitest';
import { UnprocessableError, UnsupportedMediaTypeError } from '../../../lambdas/core/errors';
import { previewAhead, previewAheadRequestOf } from '../../../lambdas/core/preview-ahead';
import { PreviewService, type PreviewBox, type PreviewRenderer } from '../../../lambdas/core/previews';
import { orgA, pngBytes, setup } from './fakes';

/** Renders any image as a PNG naming the box; `refuse` or `fail` make it throw instead. */
class FakeRenderer implements PreviewRenderer {
  readonly rendered: PreviewBox[] = [];
  refuse?: Error;
  supports(mimeType: string): boolean {
    return mimeType.startsWith('image/');
  }
  async render(_source: Uint8Array, _mimeType: string, box: PreviewBox) {
    if (this.refuse) throw this.refuse;
    this.rendered.push(box);
    return { bytes: new TextEncoder().encode(`png ${box.width}x${box.height}`), contentType: 'image/png' as const };
  }
}

function event(detailType: string, detail: Record<string, unknown>, source = 'file-service') {
  return { version: '0', id: 'e-1', 'detail-type': detailType, source, account: '000000000000', time: '2026-01-01T00:00:00Z', region: 'us-east-1', resources: [], detail };
}

async function world() {
  const base = setup();
  const renderer = new FakeRenderer();
  const previews = new PreviewService({ repository: base.repository, store: base.store, renderer, limits: { maxSourceBytes: 1_000_000 } });
  const s3ref = await base.upload(orgA, 'photo.png', pngBytes, 'image/png');
  const { entity } = await base.service.save(orgA, { s3ref }, { deleteTempFile: true, versionOnly: false });
  const created = (version = 1, mimeType = 'image/png') => event('FileCreated', { org: 'org-a', file_id: entity._id, version, mime_type: mimeType });
  const previewKeys = () => [...base.store.objects.keys()].filter((key) => key.startsWith('previews/'));
  return { ...base, renderer, previews, id: entity._id, created, previewKeys };
}

describe('previewAheadRequestOf', () => {
  it('reads the org, the file id, the version and the type of a FileCreated or FileVersionAdded of the service', () => {
    // Act
    const created = previewAheadRequestOf(event('FileCreated', { org: 'org-a', file_id: 'f-1', version: 1, mime_type: 'image/jpeg' }));
    const added = previewAheadRequestOf(event('FileVersionAdded', { org: 'org-a', file_id: 'f-1', version: 3, mime_type: 'application/pdf' }));

    // Assess
    expect(created).toEqual({ org: 'org-a', fileId: 'f-1', version: 1, mimeType: 'image/jpeg' });
    expect(added).toEqual({ org: 'org-a', fileId: 'f-1', version: 3, mimeType: 'application/pdf' });
  });

  it.each([
    ['another source', event('FileCreated', { org: 'org-a', file_id: 'f-1', version: 1 }, 'other-service'), 'source other-service'],
    ['a FileUpdated', event('FileUpdated', { org: 'org-a', file_id: 'f-1', version: 1 }), 'detail type FileUpdated'],
    ['a FileDeleted', event('FileDeleted', { org: 'org-a', file_id: 'f-1' }), 'detail type FileDeleted'],
    ['no detail', { source: 'file-service', 'detail-type': 'FileCreated' }, 'no detail'],
    ['no org', event('FileCreated', { file_id: 'f-1', version: 1 }), 'no org or file id'],
    ['no file id', event('FileCreated', { org: 'org-a', version: 1 }), 'no org or file id'],
    ['no version', event('FileCreated', { org: 'org-a', file_id: 'f-1' }), 'no version'],
    ['version 0', event('FileCreated', { org: 'org-a', file_id: 'f-1', version: 0 }), 'no version'],
    ['a version that is text', event('FileCreated', { org: 'org-a', file_id: 'f-1', version: '1' }), 'no version'],
    ['no event at all', null, 'not an event'],
  ])('ignores %s, saying why', (_name, input, reason) => {
    // Act
    const request = previewAheadRequestOf(input);

    // Assess
    expect(request).toEqual({ ignored: reason });
  });
});

describe('previewAhead', () => {
  it('renders and keeps the default preview of the version, which previewFile then serves from the bucket', async () => {
    // Prepare
    const { previews, created, id, previewKeys, renderer, repository } = await world();

    // Act
    const result = await previewAhead(previews, created());
    const served = await previews.preview(orgA, { id, version: 0, box: {} });

    // Assess
    expect(result).toMatchObject({ outcome: 'rendered', request: { fileId: id, version: 1 } });
    expect(previewKeys()).toEqual([`previews/org-a/${id}/1/300x300`]);
    expect(await repository.listPreviewKeys('org-a', id)).toEqual([`previews/org-a/${id}/1/300x300`]);
    expect(renderer.rendered).toEqual([{ width: 300, height: 300 }]);
    expect(served).toMatchObject({ kind: 'image', cached: true });
  });

  it('renders nothing again when the same event is delivered twice', async () => {
    // Prepare
    const { previews, created, renderer } = await world();
    await previewAhead(previews, created());

    // Act
    const again = await previewAhead(previews, created());

    // Assess
    expect(again.outcome).toBe('kept');
    expect(renderer.rendered).toHaveLength(1);
  });

  it('skips a type without previews before reading anything', async () => {
    // Prepare
    const { previews, created, previewKeys, repository } = await world();
    const reads: string[] = [];
    const get = repository.get.bind(repository);
    repository.get = async (org, id) => (reads.push(id), get(org, id));

    // Act
    const result = await previewAhead(previews, created(1, 'text/plain'));

    // Assess
    expect(result.outcome).toBe('unsupported');
    expect(reads).toEqual([]);
    expect(previewKeys()).toEqual([]);
  });

  it.each([
    ['422', new UnprocessableError('This image has too many pixels'), 422],
    ['415', new UnsupportedMediaTypeError('No preview for this'), 415],
  ])('returns a %s refusal as done, keeping nothing, so the event is not retried', async (_name, refusal, status) => {
    // Prepare
    const { previews, created, previewKeys, renderer } = await world();
    renderer.refuse = refusal;

    // Act
    const result = await previewAhead(previews, created());

    // Assess
    expect(result).toMatchObject({ outcome: 'refused', status, reason: refusal.message });
    expect(previewKeys()).toEqual([]);
  });

  it('does nothing for a file that is gone, being deleted, or lacks the version', async () => {
    // Prepare
    const { previews, created, id, previewKeys, repository } = await world();
    const gone = event('FileCreated', { org: 'org-a', file_id: '7f0c9a52-3d2e-4d8e-9b43-2c1f0e9f2a11', version: 1, mime_type: 'image/png' });

    // Act
    const missingFile = await previewAhead(previews, gone);
    const missingVersion = await previewAhead(previews, created(2));
    await repository.markDeleting('org-a', id);
    const deleting = await previewAhead(previews, created());

    // Assess
    expect([missingFile.outcome, missingVersion.outcome, deleting.outcome]).toEqual(['gone', 'gone', 'gone']);
    expect(previewKeys()).toEqual([]);
  });

  it('renders the version the event names, not the latest', async () => {
    // Prepare
    const { previews, created, id, previewKeys, upload, service, repository } = await world();
    const s3ref = await upload(orgA, 'photo.png', pngBytes, 'image/png');
    await service.save(orgA, { s3ref, id }, { deleteTempFile: true, versionOnly: false });

    // Act
    const result = await previewAhead(previews, created(1));

    // Assess
    expect((await repository.get('org-a', id))?.latest_version).toBe(2);
    expect(result.outcome).toBe('rendered');
    expect(previewKeys()).toEqual([`previews/org-a/${id}/1/300x300`]);
  });

  it('throws what storage throws, so the event is delivered again', async () => {
    // Prepare
    const { previews, created, store } = await world();
    const failure = Object.assign(new Error('We encountered an internal error. Please try again.'), { $fault: 'server' });
    store.putObject = async () => {
      throw failure;
    };

    // Act
    const attempt = previewAhead(previews, created());

    // Assess
    await expect(attempt).rejects.toBe(failure);
  });
});
