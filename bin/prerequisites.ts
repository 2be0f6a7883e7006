import { assertLocalPrerequisites } from '../local/prerequisites';

/** `npm test` runs this first: a machine without Java gets one line saying what to install. */
try {
  assertLocalPrerequisites();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
