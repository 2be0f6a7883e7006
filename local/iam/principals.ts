import { randomBytes } from 'node:crypto';
import type { PermissionGrant } from '../../lib/permissions';
import { Policy } from './policy';

export const localAccount = '000000000000';
const maxRecordedDenials = 10_000;

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** Who signed a request: one function's role, or the stack's administrator. */
export interface Principal {
  /** The function's name, or `admin`. */
  readonly name: string;
  /** The ARN AWS names in an AccessDenied message. */
  readonly arn: string;
  readonly credentials: Credentials;
  /** undefined for the administrator, who may do anything (tests' storage helper, the sweeper). */
  readonly policy?: Policy;
}

export interface Authorization {
  function: string;
  service: 's3' | 'dynamodb' | 'events';
  action: string;
  resource: string;
}

/**
 * The local stand-in for IAM: one role with its own access key per function, the policy
 * CDK renders for it, and a record of every decision so tests can tell which granted actions
 * the code really uses.
 */
export class LocalIam {
  private readonly byKey = new Map<string, Principal>();
  /** Distinct decisions only, so a long `npm start` session stays small. */
  private readonly allowed = new Map<string, Authorization>();
  private readonly refused: Authorization[] = [];

  constructor(admin: Credentials, functions: ReadonlyArray<{ name: string; grants: readonly PermissionGrant[] }>) {
    this.byKey.set(admin.accessKeyId, { name: 'admin', arn: `arn:aws:iam::${localAccount}:root`, credentials: admin });
    for (const fn of functions) {
      const credentials = {
        accessKeyId: `ASIA${fn.name.toUpperCase().slice(0, 12)}${randomBytes(4).toString('hex').toUpperCase()}`,
        secretAccessKey: randomBytes(30).toString('base64'),
      };
      this.byKey.set(credentials.accessKeyId, {
        name: fn.name,
        arn: `arn:aws:sts::${localAccount}:assumed-role/file-service-${fn.name}/${fn.name}`,
        credentials,
        policy: new Policy(fn.grants.map((grant) => ({ Effect: 'Allow', Action: grant.actions, Resource: grant.resources }))),
      });
    }
  }

  principals(): Principal[] {
    return [...this.byKey.values()];
  }

  /** The principal of an access key id; undefined when the key is unknown. */
  principal(accessKeyId: string): Principal | undefined {
    return this.byKey.get(accessKeyId);
  }

  credentialsOf(functionName: string): Credentials {
    const principal = [...this.byKey.values()].find((candidate) => candidate.name === functionName);
    if (!principal) throw new Error(`No local principal named ${functionName}`);
    return principal.credentials;
  }

  /** Whether the policy allows this, without recording it (checks S3 makes for itself). */
  can(principal: Principal, action: string, resource: string): boolean {
    return !principal.policy || principal.policy.allows(action, resource);
  }

  /** Whether the principal may do this, as IAM decides; every function's decision is recorded. */
  authorize(principal: Principal, service: Authorization['service'], action: string, resource: string): boolean {
    if (!principal.policy) return true;
    const allowed = principal.policy.allows(action, resource);
    const entry = { function: principal.name, service, action, resource };
    if (allowed) this.allowed.set(JSON.stringify(entry), entry);
    else if (this.refused.length < maxRecordedDenials) this.refused.push(entry);
    return allowed;
  }

  /** Every action the function was allowed, with the resource it was allowed on. */
  used(functionName: string): Authorization[] {
    return [...this.allowed.values()].filter((entry) => entry.function === functionName);
  }

  /** Every refusal, in order. */
  denied(): Authorization[] {
    return [...this.refused];
  }

  /** Forgets what was recorded so far. */
  reset(): void {
    this.allowed.clear();
    this.refused.length = 0;
  }
}
