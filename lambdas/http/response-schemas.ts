import * as z from 'zod/mini';
import { fileTypes } from '../core/file-types';

/**
 * What the operations answer, as zod schemas: the OpenAPI document (./openapi.ts) is generated
 * from them, and the integration tests validate real answers of the service against that
 * document, so these stay as honest as the request schemas. Objects are closed in the
 * document (`additionalProperties: false`): a field the handlers add without a schema here
 * fails those tests. The handlers' own types live in lambdas/core (model.ts, file-service.ts).
 */

const s3ref = z.object({ bucket: z.string(), key: z.string() });
const owner = z.object({ org_id: z.string(), user_id: z.string() });
const principals = z.array(z.string());
const relation = z.object({
  entity_id: z.string(),
  _schema: z.optional(z.string()),
  _tags: z.optional(z.array(z.string())),
});
const accessControl = z.enum(['private', 'public-read']);
const checksumSha256 = z.string().check(z.regex(/^[A-Za-z0-9+/]{43}=$/));

/** epilot's FileItem: one version of a file. */
export const fileItem = z.object({
  s3ref,
  filename: z.string(),
  size_bytes: z.number().check(z.int(), z.nonnegative()),
  readable_size: z.string().check(z.describe('The size for people, e.g. `1.2 MB`.')),
  mime_type: z.string(),
  checksum_sha256: z.optional(checksumSha256.check(z.describe('Not in epilot\'s FileItem: the base64 SHA-256 of the bytes, when their upload declared one.'))),
});

/** epilot's FileEntity, as every operation that answers a file returns it. */
export const fileEntity = z.object({
  _id: z.string(),
  _schema: z.literal('file'),
  _org: z.string(),
  _title: z.string(),
  _created_at: z.string(),
  _updated_at: z.string(),
  _tags: z.array(z.string()),
  _owners: z.array(owner),
  _acl: z
    .object({ view: principals, edit: principals, delete: principals })
    .check(z.describe('Who may view, edit and delete the file: principals `org:<org_id>` or `user:<org_id>/<user_id>`.')),
  filename: z.string(),
  type: z.enum(fileTypes),
  mime_type: z.string(),
  size_bytes: z.number().check(z.int(), z.nonnegative()),
  readable_size: z.string(),
  access_control: accessControl,
  public_url: z.string().check(z.describe('The API route that redirects to the bytes while the file is `public-read` (403 otherwise).')),
  s3ref,
  relations: z.array(relation),
  custom_download_url: z.optional(z.string()),
  checksum_sha256: z.optional(checksumSha256.check(z.describe('Not in epilot\'s FileEntity: the latest bytes\' base64 SHA-256, when their upload declared one.'))),
  versions: z.array(fileItem).check(z.describe('Newest first (index 0 is the latest, as downloadFile\'s `version` counts), at most the 100 newest; listFileVersions pages through all.')),
});

/** uploadFile with `put` or `post` (and refreshUpload): where to send the bytes. */
export const singleUploadTicket = z.object({
  s3ref,
  upload_url: z.string().check(z.describe('A presigned PUT URL; with `upload_method: "post"`, the form\'s action.')),
  upload_fields: z.optional(z.record(z.string(), z.string()).check(z.describe('A POST upload\'s form fields, sent before the file.'))),
  max_size_bytes: z.optional(z.number().check(z.int(), z.nonnegative(), z.describe('A POST upload\'s largest accepted file: S3 refuses a bigger one.'))),
  public_url: z.optional(z.string().check(z.describe('With `file_entity_id`: that file\'s public URL.'))),
});

/** uploadFile with `multipart`: the upload's id; presignUploadParts signs its parts, saveFile completes it. */
export const multipartUploadTicket = z.object({
  s3ref,
  upload_method: z.literal('multipart'),
  upload_id: z.string().check(z.describe('Names the upload to presignUploadParts, listUploadParts, abortUpload.')),
  part_size: z.number().check(z.int(), z.positive(), z.describe('The size of every part but the last.')),
  max_size_bytes: z.number().check(z.int(), z.nonnegative()),
  checksum_algorithm: z.optional(z.literal('SHA256')),
  public_url: z.optional(z.string()),
});

export const uploadTicket = z.union([multipartUploadTicket, singleUploadTicket]);

/** presignUploadParts: a PUT URL per part. */
export const partUrls = z.object({
  upload_id: z.string(),
  parts: z.array(z.object({ part_number: z.number().check(z.int()), url: z.string() })),
});

/** listUploadParts: the parts S3 holds, so a client resumes with the others. */
export const uploadParts = z.object({
  upload_id: z.string(),
  s3ref,
  part_size: z.number().check(z.int()),
  parts: z.array(
    z.object({
      part_number: z.number().check(z.int()),
      size_bytes: z.number().check(z.int()),
      etag: z.string(),
      uploaded_at: z.optional(z.string()),
    }),
  ),
});

/** signUploadRequest: Uppy's PresignedResponse. */
export const signedRequest = z.object({
  url: z.string(),
  key: z.optional(z.string()),
  headers: z.optional(z.record(z.string(), z.string())),
});

/** downloadFile and downloadS3File: a short-lived presigned GET URL. */
export const downloadUrl = z.object({ download_url: z.string() });

/** epilot's ErrorObject: how the service's handlers answer every refusal and failure. */
export const errorObject = z.object({ status: z.number().check(z.int()), error: z.string() });

/** API Gateway's own answers (no route, refused by an authorizer, throttled, too large, timed out). */
export const gatewayError = z.object({ message: z.string() });

/** downloadFiles: one entry per file asked for, in order: a URL, or why there is none. */
export const downloadResults = z.array(
  z.union([
    z.object({ file_entity_id: z.string(), download_url: z.string() }),
    z.object({ file_entity_id: z.string(), error: errorObject }),
  ]),
);

/** batchGetFiles: the files found, in the order asked, and the ids that were not. */
export const batchGetResult = z.object({ results: z.array(fileEntity), not_found: z.array(z.string()) });

/** listFiles: a page; `next_cursor` when more files may match. */
export const filePage = z.object({ results: z.array(fileEntity), next_cursor: z.optional(z.string()) });

/** listFileVersions: a page of versions, newest first. */
export const versionPage = z.object({
  results: z.array(
    z.object({
      ...fileItem.shape,
      version: z.number().check(z.int(), z.nonnegative(), z.describe('0 = the latest version when the page was read, as downloadFile\'s `version` counts.')),
      created_at: z.string(),
    }),
  ),
  next_cursor: z.optional(z.string()),
});

/** generatePublicLink: the link's URL, as a JSON string. */
export const publicLinkUrl = z.string();

/** listPublicLinksForFile: the file's live links (epilot's PublicLink). */
export const publicLinks = z.object({
  results: z.array(
    z.object({
      id: z.string(),
      link: z.string(),
      last_accessed_at: z.optional(z.string()),
      expires_at: z.optional(z.string()),
    }),
  ),
});
