/**
 * A small IAM policy evaluator for identity-based policies without conditions, which is all
 * the service's grants are: an explicit Deny wins, then any Allow, else the implicit deny.
 * Action names match case-insensitively, resources case-sensitively, both with `*` and `?`.
 */

export interface PolicyStatement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Condition?: unknown;
}

export type Decision = 'allowed' | 'explicitDeny' | 'implicitDeny';

export class Policy {
  private readonly statements: readonly CompiledStatement[];

  constructor(statements: readonly PolicyStatement[]) {
    this.statements = statements.map(compile);
  }

  evaluate(action: string, resource: string): Decision {
    const matching = this.statements.filter((statement) => statement.matches(action, resource));
    if (matching.some((statement) => statement.effect === 'Deny')) return 'explicitDeny';
    return matching.some((statement) => statement.effect === 'Allow') ? 'allowed' : 'implicitDeny';
  }

  allows(action: string, resource: string): boolean {
    return this.evaluate(action, resource) === 'allowed';
  }
}

interface CompiledStatement {
  effect: 'Allow' | 'Deny';
  matches(action: string, resource: string): boolean;
}

function compile(statement: PolicyStatement): CompiledStatement {
  // A condition this evaluator ignored would widen an Allow or narrow a Deny silently.
  if (statement.Condition !== undefined) throw new Error('Policy statements with a Condition are not supported');
  if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') {
    throw new Error(`Policy statement Effect must be Allow or Deny, got ${String(statement.Effect)}`);
  }
  const action = exactlyOne('Action', statement.Action, statement.NotAction, 'i');
  const resource = exactlyOne('Resource', statement.Resource, statement.NotResource, '');
  return {
    effect: statement.Effect,
    matches: (name, arn) => action(name) && resource(arn),
  };
}

/** `Action` or `NotAction` (and likewise for resources): one of the pair, never both. */
function exactlyOne(
  element: string,
  positive: string | readonly string[] | undefined,
  negative: string | readonly string[] | undefined,
  flags: string,
): (value: string) => boolean {
  if ((positive === undefined) === (negative === undefined)) {
    throw new Error(`Policy statement needs exactly one of ${element} and Not${element}`);
  }
  const patterns = toList(positive ?? negative).map((pattern) => wildcard(pattern, flags));
  const anyMatch = (value: string) => patterns.some((pattern) => pattern.test(value));
  return positive !== undefined ? anyMatch : (value) => !anyMatch(value);
}

function toList(value: string | readonly string[] | undefined): readonly string[] {
  return value === undefined ? [] : typeof value === 'string' ? [value] : value;
}

function wildcard(pattern: string, flags: string): RegExp {
  const source = pattern
    .split('')
    .map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, `s${flags}`);
}
