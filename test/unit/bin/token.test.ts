import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalAuth } from '../../../local/auth';

const run = promisify(execFile);
const tsx = join(process.cwd(), 'node_modules', '.bin', 'tsx');
let dataDir: string;

/** The last line `npm run token` prints, with the local data in a directory of its own. */
async function token(...args: string[]): Promise<string> {
  const { stdout } = await run(tsx, ['bin/token.ts', ...args], { env: { ...process.env, LOCAL_DATA_DIR: dataDir }, timeout: 30_000 });
  return stdout.trim().split('\n').at(-1) ?? '';
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'token-'));
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('npm run token -- --service', () => {
  it('prints a client-credentials token of the org that the local API accepts', { timeout: 40_000 }, async () => {
    // Act
    const printed = await token('--service', '--org', 'acme');

    // Assess
    const claims = decodeJwt(printed);
    expect(claims).not.toHaveProperty('aud');
    expect(claims).toMatchObject({ org_id: 'acme', client_id: 'demo-service', sub: 'demo-service', scope: 'file-service/service' });
    const auth = await createLocalAuth(join(dataDir, 'auth'));
    expect(await auth.verify(printed)).toMatchObject({ org_id: 'acme' });
  });

  it('names the client --client gives', { timeout: 40_000 }, async () => {
    // Act
    const printed = await token('--service', '--client', 'billing');

    // Assess
    expect(decodeJwt(printed)).toMatchObject({ client_id: 'billing', sub: 'billing', org_id: 'demo-org' });
  });
});
