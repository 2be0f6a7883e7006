import { describe, expect, it } from 'vitest';
import { fileEventsOf } from '../../../lambdas/core/events';

const relations = [{ entity_id: 'order-1', _tags: ['invoice'] }];

/** A file entity item as the table holds it (keys included), after its first save. */
function entity(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    pk: 'FILE#org-a#file-1',
    sk: 'FILE',
    id: 'file-1',
    org: 'org-a',
    title: 'a.pdf',
    filename: 'a.pdf',
    type: 'document',
    mime_type: 'application/pdf',
    size_bytes: 1234,
    access_control: 'private',
    tags: [],
    relations,
    created_at: '2026-01-01T00:00:00.000Z',
    created_by: 'alice',
    updated_at: '2026-01-01T00:00:00.000Z',
    updated_by: 'alice',
    latest_version: 1,
    s3ref: { bucket: 'b', key: 'files/org-a/file-1/u1/a.pdf' },
    status: 'active',
    ...overrides,
  };
}

describe('fileEventsOf', () => {
  it('announces an inserted entity as FileCreated of version 1 by its creator', () => {
    // Act
    const events = fileEventsOf({ kind: 'INSERT', newImage: entity() });

    // Assess
    expect(events).toEqual([
      {
        type: 'FileCreated',
        detail: {
          org: 'org-a',
          file_id: 'file-1',
          version: 1,
          filename: 'a.pdf',
          mime_type: 'application/pdf',
          size_bytes: 1234,
          relations,
          actor: 'alice',
          at: '2026-01-01T00:00:00.000Z',
        },
      },
    ]);
  });

  it('announces a higher latest_version as FileVersionAdded of the new latest, by whoever saved it', () => {
    // Prepare
    const newer = entity({ latest_version: 2, filename: 'b.pdf', size_bytes: 99, updated_by: 'bob', updated_at: '2026-01-02T00:00:00.000Z' });

    // Act
    const events = fileEventsOf({ kind: 'MODIFY', oldImage: entity(), newImage: newer });

    // Assess
    expect(events).toEqual([
      {
        type: 'FileVersionAdded',
        detail: expect.objectContaining({ version: 2, filename: 'b.pdf', size_bytes: 99, actor: 'bob', at: '2026-01-02T00:00:00.000Z' }),
      },
    ]);
  });

  it('announces a metadata change of an active file as FileUpdated without a version', () => {
    // Prepare
    const renamed = entity({ filename: 'renamed.pdf', updated_by: 'carol', updated_at: '2026-01-03T00:00:00.000Z' });

    // Act
    const events = fileEventsOf({ kind: 'MODIFY', oldImage: entity(), newImage: renamed });

    // Assess
    expect(events).toHaveLength(1);
    expect(events[0]?.type).toBe('FileUpdated');
    expect(events[0]?.detail).toEqual(expect.objectContaining({ filename: 'renamed.pdf', actor: 'carol', at: '2026-01-03T00:00:00.000Z' }));
    expect(events[0]?.detail).not.toHaveProperty('version');
  });

  it('announces nothing when an entity is marked deleting, or when a write changes nothing clients see', () => {
    // Prepare
    const deleting = entity({ status: 'deleting', deleted_by: 'dave', deleted_at: '2026-01-04T00:00:00.000Z' });

    // Act / Assess
    expect(fileEventsOf({ kind: 'MODIFY', oldImage: entity(), newImage: deleting })).toEqual([]);
    expect(fileEventsOf({ kind: 'MODIFY', oldImage: deleting, newImage: { ...deleting, latest_version: 2 } })).toEqual([]);
    expect(fileEventsOf({ kind: 'MODIFY', oldImage: entity(), newImage: entity({ tags: ['x'] }) })).toEqual([]);
  });

  it('announces a removed entity as FileDeleted by whoever deleted it, when they did', () => {
    // Prepare
    const deleting = entity({ status: 'deleting', deleted_by: 'dave', deleted_at: '2026-01-04T00:00:00.000Z' });

    // Act
    const events = fileEventsOf({ kind: 'REMOVE', oldImage: deleting, recordedAt: '2026-01-05T00:00:00.000Z' });

    // Assess
    expect(events).toEqual([
      {
        type: 'FileDeleted',
        detail: {
          org: 'org-a',
          file_id: 'file-1',
          filename: 'a.pdf',
          mime_type: 'application/pdf',
          size_bytes: 1234,
          relations,
          actor: 'dave',
          at: '2026-01-04T00:00:00.000Z',
        },
      },
    ]);
  });

  it('falls back to the creator and the time of the removal for items written before those fields existed', () => {
    // Prepare
    const { updated_by: _updatedBy, ...older } = entity();

    // Act
    const created = fileEventsOf({ kind: 'INSERT', newImage: older });
    const deleted = fileEventsOf({ kind: 'REMOVE', oldImage: older, recordedAt: '2026-01-05T00:00:00.000Z' });

    // Assess
    expect(created[0]?.detail.actor).toBe('alice');
    expect(deleted[0]?.detail).toEqual(expect.objectContaining({ actor: 'alice', at: '2026-01-05T00:00:00.000Z' }));
  });

  it('announces nothing for items that are not file entities', () => {
    // Prepare
    const version = { ...entity(), sk: 'VERSION#0000000001' };
    const claim = { pk: 'UPLOAD#org-a#u1', sk: 'UPLOAD', org: 'org-a', file_id: 'file-1', version: 1 };
    const intent = { pk: 'INTENT#org-a#u1', sk: 'INTENT', org: 'org-a', key: 'files/org-a/x' };

    // Act / Assess
    for (const image of [version, claim, intent]) {
      expect(fileEventsOf({ kind: 'INSERT', newImage: image })).toEqual([]);
      expect(fileEventsOf({ kind: 'MODIFY', oldImage: image, newImage: image })).toEqual([]);
      expect(fileEventsOf({ kind: 'REMOVE', oldImage: image })).toEqual([]);
    }
  });
});
