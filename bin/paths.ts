import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where `npm start` keeps its data (git-ignored); override with LOCAL_DATA_DIR. */
export const localDataDir =
  process.env.LOCAL_DATA_DIR ?? join(dirname(fileURLToPath(import.meta.url)), '..', '.local');
