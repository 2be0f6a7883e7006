import { httpHandler } from '../http/handler';
import { downloadS3Query } from '../http/schemas';
import { ownObjects } from '../wiring';

/** downloadS3File: a presigned GET of one of the caller's own objects, by s3ref. */
export const handler = httpHandler('downloadS3File', async (request) => {
  const { s3_bucket, s3_key, attachment } = request.query(downloadS3Query);
  return { status: 200, body: await ownObjects().download(request.caller, { bucket: s3_bucket, key: s3_key }, attachment) };
});
