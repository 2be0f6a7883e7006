import { describe, expect, it } from 'vitest';
import { publishEvents } from '../../../lambdas/operations';
import { matchesAny } from '../../../local/streams';

const record = (pk: string, sk: string) => ({ eventName: 'INSERT', dynamodb: { Keys: { pk: { S: pk }, sk: { S: sk } } } });

describe('the local stream poller’s filter patterns', () => {
  it('passes the event publisher only the records of file entities, as its mapping filter does on AWS', () => {
    expect(matchesAny(record('FILE#org-a#f1', 'FILE'), publishEvents.filters)).toBe(true);
    expect(matchesAny(record('FILE#org-a#f1', 'VERSION#0000000001'), publishEvents.filters)).toBe(false);
    expect(matchesAny(record('UPLOAD#org-a#u1', 'UPLOAD'), publishEvents.filters)).toBe(false);
    expect(matchesAny({ eventName: 'INSERT' }, publishEvents.filters)).toBe(false);
  });

  it('matches any of several patterns, lists of values and prefixes, and everything without patterns', () => {
    const patterns = [{ eventName: ['REMOVE'], dynamodb: { Keys: { pk: { S: [{ prefix: 'INTENT#' }] } } } }, { eventName: ['INSERT', 'MODIFY'] }];
    expect(matchesAny({ eventName: 'REMOVE', dynamodb: { Keys: { pk: { S: 'INTENT#org#1' } } } }, patterns)).toBe(true);
    expect(matchesAny({ eventName: 'REMOVE', dynamodb: { Keys: { pk: { S: 'FILE#org#1' } } } }, patterns)).toBe(false);
    expect(matchesAny({ eventName: 'MODIFY' }, patterns)).toBe(true);
    expect(matchesAny({ eventName: 'MODIFY' }, undefined)).toBe(true);
  });

  it('refuses a pattern rule it does not implement rather than guess', () => {
    expect(() => matchesAny({ size: 3 }, [{ size: [{ numeric: ['>', 1] }] }])).toThrow(/Unsupported filter rule/);
  });
});
