/**
 * Public links: a random id that opens the latest version of one file without a token,
 * until it is revoked, expires or its file is deleted.
 */
export interface PublicLink {
  /** Random, URL-safe, at least 128 bits: the link is its own secret. */
  id: string;
  org: string;
  file_id: string;
  /** The file's name when the link was made; the link's URL ends with it. */
  filename: string;
  created_at: string;
  created_by: string;
  /** ISO 8601; the link answers 404 from this moment on. */
  expires_at?: string;
  last_accessed_at?: string;
}

/** Where links are kept; every write that concerns a link and its file is one transaction. */
export interface LinkRepository {
  /**
   * Stores the link and its entry in its file's collection together, only while the file is
   * active; false (and nothing stored) when the file is unknown, deleted or being deleted.
   */
  create(link: PublicLink): Promise<boolean>;
  /** The link by id, read consistently. */
  get(id: string): Promise<PublicLink | undefined>;
  /** Every link of the file, oldest first, read consistently. */
  listForFile(org: string, fileId: string): Promise<PublicLink[]>;
  /**
   * Records that the link was opened at `at`; false when its entry is gone (the link was
   * revoked or its file deleted meanwhile).
   */
  recordAccess(link: PublicLink, at: string): Promise<boolean>;
  /** Removes the link if it is one of the org's; false when the org has no such link. */
  remove(org: string, id: string): Promise<boolean>;
}
