import type { GrantedAction, Owner } from '../core/access';
import type { MetadataPatch } from '../core/file-service';
import type { AccessControl, Relation } from '../core/model';

/** The entity fields a metadata update takes, as epilot names them (PATCH and metadata-only saves). */
export interface PatchFields {
  filename?: string | undefined;
  _title?: string | undefined;
  _tags?: string[] | undefined;
  relations?: Relation[] | undefined;
  access_control?: AccessControl | undefined;
  _acl?: Partial<Record<GrantedAction, string[] | undefined>> | undefined;
  _owners?: Owner[] | undefined;
}

/** The service's metadata patch from the fields the request gave; absent fields stay as they are. */
export function metadataPatchOf(fields: PatchFields): MetadataPatch {
  return {
    ...(fields.filename !== undefined ? { filename: fields.filename } : {}),
    ...(fields._title !== undefined ? { title: fields._title } : {}),
    ...(fields._tags !== undefined ? { tags: fields._tags } : {}),
    ...(fields.relations !== undefined ? { relations: fields.relations } : {}),
    ...(fields.access_control !== undefined ? { access_control: fields.access_control } : {}),
    ...(fields._acl !== undefined ? { acl: definedLists(fields._acl) } : {}),
    ...(fields._owners !== undefined ? { owners: fields._owners } : {}),
  };
}

function definedLists(acl: Partial<Record<GrantedAction, string[] | undefined>>): Partial<Record<GrantedAction, string[]>> {
  return Object.fromEntries(Object.entries(acl).filter(([, list]) => list !== undefined)) as Partial<Record<GrantedAction, string[]>>;
}
