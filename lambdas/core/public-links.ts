import { randomBytes } from 'node:crypto';
import { may } from './access';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError } from './errors';
import { isUuid } from './keys';
import type { LinkRepository, PublicLink } from './link-repository';
import type { Caller } from './model';
import { guardOf } from './model';
import { findFile } from './file-lookup';
import type { FileRepository, ObjectStore } from './ports';
import { latestVersionOf, publicDownload } from './public-access';
import type { FileReader } from './public-access';

/** A file keeps at most this many live links: the listing answers them all in one page. */
export const maxLinksPerFile = 100;
/** The furthest `expires_at` a link may be given. */
export const maxLinkLifetimeDays = 365;
const dayMs = 24 * 60 * 60 * 1000;
/** 24 random bytes: 192 bits, 32 URL-safe characters. */
const linkIdBytes = 24;
const linkIdPattern = /^[A-Za-z0-9_-]{32}$/;

export function newLinkId(): string {
  return randomBytes(linkIdBytes).toString('base64url');
}

export function isLinkId(value: string): boolean {
  return linkIdPattern.test(value);
}

/** `<api>/v1/files/public/links/<id>/<filename>`: the name is for people; the id alone decides. */
export function publicLinkUrl(apiUrl: string | undefined, id: string, filename: string): string {
  return `${apiUrl ?? ''}/v1/files/public/links/${id}/${encodeURIComponent(filename)}`;
}

/**
 * A link as its file's listing shows it: epilot's PublicLink, whose `last_accessed_at` is a
 * string, so a link never opened has none; `expires_at` when the link was given one.
 */
export interface LinkView {
  id: string;
  link: string;
  last_accessed_at?: string;
  expires_at?: string;
}

export interface PublicLinksDeps {
  files: FileReader & Pick<FileRepository, 'findShared'>;
  links: LinkRepository;
  store: ObjectStore;
  now?: () => Date;
  newId?: () => string;
}

/**
 * Links that open a file without a token: made, listed and revoked by the file's org, opened
 * by anyone who holds one. A revoked or expired link, or a link of a deleted file, is
 * simply not found.
 */
export class PublicLinks {
  private readonly files: FileReader & Pick<FileRepository, 'findShared'>;
  private readonly links: LinkRepository;
  private readonly store: ObjectStore;
  private readonly now: () => Date;
  private readonly newId: () => string;

  constructor(deps: PublicLinksDeps) {
    this.files = deps.files;
    this.links = deps.links;
    this.store = deps.store;
    this.now = deps.now ?? (() => new Date());
    this.newId = deps.newId ?? newLinkId;
  }

  /** A new link to the file, valid until `expiresAt` when given (ISO 8601), else until revoked. */
  async create(caller: Caller, fileId: string, options: { expiresAt?: string } = {}): Promise<string> {
    assertFileId(fileId);
    const now = this.now();
    const expiresAt = options.expiresAt === undefined ? undefined : expiryOf(options.expiresAt, now);
    const record = await findFile(this.files, caller, fileId);
    if (!record || record.status !== 'active' || !may(caller, guardOf(record), 'view')) throw fileNotFound(fileId);
    // A link hands the file to anyone: only those who may change the file may make one.
    if (!may(caller, guardOf(record), 'edit')) throw new ForbiddenError(`You may view file ${fileId} but not share it by link`);
    const live = (await this.links.listForFile(record.org, fileId)).filter((link) => isLive(link, now));
    if (live.length >= maxLinksPerFile) {
      throw new ConflictError(`A file has at most ${maxLinksPerFile} public links: revoke one before making another`);
    }
    const link: PublicLink = {
      id: this.newId(),
      org: record.org,
      file_id: fileId,
      filename: record.filename,
      created_at: now.toISOString(),
      created_by: caller.userId,
      ...(expiresAt ? { expires_at: expiresAt } : {}),
    };
    // The file may be deleted between the read and the write: the write checks it again.
    if (!(await this.links.create(link))) throw fileNotFound(fileId);
    return publicLinkUrl(caller.apiUrl, link.id, link.filename);
  }

  /** The file's live links, oldest first. */
  async list(caller: Caller, fileId: string): Promise<{ results: LinkView[] }> {
    assertFileId(fileId);
    const record = await findFile(this.files, caller, fileId);
    if (!record || record.status !== 'active' || !may(caller, guardOf(record), 'view')) throw fileNotFound(fileId);
    const links = await this.links.listForFile(record.org, fileId);
    const now = this.now();
    return {
      results: links.filter((link) => isLive(link, now)).map((link) => ({
        id: link.id,
        link: publicLinkUrl(caller.apiUrl, link.id, link.filename),
        ...(link.last_accessed_at ? { last_accessed_at: link.last_accessed_at } : {}),
        ...(link.expires_at ? { expires_at: link.expires_at } : {}),
      })),
    };
  }

  /** Revokes a link of a file the caller may change; a link of a file they may not view is not found. */
  async revoke(caller: Caller, linkId: string): Promise<void> {
    if (!isLinkId(linkId)) throw new BadRequestError('Link id must be the 32 characters a generated link carries');
    const link = await this.links.get(linkId);
    if (!link) throw linkNotFound();
    // Revoking is for those who may make links: those who may change the file.
    const record = await findFile(this.files, caller, link.file_id);
    // Another org's link is found only through its file, shared with the caller.
    if (link.org !== caller.org && record?.org !== link.org) throw linkNotFound();
    if (record && !may(caller, guardOf(record), 'view')) throw linkNotFound();
    if (record && !may(caller, guardOf(record), 'edit')) {
      throw new ForbiddenError(`You may view file ${link.file_id} but not revoke its links`);
    }
    if (!(await this.links.remove(link.org, linkId))) throw linkNotFound();
  }

  /**
   * Opens a link without a token: a short-lived download URL of the file's latest version,
   * and the access recorded. Anything that is not a live link of an active file is a 404.
   */
  async open(linkId: string): Promise<string> {
    if (!isLinkId(linkId)) throw linkNotFound();
    const link = await this.links.get(linkId);
    const now = this.now();
    if (!link || !isLive(link, now)) throw linkNotFound();
    const [latest, recorded] = await Promise.all([
      latestVersionOf(this.files, link.org, link.file_id),
      this.links.recordAccess(link, now.toISOString()),
    ]);
    if (!latest || !recorded) throw linkNotFound();
    return publicDownload(this.store, latest.version);
  }
}

/** The expiry as stored (ISO 8601, UTC): in the future, at most a year ahead. */
function expiryOf(value: string, now: Date): string {
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) throw new BadRequestError('expires_at must be an ISO 8601 date-time');
  if (at.getTime() <= now.getTime()) throw new BadRequestError('expires_at must lie in the future');
  if (at.getTime() > now.getTime() + maxLinkLifetimeDays * dayMs) {
    throw new BadRequestError(`expires_at must lie at most ${maxLinkLifetimeDays} days ahead`);
  }
  return at.toISOString();
}

function isLive(link: PublicLink, now: Date): boolean {
  return link.expires_at === undefined || Date.parse(link.expires_at) > now.getTime();
}

function assertFileId(id: string): void {
  if (!isUuid(id)) throw new BadRequestError('File id must be a UUID');
}

function fileNotFound(id: string): NotFoundError {
  return new NotFoundError(`File ${id} not found`);
}

export function linkNotFound(): NotFoundError {
  return new NotFoundError('Public link not found');
}
