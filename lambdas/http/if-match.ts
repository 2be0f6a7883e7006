import type { ApiRequest } from './handler';

/** If-Match as a list of entity tags (RFC 9110: `*`, or comma-separated quoted tags). */
export function ifMatchOf(request: ApiRequest): { ifMatch?: string[] } {
  const header = request.header('if-match');
  if (header === undefined) return {};
  return { ifMatch: header.split(',').map((tag) => tag.trim()).filter((tag) => tag !== '') };
}
