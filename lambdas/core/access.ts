/**
 * Who may do what with a file: the one place that decides.
 *
 * A file has owners (`_owners`, users of its org) and grants (`_acl`): for each of `view`,
 * `edit` and `delete`, a list of principals, `org:<org_id>` (every user of that org) or
 * `user:<org_id>/<user_id>` (one user). Components are percent-encoded where they contain
 * `%`, `/` or `:`, so every principal parses back to exactly its org and user. epilot's
 * `org_<id>` is accepted on input as `org:<id>`.
 *
 * - Owners may do everything, sharing (changing `_acl`) included.
 * - An org admin, and a service token of the org (a trusted backend), may do everything with
 *   the files of their own org, and nothing more elsewhere than any user of their org.
 * - Anyone else may do what a grant to their org or to them names. `edit` covers metadata and
 *   new versions; sharing is never granted, only owned.
 * - Without a right to view, a file does not exist for the caller (404), whatever else the
 *   grants say: a grant of edit or delete alone gives nothing.
 */

export type Action = 'view' | 'edit' | 'delete' | 'share';
export const grantedActions = ['view', 'edit', 'delete'] as const;
export type GrantedAction = (typeof grantedActions)[number];

export type Acl = Record<GrantedAction, string[]>;

export interface Owner {
  org_id: string;
  user_id: string;
}

/** What a decision needs to know about a file. */
export interface Guarded {
  org: string;
  owners: readonly Owner[];
  acl: Acl;
}

/** Who is calling, as the verified token says. */
export interface Actor {
  org: string;
  userId: string;
  /** The token carries the org admin role. */
  admin?: boolean;
  /** A client-credentials token of a backend of the org. */
  service?: boolean;
}

/** At most this many principals per action: an ACL is metadata, bounded like the rest. */
export const maxPrincipalsPerAction = 100;
const maxComponentChars = 256;

export class InvalidPrincipalError extends Error {
  constructor(readonly principal: string) {
    super(`"${principal.length > 64 ? `${principal.slice(0, 64)}...` : principal}" is not a principal: use org:<org_id> or user:<org_id>/<user_id>`);
    this.name = 'InvalidPrincipalError';
  }
}

const encode = (component: string) => component.replace(/[%/:]/g, (char) => encodeURIComponent(char));

export function orgPrincipal(org: string): string {
  return `org:${encode(org)}`;
}

export function userPrincipal(org: string, userId: string): string {
  return `user:${encode(org)}/${encode(userId)}`;
}

export type Principal = { kind: 'org'; org: string } | { kind: 'user'; org: string; userId: string };

/** Parses a principal in the canonical form or epilot's `org_<id>`; InvalidPrincipalError otherwise. */
export function parsePrincipal(text: string): Principal {
  const component = (raw: string | undefined): string => {
    if (raw === undefined || raw === '' || /[/:]/.test(raw)) throw new InvalidPrincipalError(text);
    let value: string;
    try {
      value = decodeURIComponent(raw);
    } catch {
      throw new InvalidPrincipalError(text);
    }
    // Control characters and unpaired surrogates make principals no one can type or compare.
    // eslint-disable-next-line no-control-regex
    if (value.length > maxComponentChars || /[\u0000-\u001f\u007f]|[\ud800-\udfff]/u.test(value)) {
      throw new InvalidPrincipalError(text);
    }
    return value;
  };
  const epilot = /^org_(.+)$/.exec(text);
  if (epilot) return { kind: 'org', org: component(encode(epilot[1] as string)) };
  const org = /^org:([^/]*)$/.exec(text);
  if (org) return { kind: 'org', org: component(org[1]) };
  const user = /^user:([^/]*)\/([^/]*)$/.exec(text);
  if (user) return { kind: 'user', org: component(user[1]), userId: component(user[2]) };
  throw new InvalidPrincipalError(text);
}

export function formatPrincipal(principal: Principal): string {
  return principal.kind === 'org' ? orgPrincipal(principal.org) : userPrincipal(principal.org, principal.userId);
}

/** Each list in canonical form, each principal once, in the order given; bounded. */
export function normalizeAcl(acl: Partial<Record<GrantedAction, readonly string[]>>): Acl {
  const normalized = {} as Acl;
  for (const action of grantedActions) {
    const principals = [...new Set((acl[action] ?? []).map((text) => formatPrincipal(parsePrincipal(text))))];
    if (principals.length > maxPrincipalsPerAction) {
      throw new RangeError(`_acl.${action} lists ${principals.length} principals; at most ${maxPrincipalsPerAction}`);
    }
    normalized[action] = principals;
  }
  return normalized;
}

/** A new file's grants: its org may do everything, as every file of an org could before grants. */
export function orgWideAcl(org: string): Acl {
  const principal = orgPrincipal(org);
  return { view: [principal], edit: [principal], delete: [principal] };
}

/** A file only its owners (and their org's admins) may see. */
export function ownersOnlyAcl(): Acl {
  return { view: [], edit: [], delete: [] };
}

/** The principals a caller acts as: their org and themselves. */
export function principalsOf(actor: Actor): string[] {
  return [orgPrincipal(actor.org), userPrincipal(actor.org, actor.userId)];
}

/** Whether the caller manages every file of this org (an admin or a service token of it). */
function manages(actor: Actor, file: Guarded): boolean {
  return actor.org === file.org && (actor.admin === true || actor.service === true);
}

function owns(actor: Actor, file: Guarded): boolean {
  return file.owners.some((owner) => owner.org_id === actor.org && owner.user_id === actor.userId);
}

/** May this caller do this to this file? Without `view`, nothing else is allowed either. */
export function may(actor: Actor, file: Guarded, action: Action): boolean {
  if (owns(actor, file) || manages(actor, file)) return true;
  if (action === 'share') return false;
  const mine = new Set(principalsOf(actor));
  const granted = (what: GrantedAction) => file.acl[what].some((principal) => mine.has(principal));
  return granted('view') && granted(action);
}

/**
 * The principals that may view a file besides the admins and service tokens of its org, who
 * see the org's files as a whole: its owners and its `view` grants.
 */
export function listingPrincipals(file: Guarded): string[] {
  const owners = file.owners.map((owner) => userPrincipal(owner.org_id, owner.user_id));
  return [...new Set([...owners, ...file.acl.view])];
}

/** Whether every user of the file's org may view it (its `view` grants name its org). */
export function orgWide(file: Guarded): boolean {
  return file.acl.view.includes(orgPrincipal(file.org));
}

/** One place a file is listed under a principal: `shared` when the principal is of another org. */
export interface ListingGrant {
  principal: string;
  shared: boolean;
}

/**
 * Where a file is listed besides its org's own listing, which an admin reads whole and any
 * other user of the org reads only for org-wide files. A caller who does not run the file's
 * org may view it exactly when it is org-wide in the caller's org or one of the caller's
 * principals is among these: so a listing reads the caller's own entries and nothing else,
 * and a file no one else was granted costs no entries at all.
 */
export function listingGrants(file: Guarded): ListingGrant[] {
  const wide = orgWide(file);
  return listingPrincipals(file).flatMap((principal) => {
    const shared = parsePrincipal(principal).org !== file.org;
    // An org-wide file is in its org's listing for all of its users already.
    if (principal === orgPrincipal(file.org) || (wide && !shared)) return [];
    return [{ principal, shared }];
  });
}
