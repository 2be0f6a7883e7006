import type { Reply } from './handler';

/** A 302 to a presigned URL, which no cache may keep: it expires, and access can be withdrawn. */
export function redirectTo(location: string): Reply {
  return { status: 302, headers: { location, 'cache-control': 'no-store' } };
}
