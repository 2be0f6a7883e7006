import type { Acl, Guarded, Owner } from './access';
import { orgWideAcl } from './access';
import type { FileType } from './file-types';
import { readableSize } from './file-types';

/** How many of the newest versions an entity carries; `GET /v1/files/{id}/versions` lists all. */
export const entityVersionLimit = 100;

export type AccessControl = 'private' | 'public-read';

export interface S3Ref {
  bucket: string;
  key: string;
}

/** Who is calling, from the verified token. */
export interface Caller {
  org: string;
  userId: string;
  /** The API's address as the caller reached it: the links in answers point there. */
  apiUrl?: string;
  /** The token's roles make the caller an admin of their org (ROLES_CLAIM lists ADMIN_ROLE). */
  admin?: boolean;
  /** A backend's client-credentials token (its scope lists SERVICE_SCOPE): it manages its org's files. */
  service?: boolean;
}

/**
 * A file's `public_url`: the API route that redirects to its bytes while the file is
 * `public-read` and answers 403 otherwise. The bucket itself stays private.
 */
export function publicFileUrl(apiUrl: string | undefined, org: string, id: string): string {
  return `${apiUrl ?? ''}/v1/files/public/${encodeURIComponent(id)}?org_id=${encodeURIComponent(org)}`;
}

export interface Relation {
  entity_id: string;
  _schema?: string;
  _tags?: string[];
}

/** One stored version of a file. Numbers start at 1 and have no gaps. */
export interface FileVersion {
  version: number;
  s3ref: S3Ref;
  filename: string;
  mime_type: string;
  size_bytes: number;
  /**
   * Base64 SHA-256 of the bytes, when the upload declared it: S3 refused other bytes at the
   * PUT and kept the checksum through the copy. Absent for uploads without one.
   */
  checksum_sha256?: string;
  created_at: string;
  created_by: string;
}

/** The file entity as stored: its metadata and a pointer to its latest version. */
export interface FileRecord {
  id: string;
  org: string;
  title: string;
  filename: string;
  type: FileType;
  mime_type: string;
  size_bytes: number;
  access_control: AccessControl;
  tags: string[];
  relations: Relation[];
  custom_download_url?: string;
  created_at: string;
  created_by: string;
  updated_at: string;
  /** Who made the last change (create, version or metadata update); absent on older items. */
  updated_by?: string;
  /** Set when a delete begins (with `status: 'deleting'`). */
  deleted_at?: string;
  deleted_by?: string;
  latest_version: number;
  /**
   * Counts the entity's writes (create, version, metadata update): its ETag, and what a
   * conditional write checks so no change overwrites another unseen. Absent (0) on older items.
   */
  revision?: number;
  /** Who owns the file; absent on older items, whose owner is their creator. */
  owners?: Owner[];
  /** Grants (lambdas/core/access.ts); absent on older items, which their whole org may use. */
  acl?: Acl;
  /** The newest version's own name, type, size and checksum, which list results show without reading it. */
  latest?: Pick<FileVersion, 'filename' | 'mime_type' | 'size_bytes' | 'checksum_sha256'>;
  s3ref: S3Ref;
  /** `deleting` hides the file while its objects are removed; a retried delete finishes it. */
  status: 'active' | 'deleting';
}

/** epilot's FileItem. */
export interface FileItem {
  s3ref: S3Ref;
  filename: string;
  size_bytes: number;
  readable_size: string;
  mime_type: string;
  /** Not in epilot's FileItem: the version's base64 SHA-256, when its upload declared one. */
  checksum_sha256?: string;
}

/** epilot's FileEntity, as the API returns it. */
export interface FileEntity {
  _id: string;
  _schema: 'file';
  _org: string;
  _title: string;
  _created_at: string;
  _updated_at: string;
  _tags: string[];
  _owners: Owner[];
  /** Principals per action: `org:<org_id>` or `user:<org_id>/<user_id>` (lambdas/core/access.ts). */
  _acl: Acl;
  filename: string;
  type: FileType;
  mime_type: string;
  size_bytes: number;
  readable_size: string;
  access_control: AccessControl;
  public_url: string;
  s3ref: S3Ref;
  relations: Relation[];
  custom_download_url?: string;
  /** Not in epilot's FileEntity: the latest bytes' base64 SHA-256, when their upload declared one. */
  checksum_sha256?: string;
  /**
   * Newest first: index 0 is the latest version, as `downloadFile?version=` counts. At most
   * the 100 newest; `GET /v1/files/{id}/versions` pages through all of them.
   */
  versions: FileItem[];
}

/** The entity's HTTP ETag (strong): it changes with every write to the entity. */
export function entityTag(record: Pick<FileRecord, 'revision'>): string {
  return `"${record.revision ?? 0}"`;
}

export function toFileItem(version: FileVersion): FileItem {
  return {
    s3ref: version.s3ref,
    filename: version.filename,
    size_bytes: version.size_bytes,
    readable_size: readableSize(version.size_bytes),
    mime_type: version.mime_type,
    ...(version.checksum_sha256 ? { checksum_sha256: version.checksum_sha256 } : {}),
  };
}

/** What access decisions need of a file, with the defaults of items written before grants. */
export function guardOf(record: Pick<FileRecord, 'org' | 'created_by' | 'owners' | 'acl'>): Guarded {
  return {
    org: record.org,
    owners: record.owners ?? [{ org_id: record.org, user_id: record.created_by }],
    acl: record.acl ?? orgWideAcl(record.org),
  };
}

export function toFileEntity(record: FileRecord, versions: FileVersion[], publicUrl: string): FileEntity {
  const guard = guardOf(record);
  return {
    _id: record.id,
    _schema: 'file',
    _org: record.org,
    _title: record.title,
    _created_at: record.created_at,
    _updated_at: record.updated_at,
    _tags: record.tags,
    _owners: [...guard.owners],
    _acl: guard.acl,
    filename: record.filename,
    type: record.type,
    mime_type: record.mime_type,
    size_bytes: record.size_bytes,
    readable_size: readableSize(record.size_bytes),
    access_control: record.access_control,
    public_url: publicUrl,
    s3ref: record.s3ref,
    relations: record.relations,
    ...(record.custom_download_url ? { custom_download_url: record.custom_download_url } : {}),
    ...(record.latest?.checksum_sha256 ? { checksum_sha256: record.latest.checksum_sha256 } : {}),
    versions: versions.slice(0, entityVersionLimit).map(toFileItem),
  };
}
