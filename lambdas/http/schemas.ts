import { z } from 'zod';
import { fileTypes } from '../core/file-types';
import { isUuid } from '../core/keys';

/**
 * Request schemas (epilot's UploadFilePayload, SaveFilePayloadV2, DownloadFilesPayload and
 * their query parameters). They validate at the edge and give the handlers their types.
 */

const uuid = z.string().refine(isUuid, 'must be a UUID');
/** Text that can be stored and put into a URL: no unpaired UTF-16 surrogates. */
const text = () => z.string().refine((value) => !/[\ud800-\udfff]/u.test(value), 'must be valid Unicode text');
/** epilot's FileEntityId: a UUID, or an empty string for "none yet". */
const optionalFileId = z.union([z.literal(''), uuid]).optional();
const filename = text()
  .min(1, 'must not be empty')
  .max(1024, 'must be at most 1024 characters')
  .refine((name) => name.trim().length > 0, 'must not be blank');
const mimeType = z
  .string()
  .max(255)
  // Control characters in a quoted parameter would make a Content-Type no client can send.
  // eslint-disable-next-line no-control-regex
  .regex(/^[\w.+-]+\/[\w.+-]+(\s*;\s*[\w.+-]+=("[^"\\\x00-\x1f\x7f]*"|[\w.+-]+))*$/, 'must be a MIME type such as application/pdf');
const booleanFlag = (fallback: boolean) =>
  z
    .enum(['true', 'false'], { message: 'must be true or false' })
    .optional()
    .transform((value) => (value === undefined ? fallback : value === 'true'));
const tags = z.array(text().max(256)).max(100);

export const uploadBody = z.object({
  filename,
  mime_type: mimeType.default('application/octet-stream'),
  size_bytes: z.number().int().nonnegative().optional(),
  index_tag: z.string().max(64).optional(),
  metadata: z.record(z.string(), z.string()).optional(),
});

export const uploadQuery = z.object({ file_entity_id: optionalFileId });

const s3ref = z.object({
  bucket: z.string().min(1).max(255),
  key: z.string().min(1).max(1024),
});

const relation = z.object({
  entity_id: z.string().min(1).max(256),
  _schema: z.string().max(256).optional(),
  _tags: tags.optional(),
});

/** Unknown fields are allowed and ignored, as in epilot's CommonSaveFilePayload. */
export const saveBody = z.object({
  _id: optionalFileId,
  file_entity_id: optionalFileId,
  s3ref: s3ref.optional(),
  source_url: z.string().optional(),
  filename: filename.optional(),
  _title: text().max(1024).optional(),
  type: z.enum(fileTypes).optional(),
  mime_type: mimeType.optional(),
  access_control: z.enum(['private', 'public-read']).optional(),
  _tags: tags.optional(),
  relations: z.array(relation).max(1000).optional(),
  // Only web links: the URL is returned to clients that may render it as one.
  custom_download_url: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).max(2048).optional(),
});

export const saveQuery = z.object({
  delete_temp_file: booleanFlag(true),
  version_only: booleanFlag(false),
});

export const fileIdPath = z.object({ id: z.string() });

export const downloadQuery = z.object({
  version: z
    .string()
    .regex(/^\d{1,9}$/, 'must be a whole number, 0 for the latest version')
    .optional()
    .transform((value) => Number(value ?? 0)),
  attachment: booleanFlag(true),
});

export const downloadFilesBody = z
  .array(
    z.object({
      id: uuid,
      version: z.number().int().nonnegative().max(999_999_999).optional(),
    }),
  )
  .min(1, 'must list at least one file')
  .max(100, 'must list at most 100 files');
