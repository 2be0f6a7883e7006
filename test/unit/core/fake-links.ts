import type { LinkRepository, PublicLink } from '../../../lambdas/core/link-repository';
import type { FakeFileRepository } from './fakes';

/**
 * An in-memory LinkRepository with the adapter's contract: a link is stored only while its
 * file is active, and the file's entry (with the last access) goes away with the link or
 * with its file.
 */
export class FakeLinkRepository implements LinkRepository {
  readonly links = new Map<string, PublicLink>();

  constructor(private readonly files: FakeFileRepository) {}

  async create(link: PublicLink): Promise<boolean> {
    const file = await this.files.get(link.org, link.file_id);
    if (!file || file.status !== 'active') return false;
    if (this.links.has(link.id)) throw new Error(`link ${link.id} exists`);
    this.links.set(link.id, structuredClone(link));
    return true;
  }

  async get(id: string): Promise<PublicLink | undefined> {
    const link = this.links.get(id);
    return link ? structuredClone(link) : undefined;
  }

  async listForFile(org: string, fileId: string): Promise<PublicLink[]> {
    return [...this.links.values()].filter((link) => link.org === org && link.file_id === fileId).map((link) => structuredClone(link));
  }

  async recordAccess(link: PublicLink, at: string): Promise<boolean> {
    const stored = this.links.get(link.id);
    // The entry lives in the file's collection: a removed file takes it along.
    if (!stored || !(await this.files.get(link.org, link.file_id))) return false;
    stored.last_accessed_at = at;
    return true;
  }

  async remove(org: string, id: string): Promise<boolean> {
    if (this.links.get(id)?.org !== org) return false;
    return this.links.delete(id);
  }
}
