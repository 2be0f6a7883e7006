import { spawnSync } from 'node:child_process';

/**
 * What the local stack needs from the machine beyond npm packages. Each missing piece is
 * reported as one line that says what to install, instead of a stack trace from deep inside
 * a child process (`spawn java ENOENT`).
 */
export class MissingPrerequisiteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MissingPrerequisiteError';
  }
}

/** DynamoDB Local's current releases need Java 17 or newer. */
export const minimumJavaMajor = 17;
export const minimumNodeMajor = 20;

const installJava =
  'install a Java 17+ runtime (Debian/Ubuntu: apt-get install openjdk-17-jre-headless; macOS: brew install openjdk@17; Windows: winget install EclipseAdoptium.Temurin.17.JRE)';

/** The major version in `java -version` output: `"17.0.15"` is 17, the old `"1.8.0_392"` is 8. */
export function javaMajorVersion(versionOutput: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?[^"]*"/.exec(versionOutput);
  if (!match?.[1]) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] ? Number(match[2]) : first;
}

/** Throws MissingPrerequisiteError unless `command -version` reports Java 17 or newer. */
export function assertJava(command = process.env.JAVA ?? 'java'): void {
  const result = spawnSync(command, ['-version'], { encoding: 'utf8', timeout: 30_000 });
  if (result.error) {
    const code = (result.error as NodeJS.ErrnoException).code;
    throw new MissingPrerequisiteError(
      code === 'ENOENT'
        ? `Java was not found (DynamoDB Local runs on it): ${installJava}.`
        : `Java could not be run (${result.error.message}): ${installJava}.`,
    );
  }
  const major = javaMajorVersion(`${result.stderr}\n${result.stdout}`);
  if (major === undefined || major < minimumJavaMajor) {
    throw new MissingPrerequisiteError(
      `DynamoDB Local needs Java ${minimumJavaMajor}+, found ${major ?? 'an unknown version'}: ${installJava}.`,
    );
  }
}

/** Throws MissingPrerequisiteError on a Node.js older than the project supports. */
export function assertNode(version = process.versions.node): void {
  const major = Number(version.split('.')[0]);
  if (!(major >= minimumNodeMajor)) {
    throw new MissingPrerequisiteError(`Node.js ${minimumNodeMajor}+ is required, found ${version}: install a current Node.js LTS.`);
  }
}

/** Everything `npm start` and the integration tests need from the machine. */
export function assertLocalPrerequisites(): void {
  assertNode();
  assertJava();
}
