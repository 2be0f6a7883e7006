/**
 * How long an upload can be saved, and how long the records that guard its save must live.
 *
 * S3's lifecycle rule rounds the temp/ expiry up to the next midnight UTC and deletes
 * asynchronously, so a temp object can live 24-48 hours or more. The lifecycle rule is only
 * housekeeping: the save itself refuses a temp object older than the window, measured from the
 * object's own LastModified. Everything that protects a save (its claim, its intent) therefore
 * only has to outlive the window, whatever S3's timing.
 */

const secondsPerDay = 24 * 3600;

/** Clock skew between S3 and the Lambda, and the longest a save runs (its Lambda's timeout). */
const intentMarginSeconds = 3600;

/**
 * A claim keeps a repeated save from adding a second file or version, or bringing a deleted file
 * back, for as long as its temp object could still be saved. A claim is written after its
 * object's LastModified, so claim time + window already covers the object's whole window; a day
 * more absorbs clock skew and keeps answering retries well after that.
 */
const claimMarginSeconds = secondsPerDay;

export class UploadWindow {
  /** @param days how long after its upload an object can be saved (the lifecycle rule's days). */
  constructor(readonly days: number) {
    if (!Number.isInteger(days) || days < 1) throw new Error(`The upload window must be a whole number of days, at least 1 (got ${days})`);
  }

  /** Whether an object written at `lastModified` can no longer be saved at `now`. */
  isExpired(lastModified: Date, now: Date): boolean {
    return now.getTime() - lastModified.getTime() > this.days * secondsPerDay * 1000;
  }

  /** Epoch seconds after which a claim written at `now` may be forgotten. */
  claimExpiry(now: Date): number {
    return Math.floor(now.getTime() / 1000) + this.days * secondsPerDay + claimMarginSeconds;
  }

  /**
   * Epoch seconds after which a save's intent expires and the orphan reaper may delete its copy.
   * Not before the upload's window has closed: until then a retry of the same save may adopt
   * the copy, and the reaper must not delete it under that retry. The margin covers clock skew
   * and a save still running at the window's end.
   */
  intentExpiry(lastModified: Date): number {
    return Math.floor(lastModified.getTime() / 1000) + this.days * secondsPerDay + intentMarginSeconds;
  }
}
