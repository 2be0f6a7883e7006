import { buildPackage } from '../bin/build';

/** The tests that use the package as others do (its exports, its bin) use what the sources build now. */
export default async function setup(): Promise<void> {
  await buildPackage();
}
