/** What a browser test asks the Uppy page to do (shared by the page and the test). */
export interface UppyRun {
  api: string;
  token: string;
  size: number;
  partSize: number;
  pauseAfterPart: number;
}
