import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  FileServiceStack,
  type FileServiceStackProps,
  PLACEHOLDER_AUDIENCE,
  PLACEHOLDER_ISSUER,
} from '../../lib/file-service-stack';
import { audience, handlersDir, issuer, synthFileService, unbundledApp } from './fixtures/synth';

type CfnTemplate = {
  Parameters?: Record<string, { Type: string; Default?: string }>;
  Rules?: Record<string, { Assertions: Array<{ Assert: unknown; AssertDescription: string }> }>;
};

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

function stackWith(props: Partial<FileServiceStackProps>): FileServiceStack {
  return new FileServiceStack(unbundledApp(), 'FileService', { handlersDir, ...props });
}

/** Parameter values as CloudFormation would resolve them: the defaults, overridden by `given`. */
function parameterValues(template: CfnTemplate, given: Record<string, string>): Record<string, string | string[]> {
  const values: Record<string, string | string[]> = {};
  for (const [name, parameter] of Object.entries(template.Parameters ?? {})) {
    const value = given[name] ?? parameter.Default ?? '';
    values[name] = parameter.Type === 'CommaDelimitedList' ? value.split(',') : value;
  }
  return values;
}

/** Evaluates the rule functions this stack uses (Ref, Fn::Not, Fn::Equals, Fn::Contains). */
function evaluate(node: unknown, values: Record<string, string | string[]>): unknown {
  if (typeof node === 'string') return node;
  if (Array.isArray(node)) return node.map((item) => evaluate(item, values));
  const [fn, argument] = Object.entries(node as Record<string, unknown>)[0]!;
  const args = () => (argument as unknown[]).map((item) => evaluate(item, values));
  switch (fn) {
    case 'Ref':
      if (!(String(argument) in values)) throw new Error(`Ref to unknown parameter ${String(argument)}`);
      return values[String(argument)];
    case 'Fn::Not':
      return !args()[0];
    case 'Fn::Equals': {
      const [left, right] = args();
      return left === right;
    }
    case 'Fn::Contains': {
      const [list, value] = args() as [string[], string];
      return list.includes(value);
    }
    default:
      throw new Error(`rule function ${fn} is not evaluated here`);
  }
}

/** The descriptions of the failing assertions of the stack's own rules (not the CDK bootstrap check). */
function refusals(template: CfnTemplate, given: Record<string, string> = {}): string[] {
  const values = parameterValues(template, given);
  return Object.entries(template.Rules ?? {})
    .filter(([name]) => name !== 'CheckBootstrapVersion')
    .flatMap(([, rule]) => rule.Assertions)
    .filter((assertion) => evaluate(assertion.Assert, values) !== true)
    .map((assertion) => assertion.AssertDescription);
}

describe('FileServiceStack without a JWT issuer', () => {
  let stack: FileServiceStack;
  let template: CfnTemplate;
  beforeAll(() => {
    stack = stackWith({});
    template = Template.fromStack(stack).toJSON() as CfnTemplate;
  });

  it('synthesises and warns that a deployment needs -c jwtIssuer and -c jwtAudience', () => {
    Annotations.fromStack(stack).hasWarning(
      '/FileService',
      Match.stringLikeRegexp('No JWT issuer is configured.*-c jwtIssuer=https://.*-c jwtAudience=.*refuse to deploy'),
    );
  });

  it('makes CloudFormation refuse to deploy it as synthesised, saying which context to set', () => {
    const reasons = refusals(template);

    expect(reasons).toHaveLength(2);
    for (const reason of reasons) expect(reason).toMatch(/-c jwtIssuer=https:\/\/\S+ -c jwtAudience=\S+/);
  });

  it('still refuses when only the issuer parameter is set', () => {
    expect(refusals(template, { JwtIssuer: issuer })).toEqual([expect.stringMatching(/JWT audience is still the placeholder/)]);
  });

  it('deploys once real JwtIssuer and JwtAudience parameters are given, and the authorizer trusts them', () => {
    expect(refusals(template, { JwtIssuer: issuer, JwtAudience: audience.join(',') })).toEqual([]);
    Template.fromStack(stack).hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      JwtConfiguration: { Issuer: { Ref: 'JwtIssuer' }, Audience: { Ref: 'JwtAudience' } },
    });
  });

  it('defaults the parameters to placeholders no identity provider can serve', () => {
    expect(template.Parameters?.JwtIssuer).toMatchObject({ Type: 'String', Default: PLACEHOLDER_ISSUER });
    expect(template.Parameters?.JwtAudience).toMatchObject({ Type: 'CommaDelimitedList', Default: PLACEHOLDER_AUDIENCE });
    expect(new URL(PLACEHOLDER_ISSUER).hostname).toMatch(/\.invalid$/);
  });
});

describe('FileServiceStack with a JWT issuer', () => {
  it('adds no parameter, rule or warning and trusts the configured issuer and audiences', () => {
    const stack = stackWith({ jwtIssuer: issuer, jwtAudience: audience });
    const template = Template.fromStack(stack);
    const json = template.toJSON() as CfnTemplate;

    expect(Object.keys(json.Parameters ?? {})).toEqual(['BootstrapVersion']);
    expect(Object.keys(json.Rules ?? {})).toEqual(['CheckBootstrapVersion']);
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      JwtConfiguration: { Issuer: issuer, Audience: audience },
    });
  });

  it('refuses an issuer without an audience', () => {
    expect(() => stackWith({ jwtIssuer: issuer })).toThrow(/jwtAudience is required with jwtIssuer/);
  });
});

describe('FileService tenant claim', () => {
  it('tells every Lambda to read the org from org_id by default', () => {
    const { template } = synthFileService();

    template.allResourcesProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ TENANT_CLAIM: 'org_id' }) },
    });
  });

  it("passes a configured claim such as Cognito's custom:org_id to every Lambda", () => {
    const { template } = synthFileService({ tenantClaim: 'custom:org_id' });

    template.allResourcesProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ TENANT_CLAIM: 'custom:org_id' }) },
    });
  });

  it('accepts a namespaced claim URL', () => {
    expect(() => synthFileService({ tenantClaim: 'https://example.com/org_id' })).not.toThrow();
  });

  it('refuses an empty claim name or one with spaces, quotes or brackets', () => {
    for (const tenantClaim of ['', 'org id', '"org_id"', 'claims[org]', 'x'.repeat(257)]) {
      expect(() => synthFileService({ tenantClaim }), tenantClaim).toThrow(/tenantClaim must be a claim name/);
    }
  });
});

describe('CDK app', () => {
  const exec = promisify(execFile);
  type AppTemplate = CfnTemplate & { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };

  /** Runs bin/app.ts as `cdk synth` does (bundling skipped) and returns the template and the warnings. */
  async function synthApp(context: Record<string, string>): Promise<{ template: AppTemplate; warnings: string[] }> {
    const outdir = mkdtempSync(join(tmpdir(), 'cdk-app-'));
    try {
      await exec(join(repoRoot, 'node_modules', '.bin', 'tsx'), ['bin/app.ts'], {
        cwd: repoRoot,
        env: {
          ...process.env,
          CDK_OUTDIR: outdir,
          CDK_CONTEXT_JSON: JSON.stringify({ ...context, 'aws:cdk:bundling-stacks': [] }),
        },
      });
      const metadata = JSON.parse(readFileSync(join(outdir, 'FileService.metadata.json'), 'utf8')) as Record<
        string,
        Array<{ type: string; data: unknown }>
      >;
      const warnings = Object.values(metadata)
        .flat()
        .filter((entry) => entry.type === 'aws:cdk:warning')
        .map((entry) => String(entry.data));
      return { template: JSON.parse(readFileSync(join(outdir, 'FileService.template.json'), 'utf8')) as AppTemplate, warnings };
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }

  // One run (a whole app synthesis is slow): no issuer, so the guard, plus the other context keys.
  it('synthesises offline without an issuer, warns, is refused by CloudFormation, and takes audiences, claims, role and scope from context', async () => {
    const { template, warnings } = await synthApp({
      jwtAudience: 'client-a, client-b',
      tenantClaim: 'custom:org_id',
      rolesClaim: 'cognito:groups',
      adminRole: 'file-admins',
      serviceScope: 'files/backend',
    });

    expect(warnings).toEqual([expect.stringMatching(/-c jwtIssuer=.*-c jwtAudience=/)]);
    expect(refusals(template)).toEqual([expect.stringMatching(/No JWT issuer is configured/)]);
    expect(refusals(template, { JwtIssuer: issuer })).toEqual([]);
    expect(template.Parameters?.JwtAudience?.Default).toBe('client-a,client-b');
    const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThan(0);
    for (const fn of functions) {
      expect((fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({
        TENANT_CLAIM: 'custom:org_id',
        ROLES_CLAIM: 'cognito:groups',
        ADMIN_ROLE: 'file-admins',
        SERVICE_SCOPE: 'files/backend',
      });
    }
  }, 180_000);
});
