import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  InvalidPrincipalError,
  grantedActions,
  listingGrants,
  listingPrincipals,
  may,
  maxPrincipalsPerAction,
  normalizeAcl,
  orgPrincipal,
  orgWide,
  orgWideAcl,
  ownersOnlyAcl,
  parsePrincipal,
  principalsOf,
  userPrincipal,
} from '../../../lambdas/core/access';
import type { Acl, Action, Actor, Guarded } from '../../../lambdas/core/access';

/**
 * The rules, written as plainly as they are stated, without the implementation's shortcuts:
 * the property tests below check `may` against this for every generated caller and file.
 */
function reference(actor: Actor, file: Guarded, action: Action): boolean {
  const isOwner = file.owners.some((owner) => owner.org_id === actor.org && owner.user_id === actor.userId);
  const runsTheOrg = actor.org === file.org && (actor.admin === true || actor.service === true);
  if (isOwner || runsTheOrg) return true;
  if (action === 'share') return false;
  const grantedTo = (list: string[]) =>
    list.includes(`org:${encodeURIComponent(actor.org)}`) || list.includes(`user:${encodeURIComponent(actor.org)}/${encodeURIComponent(actor.userId)}`);
  const canView = grantedTo(file.acl.view);
  return canView && grantedTo(file.acl[action]);
}

// Few orgs and users, so that generated callers and grants meet often; one with a slash.
const orgs = fc.constantFrom('org-a', 'org-b', 'org/c');
const users = fc.constantFrom('alice', 'bob', 'carol');
const actor: fc.Arbitrary<Actor> = fc.record({ org: orgs, userId: users, admin: fc.boolean(), service: fc.boolean() });
const principal = fc.oneof(
  orgs.map((org) => orgPrincipal(org)),
  fc.tuple(orgs, users).map(([org, user]) => userPrincipal(org, user)),
);
const grants = fc.uniqueArray(principal, { maxLength: 5 });
const file: fc.Arbitrary<Guarded> = fc.record({
  org: orgs,
  owners: fc.array(fc.record({ org_id: orgs, user_id: users }), { maxLength: 2 }),
  acl: fc.record({ view: grants, edit: grants, delete: grants }),
});
const action = fc.constantFrom<Action>('view', 'edit', 'delete', 'share');

describe('may', () => {
  it('answers as the plain reference model of the rules, for every caller, file and action', () => {
    fc.assert(
      fc.property(actor, file, action, (who, what, act) => {
        expect(may(who, what, act)).toBe(reference(who, what, act));
      }),
      { numRuns: 5000 },
    );
  });

  it('never lets a caller do anything with a file they may not view', () => {
    fc.assert(
      fc.property(actor, file, action, (who, what, act) => {
        if (!may(who, what, 'view')) expect(may(who, what, act)).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('lists a file under one of the caller’s principals exactly when the caller may view it, unless the caller runs its org', () => {
    fc.assert(
      fc.property(actor, file, (who, what) => {
        const runsTheOrg = who.org === what.org && (who.admin === true || who.service === true);
        const listed = principalsOf(who).some((mine) => listingPrincipals(what).includes(mine));
        expect(runsTheOrg || listed).toBe(may(who, what, 'view'));
      }),
      { numRuns: 5000 },
    );
  });

  it('finds a file in exactly the listings of the callers who may view it: their org’s own, or the files shared with them', () => {
    fc.assert(
      fc.property(actor, file, (who, what) => {
        const mine = new Set(principalsOf(who));
        const entries = listingGrants(what).filter((grant) => mine.has(grant.principal));
        const runsTheOrg = who.org === what.org && (who.admin === true || who.service === true);
        // What GET /v2/files reads: the org's files (all of them for an admin, the org-wide
        // ones for anyone else) and the caller's own entries of their org's files.
        const ownListing =
          who.org === what.org && (runsTheOrg || orgWide(what) || entries.some((grant) => !grant.shared));
        // What GET /v2/files?shared=true reads: the caller's entries of other orgs' files.
        const sharedListing = entries.some((grant) => grant.shared);
        expect(ownListing || sharedListing).toBe(may(who, what, 'view'));
        if (sharedListing) expect(what.org).not.toBe(who.org);
      }),
      { numRuns: 5000 },
    );
  });

  it('gives a file no listing entries of its own while only its owner and its whole org may see it', () => {
    // Prepare
    const memo: Guarded = { org: 'org-a', owners: [{ org_id: 'org-a', user_id: 'alice' }], acl: orgWideAcl('org-a') };
    const shared: Guarded = { ...memo, acl: { ...memo.acl, view: [...memo.acl.view, userPrincipal('org-b', 'zoe')] } };
    const payslip: Guarded = { ...memo, acl: ownersOnlyAcl() };

    // Act / Assess
    expect(listingGrants(memo)).toEqual([]);
    expect(listingGrants(shared)).toEqual([{ principal: userPrincipal('org-b', 'zoe'), shared: true }]);
    expect(listingGrants(payslip)).toEqual([{ principal: userPrincipal('org-a', 'alice'), shared: false }]);
  });

  it('gives an org admin everything in their own org and nothing more than a plain user elsewhere', () => {
    // Prepare
    const contract: Guarded = { org: 'org-a', owners: [{ org_id: 'org-a', user_id: 'alice' }], acl: ownersOnlyAcl() };
    const admin: Actor = { org: 'org-a', userId: 'root', admin: true };
    const foreignAdmin: Actor = { org: 'org-b', userId: 'root', admin: true };

    // Act / Assess
    expect(['view', 'edit', 'delete', 'share'].map((act) => may(admin, contract, act as Action))).toEqual([true, true, true, true]);
    expect(['view', 'edit', 'delete', 'share'].map((act) => may(foreignAdmin, contract, act as Action))).toEqual([false, false, false, false]);
  });

  it('keeps an owners-only file from the rest of its org, and a shared file visible to exactly its grantees', () => {
    // Prepare
    const payslip: Guarded = { org: 'org-a', owners: [{ org_id: 'org-a', user_id: 'alice' }], acl: ownersOnlyAcl() };
    const contract: Guarded = { ...payslip, acl: { ...ownersOnlyAcl(), view: [orgPrincipal('org-b'), userPrincipal('org-a', 'bob')] } };

    // Act / Assess
    expect(may({ org: 'org-a', userId: 'alice' }, payslip, 'share')).toBe(true);
    expect(may({ org: 'org-a', userId: 'bob' }, payslip, 'view')).toBe(false);
    expect(may({ org: 'org-a', userId: 'bob' }, contract, 'view')).toBe(true);
    expect(may({ org: 'org-a', userId: 'bob' }, contract, 'edit')).toBe(false);
    expect(may({ org: 'org-b', userId: 'zoe' }, contract, 'view')).toBe(true);
    expect(may({ org: 'org-a', userId: 'carol' }, contract, 'view')).toBe(false);
  });

  it('lets a new file do for its org what every file did before grants existed', () => {
    // Prepare
    const shared: Guarded = { org: 'org-a', owners: [{ org_id: 'org-a', user_id: 'alice' }], acl: orgWideAcl('org-a') };

    // Act / Assess
    for (const act of grantedActions) expect(may({ org: 'org-a', userId: 'bob' }, shared, act)).toBe(true);
    expect(may({ org: 'org-a', userId: 'bob' }, shared, 'share')).toBe(false);
    expect(may({ org: 'org-b', userId: 'bob' }, shared, 'view')).toBe(false);
  });
});

describe('principals', () => {
  it('parse back to exactly the org and user they name, whatever characters those hold', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }), fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }), (org, user) => {
        // eslint-disable-next-line no-control-regex
        fc.pre(!/[\u0000-\u001f\u007f]/.test(org + user));
        expect(parsePrincipal(userPrincipal(org, user))).toEqual({ kind: 'user', org, userId: user });
        expect(parsePrincipal(orgPrincipal(org))).toEqual({ kind: 'org', org });
      }),
      { numRuns: 2000 },
    );
  });

  it('accept epilot’s org_<id> as org:<id>', () => {
    expect(normalizeAcl({ view: ['org_123', 'org:123'], edit: ['user:123/u-1'] })).toEqual({
      view: ['org:123'],
      edit: ['user:123/u-1'],
      delete: [],
    });
  });

  it.each([
    [''],
    ['org:'],
    ['org'],
    ['user:org-a'],
    ['user:org-a/'],
    ['user:/alice'],
    ['user:org-a/alice/extra'],
    ['group:admins'],
    ['org:a:b'],
    ['org:%E0%A4%A'],
    ['org:%00'],
    ['org:%ED%A0%80'],
    [`org:${'x'.repeat(257)}`],
    ['ORG:org-a'],
  ])('refuses %j', (text) => {
    expect(() => parsePrincipal(text)).toThrow(InvalidPrincipalError);
  });

  it(`bounds each action to ${maxPrincipalsPerAction} principals`, () => {
    const many = Array.from({ length: maxPrincipalsPerAction + 1 }, (_, index) => orgPrincipal(`org-${index}`));
    expect(() => normalizeAcl({ view: many })).toThrow(RangeError);
    expect(normalizeAcl({ view: many.slice(1) }).view).toHaveLength(maxPrincipalsPerAction);
  });

  it('name the caller’s org and the caller', () => {
    const acl: Acl = normalizeAcl({ view: principalsOf({ org: 'org/c', userId: 'a:b' }) });
    expect(acl.view).toEqual(['org:org%2Fc', 'user:org%2Fc/a%3Ab']);
  });
});
