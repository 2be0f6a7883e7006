import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { rolesClaim, tenantClaim } from '../lambdas/config';
import { createLocalAuth } from '../local/auth';
import { localDataDir } from './paths';

/**
 * `npm run token -- --org <org> --user <user> [--role admin] [--ttl <seconds>]`: prints a
 * local token as its last line, the org under the claim TENANT_CLAIM names (org_id by
 * default) and the roles under ROLES_CLAIM (roles by default).
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      org: { type: 'string', default: 'demo-org' },
      user: { type: 'string', default: 'demo-user' },
      ttl: { type: 'string', default: '3600' },
      role: { type: 'string', multiple: true },
    },
  });
  const ttl = Number(values.ttl);
  if (!Number.isInteger(ttl) || ttl <= 0) throw new Error('--ttl must be a positive number of seconds');
  if (!values.org || !values.user) throw new Error('--org and --user must not be empty');
  const auth = await createLocalAuth(join(localDataDir, 'auth'));
  const roles = values.role ?? [];
  console.error(
    `token for org "${values.org}" (claim ${tenantClaim()}), user "${values.user}"` +
      `${roles.length > 0 ? `, roles ${roles.join(', ')} (claim ${rolesClaim()})` : ''}, valid ${ttl} s:`,
  );
  console.log(await auth.sign({ org: values.org, user: values.user, ...(roles.length > 0 ? { roles } : {}) }, ttl));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
