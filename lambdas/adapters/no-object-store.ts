import type { ObjectStore, PresignedPost } from '../core/ports';

/**
 * The object store of a function whose IAM role grants no object access (getFile, listing,
 * link administration): it knows the bucket's name and refuses any object call, as S3 would
 * refuse it. Such a function bundles and loads no S3 client.
 */
export class NoObjectStore implements ObjectStore {
  constructor(readonly bucket: string) {}

  presignUpload(): Promise<string> {
    return this.refuse('presignUpload');
  }

  presignPost(): Promise<PresignedPost> {
    return this.refuse('presignPost');
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

  putObject(): Promise<void> {
    return this.refuse('putObject');
  }

  createMultipartUpload(): Promise<string> {
    return this.refuse('createMultipartUpload');
  }

  presignPart(): Promise<string> {
    return this.refuse('presignPart');
  }

  presignMultipartCall(): Promise<string> {
    return this.refuse('presignMultipartCall');
  }

  listParts(): Promise<undefined> {
    return this.refuse('listParts');
  }

  completeMultipartUpload(): Promise<undefined> {
    return this.refuse('completeMultipartUpload');
  }

  abortMultipartUpload(): Promise<void> {
    return this.refuse('abortMultipartUpload');
  }

  putStream(): Promise<void> {
    return this.refuse('putStream');
  }

  private refuse(call: string): Promise<never> {
    return Promise.reject(new Error(`${call} needs object access, which this function is not wired (nor permitted) to have`));
  }
}
