import { createLocalAuth } from '../../../local/auth';
import type { LocalStack } from '../../../local/stack';

/** Who calls: the file owner's org, another org, and every way a token can be wrong. */
export const principals = [
  'the own org',
  'another org',
  'no token',
  'a garbage token',
  'a token signed by another key',
  'an expired token',
  'a token whose claims were edited after signing',
  'an unsigned token (alg none)',
  'a token without org_id',
] as const;

export type Principal = (typeof principals)[number];

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A token (or none) per principal; the own org is org-a/alice as in tokensFor(). */
export async function tokensOf(stack: LocalStack): Promise<Record<Principal, string | undefined>> {
  const own = await stack.auth.sign({ org: 'org-a', user: 'alice' });
  const [header = '', payload = '', signature = ''] = own.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  const strangerAuth = await createLocalAuth();
  return {
    'the own org': own,
    'another org': await stack.auth.sign({ org: 'org-b', user: 'bob' }),
    'no token': undefined,
    'a garbage token': 'not-a-jwt',
    'a token signed by another key': await strangerAuth.sign({ org: 'org-a', user: 'alice' }),
    'an expired token': await stack.auth.sign({ org: 'org-a', user: 'alice' }, -60),
    'a token whose claims were edited after signing': `${header}.${encode({ ...claims, org_id: 'org-b' })}.${signature}`,
    'an unsigned token (alg none)': `${encode({ alg: 'none', typ: 'JWT' })}.${payload}.`,
    'a token without org_id': await stack.auth.sign({ org: '', user: 'alice' }),
  };
}
