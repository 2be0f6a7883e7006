import type { ApiSession } from './api';
import type { ConsoleConfig } from './config';
import type { Thumbnails } from './thumbnails';
import type { Uploader } from './upload';

/** What every part of the signed-in console shares. */
export interface App {
  config: ConsoleConfig;
  session: ApiSession;
  upload: Uploader;
  thumbnails: Thumbnails;
  /** Says something to screen readers (and shows it in the status line). */
  announce(message: string): void;
  /** Shows an error the user can act on, until the next one or until dismissed. */
  showError(message: string): void;
  clearError(): void;
  /** Shows one file's details (and puts it in the address, so back and reload work). */
  openFile(id: string): void;
  closeFile(): void;
  /** Reloads the current page of the files list. */
  refreshFiles(): void;
}
