import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler } from '../../../lambdas/handlers/get-openapi';
import { apiEvent } from '../handlers/events';

const root = resolve(import.meta.dirname, '..', '..', '..');
let directory: string;

interface LintReport {
  totals: { errors: number; warnings: number };
  problems: Array<{ ruleId: string; severity: string; message: string }>;
}

/** `redocly lint` of a document with the repository's redocly.yaml (the `recommended` rules and the reasons for any exception). */
async function lint(document: unknown, name: string): Promise<LintReport> {
  const file = join(directory, name);
  await writeFile(file, JSON.stringify(document, null, 2));
  const run = await promisify(execFile)(join(root, 'node_modules', '.bin', 'redocly'), ['lint', file, '--config', join(root, 'redocly.yaml'), '--format=json'], {
    cwd: root,
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
  }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
  return JSON.parse(run.stdout.slice(run.stdout.indexOf('{'))) as LintReport;
}

/** The document exactly as GET /openapi.json serves it on AWS. */
async function served(): Promise<Record<string, unknown>> {
  const event = apiEvent({ routeKey: 'GET /openapi.json', claims: null });
  event.requestContext.domainName = 'abc123.execute-api.eu-central-1.amazonaws.com';
  return JSON.parse((await handler(event)).body ?? '{}') as Record<string, unknown>;
}

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'openapi-lint-'));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('redocly lint', () => {
  it('finds no error and no warning in the served OpenAPI document', async () => {
    // Prepare
    const document = await served();

    // Act
    const report = await lint(document, 'openapi.json');

    // Assess
    expect(report.problems.map((problem) => `${problem.severity} ${problem.ruleId}: ${problem.message}`)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  });

  it('would report a document that breaks the rules: an operation without an operationId, a path parameter left undeclared', async () => {
    // Prepare
    const document = await served();
    const paths = document.paths as Record<string, Record<string, Record<string, unknown>>>;
    delete paths['/v2/files']?.get?.operationId;
    delete paths['/v2/files/{id}']?.get?.parameters;

    // Act
    const report = await lint(document, 'broken.json');

    // Assess
    expect(report.problems.map((problem) => problem.ruleId)).toEqual(expect.arrayContaining(['operation-operationId', 'path-parameters-defined']));
  });
});
