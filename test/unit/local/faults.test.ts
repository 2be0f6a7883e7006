import { describe, expect, it } from 'vitest';
import { Faults } from '../../../local/faults';

const copy = { function: 'saveFile', service: 's3' as const, action: 'CopyObject' };

describe('Faults', () => {
  it('fails every attempt of the chosen invocation, so the SDK retry cannot hide it', () => {
    // Prepare
    const faults = new Faults();
    faults.inject({ service: 's3', action: 'CopyObject', occurrence: 2, mode: 'before' });

    // Act
    const verdicts = [
      faults.decide(copy, 'inv-1'),
      faults.decide(copy, 'inv-2'),
      faults.decide(copy, 'inv-2'),
      faults.decide(copy, 'inv-2'),
      faults.decide(copy, 'inv-3'),
    ];

    // Assess
    expect(verdicts).toEqual(['pass', 'before', 'before', 'before', 'pass']);
  });

  it('forwards an after fault once and drops the retries unforwarded, so the call happens exactly once', () => {
    // Prepare
    const faults = new Faults();
    faults.inject({ service: 's3', action: 'CopyObject', mode: 'after' });

    // Act
    const verdicts = [faults.decide(copy, 'inv-1'), faults.decide(copy, 'inv-1')];

    // Assess
    expect(verdicts).toEqual(['after', 'before']);
  });

  it('lists one call per invocation, retries excluded, and only for the named function', () => {
    // Prepare
    const faults = new Faults();
    faults.inject({ service: 's3', action: 'CopyObject', function: 'deleteFile', mode: 'before' });

    // Act
    faults.decide(copy, 'inv-1');
    faults.decide(copy, 'inv-1');
    faults.decide({ ...copy, service: 'dynamodb', action: 'GetItem' }, undefined);

    // Assess
    expect(faults.calls()).toEqual([copy, { ...copy, service: 'dynamodb', action: 'GetItem' }]);
    expect(faults.fired()).toBe(0);
  });
});
