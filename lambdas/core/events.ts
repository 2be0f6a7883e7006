import type { Acl, GrantedAction, Owner } from './access';
import { grantedActions } from './access';
import type { Relation } from './model';
import { guardOf } from './model';

/**
 * The events other services react to, derived from the committed changes of file entities
 * (the table's stream), never from a handler after its write: a write that did not commit
 * never produces one.
 */

/** The `source` of every event the service puts on its bus. */
export const eventSource = 'file-service';

export type FileEventType = 'FileCreated' | 'FileVersionAdded' | 'FileUpdated' | 'FileDeleted';

export const fileEventTypes: readonly FileEventType[] = ['FileCreated', 'FileVersionAdded', 'FileUpdated', 'FileDeleted'];

export interface FileEventDetail {
  org: string;
  file_id: string;
  /** The version the event is about: 1 for FileCreated, the new latest for FileVersionAdded. */
  version?: number;
  filename: string;
  mime_type: string;
  size_bytes: number;
  relations: Relation[];
  /** The user whose write this was. */
  actor: string;
  /** When that write happened (ISO 8601). */
  at: string;
  /** FileUpdated: which of the entity's fields (`updatedFields`) the write changed. */
  changed?: UpdatedField[];
  /** FileUpdated that changed `_acl`: the principals granted and revoked, per action. */
  acl_changes?: AclChanges;
  /** FileUpdated that changed `_owners`: who became an owner and who stopped being one. */
  owners?: OwnerChanges;
}

/** The fields a FileUpdated names in `changed`. */
export const updatedFields = ['filename', 'title', 'tags', 'relations', 'access_control', 'custom_download_url', 'acl', 'owners'] as const;
export type UpdatedField = (typeof updatedFields)[number];

export interface AclChanges {
  /** Per action, the principals that gained it; actions with none are left out. */
  granted: Partial<Record<GrantedAction, string[]>>;
  revoked: Partial<Record<GrantedAction, string[]>>;
  /** The lists would not fit in one event: they are left empty, read the file for its grants. */
  truncated?: true;
}

export interface OwnerChanges {
  added: Owner[];
  removed: Owner[];
  /** As for AclChanges: the lists are left empty when they would not fit. */
  truncated?: true;
}

/**
 * EventBridge refuses an entry (detail, detail type, source and time) above 256 KB. A file's
 * grants may be 300 principals of up to 1 KB each before and as many after a change, so the
 * lists of a change do not always fit: then the event says that they changed, not how.
 */
export const maxEventEntryBytes = 256 * 1024;

export interface FileEvent {
  type: FileEventType;
  detail: FileEventDetail;
}

/** One committed change of one table item, its images already unmarshalled. */
export interface ItemChange {
  kind: 'INSERT' | 'MODIFY' | 'REMOVE';
  oldImage?: Record<string, unknown>;
  newImage?: Record<string, unknown>;
  /** When the change was recorded; stands in for a missing write time. */
  recordedAt?: string;
}

/** The sort key of a file entity (see the repository's storage layout); other items make no events. */
const entitySk = 'FILE';

/**
 * The events a change means. Only entity items make events; a delete is announced once, when
 * its item is removed: marking the entity `deleting` already hides it, but a delete cut short
 * stays `deleting` until retried, and nothing is announced until it finishes.
 */
export function fileEventsOf(change: ItemChange): FileEvent[] {
  const { oldImage, newImage } = change;
  switch (change.kind) {
    case 'INSERT':
      if (!isEntity(newImage) || newImage.status === 'deleting') return [];
      return [event('FileCreated', newImage, { version: positive(newImage.latest_version) ?? 1 })];
    case 'REMOVE':
      if (!isEntity(oldImage)) return [];
      return [
        {
          type: 'FileDeleted',
          detail: detailOf(oldImage, {
            actor: text(oldImage.deleted_by) ?? actorOf(oldImage),
            at: text(oldImage.deleted_at) ?? change.recordedAt ?? writtenAt(oldImage),
          }),
        },
      ];
    case 'MODIFY': {
      if (!isEntity(oldImage) || !isEntity(newImage)) return [];
      if (oldImage.status === 'deleting' || newImage.status === 'deleting') return [];
      const before = positive(oldImage.latest_version) ?? 0;
      const after = positive(newImage.latest_version) ?? 0;
      if (after > before) return [event('FileVersionAdded', newImage, { version: after })];
      if (after === before && newImage.updated_at !== oldImage.updated_at) return [bounded(updated(oldImage, newImage))];
      return [];
    }
  }
}

/** FileUpdated with what changed; grants and owners as access decisions read them (absent: the defaults). */
function updated(oldImage: Record<string, unknown>, newImage: Record<string, unknown>): FileEvent {
  const base = event('FileUpdated', newImage, {});
  const before = guardOfImage(oldImage);
  const after = guardOfImage(newImage);
  const aclChanges = aclChangesOf(before.acl, after.acl);
  const ownerChanges = ownerChangesOf(before.owners, after.owners);
  const plain = updatedFields.filter((field) => field !== 'acl' && field !== 'owners' && !sameValue(oldImage[field], newImage[field]));
  const changed: UpdatedField[] = [...plain, ...(aclChanges ? ['acl' as const] : []), ...(ownerChanges ? ['owners' as const] : [])];
  return {
    ...base,
    detail: { ...base.detail, changed, ...(aclChanges ? { acl_changes: aclChanges } : {}), ...(ownerChanges ? { owners: ownerChanges } : {}) },
  };
}

function guardOfImage(image: Record<string, unknown>) {
  const acl = image.acl as Partial<Acl> | undefined;
  const wellFormed = typeof acl === 'object' && acl !== null && grantedActions.every((action) => Array.isArray(acl[action]));
  return guardOf({
    org: text(image.org) ?? '',
    created_by: text(image.created_by) ?? '',
    owners: Array.isArray(image.owners) ? (image.owners as Owner[]) : undefined,
    acl: wellFormed ? (acl as Acl) : undefined,
  });
}

function aclChangesOf(before: Acl, after: Acl): AclChanges | undefined {
  const granted: AclChanges['granted'] = {};
  const revoked: AclChanges['revoked'] = {};
  for (const action of grantedActions) {
    const added = after[action].filter((principal) => !before[action].includes(principal));
    const removed = before[action].filter((principal) => !after[action].includes(principal));
    if (added.length > 0) granted[action] = added;
    if (removed.length > 0) revoked[action] = removed;
  }
  return Object.keys(granted).length + Object.keys(revoked).length > 0 ? { granted, revoked } : undefined;
}

function ownerChangesOf(before: readonly Owner[], after: readonly Owner[]): OwnerChanges | undefined {
  const key = (owner: Owner) => JSON.stringify([owner.org_id, owner.user_id]);
  const had = new Set(before.map(key));
  const has = new Set(after.map(key));
  const added = after.filter((owner) => !had.has(key(owner)));
  const removed = before.filter((owner) => !has.has(key(owner)));
  return added.length + removed.length > 0 ? { added, removed } : undefined;
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The size EventBridge counts for the event's entry: detail, detail type, source and a 14-byte time. */
export function entryBytes(event: FileEvent): number {
  const encoder = new TextEncoder();
  return encoder.encode(JSON.stringify(event.detail)).length + encoder.encode(event.type).length + encoder.encode(eventSource).length + 14;
}

/** Leaves out the lists of grants, then of owners, while the entry would be too large to put. */
function bounded(event: FileEvent): FileEvent {
  let current = event;
  const { acl_changes: aclChanges, owners } = event.detail;
  if (aclChanges && entryBytes(current) > maxEventEntryBytes) {
    current = { ...current, detail: { ...current.detail, acl_changes: { granted: {}, revoked: {}, truncated: true } } };
  }
  if (owners && entryBytes(current) > maxEventEntryBytes) {
    current = { ...current, detail: { ...current.detail, owners: { added: [], removed: [], truncated: true } } };
  }
  return current;
}

function event(type: FileEventType, image: Record<string, unknown>, extra: { version?: number }): FileEvent {
  return { type, detail: detailOf(image, { ...extra, actor: actorOf(image), at: writtenAt(image) }) };
}

function detailOf(image: Record<string, unknown>, about: { version?: number; actor: string; at: string }): FileEventDetail {
  return {
    org: text(image.org) ?? '',
    file_id: text(image.id) ?? '',
    ...(about.version !== undefined ? { version: about.version } : {}),
    filename: text(image.filename) ?? '',
    mime_type: text(image.mime_type) ?? 'application/octet-stream',
    size_bytes: typeof image.size_bytes === 'number' ? image.size_bytes : 0,
    relations: Array.isArray(image.relations) ? (image.relations as Relation[]) : [],
    actor: about.actor,
    at: about.at,
  };
}

function isEntity(image: Record<string, unknown> | undefined): image is Record<string, unknown> {
  return image?.sk === entitySk && typeof image.pk === 'string' && image.pk.startsWith('FILE#');
}

/** Items written before `updated_by` existed name only their creator. */
function actorOf(image: Record<string, unknown>): string {
  return text(image.updated_by) ?? text(image.created_by) ?? '';
}

function writtenAt(image: Record<string, unknown>): string {
  return text(image.updated_at) ?? text(image.created_at) ?? '';
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function positive(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}
