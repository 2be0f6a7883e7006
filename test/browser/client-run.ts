/** What a browser test asks the client page to do (shared by the page and the test). */
export interface ClientRun {
  api: string;
  token: string;
  size: number;
  thresholdBytes: number;
  /** Abort the first attempt once this many bytes are sent, then upload again. */
  abortAtBytes: number;
}

export interface ClientRunResult {
  id: string;
  size_bytes: number;
  firstAttempt: string;
  /** `loaded` of each progress event, first attempt and second. */
  firstEvents: number[];
  secondEvents: number[];
  /** What the default resume store (localStorage) held between the attempts. */
  rememberedUploads: number;
}
