import type { Relation } from './model';

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
}

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
      if (after === before && newImage.updated_at !== oldImage.updated_at) return [event('FileUpdated', newImage, {})];
      return [];
    }
  }
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
