import type { ObjectStore } from '../core/ports';

/**
 * Plain object URLs need no S3 client: a function that only reads the table links to its
 * files without loading one.
 */

/** Where the bucket's objects live: virtual-hosted on AWS, path-style on a local endpoint. */
export function objectBaseUrl(options: { bucket: string; region: string; endpoint?: string | undefined }): string {
  return options.endpoint
    ? `${options.endpoint.replace(/\/$/, '')}/${options.bucket}`
    : `https://${options.bucket}.s3.${options.region}.amazonaws.com`;
}

/** The object's plain URL, each key segment encoded. */
export function objectUrl(baseUrl: string, key: string): string {
  return `${baseUrl}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/**
 * The object store of a function whose IAM role grants no object access (getFile): it
 * names objects and links to them, and refuses any object call, as S3 would refuse it.
 */
export class UrlOnlyObjectStore implements ObjectStore {
  constructor(
    readonly bucket: string,
    private readonly baseUrl: string,
  ) {}

  urlOf(key: string): string {
    return objectUrl(this.baseUrl, key);
  }

  presignUpload(): Promise<string> {
    return this.refuse('presignUpload');
  }

  presignDownload(): Promise<string> {
    return this.refuse('presignDownload');
  }

  inspect(): Promise<undefined> {
    return this.refuse('inspect');
  }

  copy(): Promise<void> {
    return this.refuse('copy');
  }

  delete(): Promise<void> {
    return this.refuse('delete');
  }

  private refuse(call: string): Promise<never> {
    return Promise.reject(new Error(`${call} needs object access, which this function is not wired (nor permitted) to have`));
  }
}
