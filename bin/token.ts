import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { rolesClaim, serviceScope, tenantClaim } from '../lambdas/config';
import { createLocalAuth, localAudiences, localServiceClient } from '../local/auth';
import { localDataDir } from './paths';

const usage = `Prints a local token for npm start as its last line.

  npm run token -- [--org <org>] [--user <user>] [--role <role>]... [--ttl <seconds>]
      a user's token; --role admin makes an org admin
  npm run token -- --service [--org <org>] [--client <client_id>] [--ttl <seconds>]
      a backend's client-credentials token: no aud, client_id and sub the client, scope
      listing SERVICE_SCOPE; a client other than ${localServiceClient} must be listed in
      LOCAL_JWT_AUDIENCE where npm start runs`;

/**
 * `npm run token -- --org <org> --user <user> [--role admin] [--ttl <seconds>]`, or
 * `npm run token -- --service [--org <org>] [--client <client_id>]`: prints a local token as
 * its last line, the org under the claim TENANT_CLAIM names (org_id by default), the roles
 * under ROLES_CLAIM (roles by default), and for a service the scope SERVICE_SCOPE names
 * (file-service/service by default).
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      org: { type: 'string', default: 'demo-org' },
      user: { type: 'string', default: 'demo-user' },
      ttl: { type: 'string', default: '3600' },
      role: { type: 'string', multiple: true },
      service: { type: 'boolean', default: false },
      client: { type: 'string', default: localServiceClient },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const ttl = Number(values.ttl);
  if (!Number.isInteger(ttl) || ttl <= 0) throw new Error('--ttl must be a positive number of seconds');
  if (!values.org || !values.user || !values.client) throw new Error('--org, --user and --client must not be empty');
  const auth = await createLocalAuth(join(localDataDir, 'auth'));
  if (values.service) {
    if (!localAudiences().includes(values.client)) {
      console.error(`note: npm start accepts client "${values.client}" only if LOCAL_JWT_AUDIENCE lists it`);
    }
    console.error(
      `service token for org "${values.org}" (claim ${tenantClaim()}), client "${values.client}", scope ${serviceScope()}, valid ${ttl} s:`,
    );
    console.log(await auth.signService({ org: values.org, client: values.client }, ttl));
    return;
  }
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
