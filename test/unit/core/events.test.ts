import { describe, expect, it } from 'vitest';
import { entryBytes, fileEventsOf, maxEventEntryBytes } from '../../../lambdas/core/events';
import { maxPrincipalsPerAction, orgWideAcl } from '../../../lambdas/core/access';

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

describe('FileUpdated', () => {
  const updatedAt = { updated_by: 'carol', updated_at: '2026-01-03T00:00:00.000Z' };
  const updatedDetail = (image: Record<string, unknown>) => fileEventsOf({ kind: 'MODIFY', oldImage: entity(), newImage: image })[0]?.detail;

  it('names the fields a metadata change changed', () => {
    // Act
    const detail = updatedDetail(entity({ ...updatedAt, title: 'Q1', tags: ['x'], access_control: 'public-read' }));

    // Assess
    expect(detail?.changed).toEqual(['title', 'tags', 'access_control']);
    expect(detail).not.toHaveProperty('acl_changes');
    expect(detail).not.toHaveProperty('owners');
  });

  it('carries the principals granted and revoked per action, comparing with the org-wide grants of an item written before grants', () => {
    // Prepare
    const acl = { view: ['org:org-a', 'user:org-a/bob'], edit: ['user:org-a/bob'], delete: [] };

    // Act
    const detail = updatedDetail(entity({ ...updatedAt, acl }));

    // Assess
    expect(detail?.changed).toEqual(['acl']);
    expect(detail?.acl_changes).toEqual({
      granted: { view: ['user:org-a/bob'], edit: ['user:org-a/bob'] },
      revoked: { edit: ['org:org-a'], delete: ['org:org-a'] },
    });
  });

  it('says nothing about grants when only their order changed', () => {
    // Prepare
    const before = entity({ acl: { view: ['org:org-a', 'user:org-a/bob'], edit: [], delete: [] } });
    const after = entity({ ...updatedAt, title: 'x', acl: { view: ['user:org-a/bob', 'org:org-a'], edit: [], delete: [] } });

    // Act
    const detail = fileEventsOf({ kind: 'MODIFY', oldImage: before, newImage: after })[0]?.detail;

    // Assess
    expect(detail?.changed).toEqual(['title']);
    expect(detail).not.toHaveProperty('acl_changes');
  });

  it('carries the owners added and removed, the creator being the owner of an item written before owners', () => {
    // Act
    const detail = updatedDetail(entity({ ...updatedAt, owners: [{ org_id: 'org-a', user_id: 'u1' }], acl: orgWideAcl('org-a') }));

    // Assess
    expect(detail?.changed).toEqual(['owners']);
    expect(detail?.owners).toEqual({ added: [{ org_id: 'org-a', user_id: 'u1' }], removed: [{ org_id: 'org-a', user_id: 'alice' }] });
    expect(detail).not.toHaveProperty('acl_changes');
  });

  it('stays within EventBridge’s 256 KB entry when the largest grants are all replaced, saying that they changed but not how', () => {
    // Prepare: every action full of the longest principals, all of them different before and after.
    const longest = (tag: string, index: number) => `user:org-a/${tag}${String(index).padStart(3, '0')}${'漢'.repeat(250)}`;
    const full = (tag: string) => ({
      view: Array.from({ length: maxPrincipalsPerAction }, (_, index) => longest(`${tag}v`, index)),
      edit: Array.from({ length: maxPrincipalsPerAction }, (_, index) => longest(`${tag}e`, index)),
      delete: Array.from({ length: maxPrincipalsPerAction }, (_, index) => longest(`${tag}d`, index)),
    });
    const owners = (tag: string) => Array.from({ length: 10 }, (_, index) => ({ org_id: 'org-a', user_id: `${tag}${index}${'漢'.repeat(250)}` }));
    const before = entity({ acl: full('old'), owners: owners('old') });
    const after = entity({ ...updatedAt, acl: full('new'), owners: owners('new') });

    // Act
    const [event] = fileEventsOf({ kind: 'MODIFY', oldImage: before, newImage: after });

    // Assess
    expect(event && entryBytes(event)).toBeLessThanOrEqual(maxEventEntryBytes);
    expect(event?.detail.changed).toEqual(['acl', 'owners']);
    expect(event?.detail.acl_changes).toEqual({ granted: {}, revoked: {}, truncated: true });
    expect(event?.detail.owners?.added).toHaveLength(10);
    expect(event?.detail.owners?.removed).toHaveLength(10);
  });

  it('keeps the lists of a large change that fits', () => {
    // Prepare
    const principals = Array.from({ length: maxPrincipalsPerAction }, (_, index) => `user:org-a/user-${index}`);

    // Act
    const [event] = fileEventsOf({ kind: 'MODIFY', oldImage: entity(), newImage: entity({ ...updatedAt, acl: { view: principals, edit: [], delete: [] } }) });

    // Assess
    expect(event?.detail.acl_changes?.granted.view).toHaveLength(maxPrincipalsPerAction);
    expect(event?.detail.acl_changes).not.toHaveProperty('truncated');
  });
});
