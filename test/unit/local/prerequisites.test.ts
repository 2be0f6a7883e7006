import { describe, expect, it } from 'vitest';
import { assertJava, assertNode, javaMajorVersion, MissingPrerequisiteError } from '../../../local/prerequisites';

describe('javaMajorVersion', () => {
  it.each([
    ['openjdk version "17.0.15" 2025-04-15', 17],
    ['openjdk version "21" 2023-09-19', 21],
    ['java version "1.8.0_392"', 8],
    ['openjdk version "11.0.2" 2019-01-15', 11],
  ])('reads the major version from %s', (output, major) => {
    expect(javaMajorVersion(output)).toBe(major);
  });

  it('reads nothing from output that names no version', () => {
    expect(javaMajorVersion('bash: java: command not found')).toBeUndefined();
  });
});

describe('assertJava', () => {
  it('says in one line what to install when there is no java command', () => {
    const refusal = (() => {
      try {
        assertJava('java-that-is-not-installed');
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(refusal).toBeInstanceOf(MissingPrerequisiteError);
    expect((refusal as Error).message).toMatch(/^Java was not found .*install a Java 17\+ runtime/);
    expect((refusal as Error).message).not.toContain('\n');
  });

  it('accepts the Java this machine runs the tests with', () => {
    expect(() => assertJava()).not.toThrow();
  });
});

describe('assertNode', () => {
  it('refuses Node.js 18 with a message naming the version needed', () => {
    expect(() => assertNode('18.19.0')).toThrow(/Node\.js 20\+ is required, found 18\.19\.0/);
  });

  it('accepts Node.js 20 and newer', () => {
    expect(() => assertNode('20.0.0')).not.toThrow();
    expect(() => assertNode('22.11.0')).not.toThrow();
  });
});
