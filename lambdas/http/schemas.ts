import * as z from 'zod/mini';
import { en } from 'zod/locales';
import { fileTypes } from '../core/file-types';
import { isUuid } from '../core/keys';
import { maxPreviewSide } from '../core/previews';
import { defaultVersionPageSize, maxVersionPageSize } from '../core/versions';
import { listSorts } from '../core/file-listing';
import { metadataLimits as limits } from '../core/metadata-limits';
import { maxPrincipalsPerAction } from '../core/access';
import { maxOwnerIdChars, maxOwners } from '../core/owners';

/**
 * Request schemas (epilot's UploadFilePayload, SaveFilePayloadV2, DownloadFilesPayload and
 * their query parameters). They validate at the edge and give the handlers their types.
 *
 * Written with zod/mini, zod's tree-shakable functional API: the same validation core as
 * `zod`, but a bundle takes only what it uses (every Lambda loads these at cold start).
 */

// zod/mini ships without messages ("Invalid input"); use zod's English ones, as `zod` does.
z.config(en());

// z.meta: what the OpenAPI document (./openapi.ts) says of a check JSON Schema cannot express.
const uuid = z.string().check(z.refine(isUuid, 'must be a UUID'), z.meta({ format: 'uuid' }));
/** Text that can be stored and put into a URL: no unpaired UTF-16 surrogates. */
const validText = z.refine<string>((value) => !/[\ud800-\udfff]/u.test(value), 'must be valid Unicode text');
/** epilot's FileEntityId: a UUID, or an empty string for "none yet". */
const optionalFileId = z.optional(z.union([z.literal(''), uuid]));
const filename = z.string().check(
  validText,
  z.minLength(1, 'must not be empty'),
  z.maxLength(limits.filenameChars, `must be at most ${limits.filenameChars} characters`),
  z.refine((name) => name.trim().length > 0, 'must not be blank'),
);
const mimeType = z.string().check(
  z.maxLength(255),
  // Control characters in a quoted parameter would make a Content-Type no client can send.
  // eslint-disable-next-line no-control-regex
  z.regex(/^[\w.+-]+\/[\w.+-]+(\s*;\s*[\w.+-]+=("[^"\\\x00-\x1f\x7f]*"|[\w.+-]+))*$/, 'must be a MIME type such as application/pdf'),
);
const booleanFlag = (fallback: boolean) =>
  z.pipe(
    z.optional(z.enum(['true', 'false'], { message: 'must be true or false' })),
    z.transform((value: 'true' | 'false' | undefined) => (value === undefined ? fallback : value === 'true')),
  );
const nonnegativeInt = () => z.number().check(z.int(), z.nonnegative());
/** S3's form of a SHA-256 checksum: the 32 bytes of the digest in padded base64, nothing else. */
const sha256Base64 = z.string().check(
  z.refine(
    (value) => /^[A-Za-z0-9+/]{43}=$/.test(value) && Buffer.from(value, 'base64').toString('base64') === value,
    'must be the base64 of a SHA-256 digest (32 bytes, 44 characters)',
  ),
  z.meta({ pattern: '^[A-Za-z0-9+/]{43}=$' }),
);

export const uploadBody = z.object({
  filename,
  // Browsers give `File.type === ""` for files they cannot type: such uploads are untyped,
  // and save types them from their bytes or name.
  mime_type: z.pipe(
    z.optional(z.union([z.literal(''), mimeType])),
    z.transform((value: string | undefined) => value || undefined),
  ),
  size_bytes: z.optional(nonnegativeInt()),
  // `post`: a form upload whose policy S3 enforces (key, type, size range, expiry);
  // `multipart`: a resumable upload in parts, completed by save.
  upload_method: z.optional(z.enum(['put', 'post', 'multipart'])),
  /** Signed into the upload URL: S3 refuses bytes with another SHA-256, and the version keeps it. */
  checksum_sha256: z.optional(sha256Base64),
  /** A multipart upload's: every part URL signs its part's SHA-256. */
  checksum_algorithm: z.optional(z.enum(['SHA256'])),
  index_tag: z.optional(z.string().check(z.maxLength(64))),
  metadata: z.optional(z.record(z.string(), z.string())),
});

export const uploadQuery = z.object({ file_entity_id: optionalFileId });

/** signUploadRequest: one S3 call of an upload, as Uppy's `signRequest` describes it. */
export const signRequestBody = z.object({
  method: z.enum(['PUT', 'POST', 'GET', 'DELETE']),
  key: z.string().check(z.minLength(1, 'must not be empty'), z.maxLength(1024, 'must be at most 1024 characters'), validText),
  uploadId: z.optional(z.string().check(z.regex(/^[A-Za-z0-9._~-]{1,1024}$/, 'must be the UploadId S3 answered'))),
  partNumber: z.optional(z.number().check(z.int('must be a whole number'), z.gte(1, 'must be from 1 to 10000'), z.lte(10_000, 'must be from 1 to 10000'))),
  contentType: z.pipe(
    z.optional(z.union([z.literal(''), mimeType])),
    z.transform((value: string | undefined) => value || undefined),
  ),
  expiresIn: z.optional(z.number()),
});

/** The upload a parts route addresses: a UUID, as uploadFile returned it. */
export const uploadIdPath = z.object({ upload_id: z.string() });

/** presignUploadParts: the part numbers to sign, 1 to 10,000 each, at most 1,000 at a time. */
export const partNumbersBody = z.object({
  part_numbers: z
    .array(z.number().check(z.int('must be whole numbers'), z.gte(1, 'must be from 1 to 10000'), z.lte(10_000, 'must be from 1 to 10000')))
    .check(z.minLength(1, 'must list at least one part number'), z.maxLength(1000, 'must list at most 1000 part numbers')),
  /** For an upload made with checksum_algorithm SHA256: each part's SHA-256 (base64), by part number. */
  checksums_sha256: z.optional(
    z.record(z.string().check(z.regex(/^[1-9]\d{0,4}$/, 'must be keyed by part number')), sha256Base64),
  ),
});

const s3ref = z.object({
  bucket: z.string().check(z.minLength(1), z.maxLength(255)),
  key: z.string().check(z.minLength(1), z.maxLength(1024)),
});

/** refreshUpload: the s3ref uploadFile answered. */
export const refreshBody = z.object({ s3ref });

const tags = (count: number) =>
  z.array(
    z.string().check(validText, z.maxLength(limits.tagChars, `tags must be at most ${limits.tagChars} characters each`)),
  ).check(z.maxLength(count, `must have at most ${count} tags`));

const relation = z.object({
  entity_id: z.string().check(z.minLength(1), z.maxLength(limits.relationIdChars)),
  _schema: z.optional(z.string().check(z.maxLength(limits.relationSchemaChars))),
  _tags: z.optional(tags(limits.relationTags)),
});

const title = z.string().check(validText, z.maxLength(limits.titleChars, `must be at most ${limits.titleChars} characters`));
const relations = z.array(relation).check(z.maxLength(limits.relations, `must have at most ${limits.relations} relations`));
const accessControl = z.enum(['private', 'public-read']);
const principals = z
  .array(z.string().check(z.minLength(1, 'must not be empty'), z.maxLength(1024, 'is not a principal')))
  .check(z.maxLength(maxPrincipalsPerAction, `must list at most ${maxPrincipalsPerAction} principals`));
/** `_acl`: principals per action, `org:<org_id>` or `user:<org_id>/<user_id>` (epilot's `org_<id>` too). */
const acl = z.strictObject({ view: z.optional(principals), edit: z.optional(principals), delete: z.optional(principals) });

const ownerId = z.string().check(
  validText,
  z.minLength(1, 'must not be empty'),
  z.maxLength(maxOwnerIdChars, `must be at most ${maxOwnerIdChars} characters`),
  // eslint-disable-next-line no-control-regex
  z.refine((id) => !/[\u0000-\u001f\u007f]/.test(id), 'must not contain control characters'),
);
/** `_owners`: epilot's `[{org_id, user_id}]`, users of the file's org. */
const owners = z
  .array(z.strictObject({ org_id: ownerId, user_id: ownerId }))
  .check(z.minLength(1, 'must list at least one owner'), z.maxLength(maxOwners, `must list at most ${maxOwners} owners`));

/** The fields a metadata update changes. */
export const patchFields = ['filename', '_title', '_tags', 'relations', 'access_control', '_acl', '_owners'] as const;

/**
 * updateFile (PATCH): only the fields it can change, at least one of them. Anything else is
 * refused rather than ignored, so a client never believes it changed what it did not.
 */
export const patchBody = z
  .strictObject({
    filename: z.optional(filename),
    _title: z.optional(title),
    _tags: z.optional(tags(limits.tags)),
    relations: z.optional(relations),
    access_control: z.optional(accessControl),
    _acl: z.optional(acl),
    _owners: z.optional(owners),
  })
  .check(
    z.refine((patch) => patchFields.some((field) => patch[field] !== undefined), {
      message: `must change at least one of ${patchFields.join(', ')}`,
    }),
  );

/** Unknown fields are allowed and ignored, as in epilot's CommonSaveFilePayload. */
export const saveBody = z.object({
  _id: optionalFileId,
  file_entity_id: optionalFileId,
  s3ref: z.optional(s3ref),
  /**
   * The file itself, base64, instead of an s3ref (direct upload): the body's limit bounds it,
   * and more than `maxDirectUploadBytes` decoded is a 413 like any other size limit.
   */
  content_base64: z.optional(
    z.string().check(z.refine((value) => value.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(value), { message: 'must be base64' })),
  ),
  source_url: z.optional(z.string()),
  filename: z.optional(filename),
  _title: z.optional(title),
  type: z.optional(z.enum(fileTypes)),
  mime_type: z.optional(mimeType),
  access_control: z.optional(accessControl),
  _acl: z.optional(acl),
  /** `owner`: a new file only its owner and their org's admins may use. */
  access: z.optional(z.enum(['owner'])),
  /** Who the file is saved for: service tokens and org admins only. */
  _owners: z.optional(owners),
  _tags: z.optional(tags(limits.tags)),
  relations: z.optional(relations),
  // Only web links: the URL is returned to clients that may render it as one.
  custom_download_url: z.optional(
    z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).check(z.maxLength(limits.customDownloadUrlChars)),
  ),
});

export const saveQuery = z.object({
  delete_temp_file: booleanFlag(true),
  version_only: booleanFlag(false),
});

export const fileIdPath = z.object({ id: z.string() });

export const downloadQuery = z.object({
  version: z.pipe(
    z.optional(z.string().check(z.regex(/^\d{1,9}$/, 'must be a whole number, 0 for the latest version'))),
    z.transform((value: string | undefined) => Number(value ?? 0)),
  ),
  attachment: booleanFlag(true),
});

/** 1 to 2048 (maxPreviewSide), written plainly: no sign, no leading zero. */
const previewSidePattern = /^(?:[1-9]\d{0,2}|1\d{3}|20[0-3]\d|204[0-8])$/;
const previewSide = z.pipe(
  z.optional(z.string().check(z.regex(previewSidePattern, `must be a whole number of pixels from 1 to ${maxPreviewSide}`))),
  z.transform((value: string | undefined) => (value === undefined ? undefined : Number(value))),
);

/** previewFile: the version as downloadFile counts it, and the box, each side 1 to 2048 pixels. */
export const previewQuery = z.object({
  version: downloadQuery.shape.version,
  w: previewSide,
  h: previewSide,
});

/** previewS3File: the box (its POST body is an s3ref; its GET names the object in the query too). */
export const previewBoxQuery = z.object({ w: previewSide, h: previewSide });
export const previewS3Body = s3ref;
export const previewS3Query = z.object({
  bucket: s3ref.shape.bucket,
  key: s3ref.shape.key,
  w: previewSide,
  h: previewSide,
});

/** previewPublicFile: as previewFile, with the org that owns the file. */
export const publicPreviewQuery = z.object({
  org_id: z.optional(z.string()),
  version: downloadQuery.shape.version,
  w: previewSide,
  h: previewSide,
});

/** downloadS3File: the object in the query, as epilot names it. */
export const downloadS3Query = z.object({
  s3_bucket: s3ref.shape.bucket,
  s3_key: s3ref.shape.key,
  attachment: booleanFlag(true),
});

/** listFileVersions: `limit` from 1 to 100 (default 50), `cursor` as the previous page returned. */
export const versionsQuery = z.object({
  limit: z.pipe(
    z.optional(
      z.string().check(
        z.refine((value) => /^\d{1,3}$/.test(value) && Number(value) >= 1 && Number(value) <= maxVersionPageSize, {
          message: `must be a whole number from 1 to ${maxVersionPageSize}`,
        }),
      ),
    ),
    z.transform((value: string | undefined) => Number(value ?? defaultVersionPageSize)),
  ),
  cursor: z.optional(z.string().check(z.minLength(1, 'must not be empty'), z.maxLength(512, 'is not a cursor this API returned'))),
});

export const downloadFilesBody = z.array(
  z.object({
    id: uuid,
    version: z.optional(nonnegativeInt().check(z.lte(999_999_999))),
  }),
).check(z.minLength(1, 'must list at least one file'), z.maxLength(100, 'must list at most 100 files'));

/** batchGet: `{ids}`, 1 to 100 file ids. */
export const batchGetBody = z.object({
  ids: z.array(uuid).check(z.minLength(1, 'must list at least one file id'), z.maxLength(100, 'must list at most 100 file ids')),
});

const wholeNumber = (max: number) =>
  z.pipe(
    z.string().check(z.regex(/^\d{1,16}$/, 'must be a whole number'), z.refine((value) => Number(value) <= max, `must be at most ${max}`)),
    z.transform((value: string) => Number(value)),
  );
const searchText = (maxChars: number) =>
  z.string().check(validText, z.minLength(1, 'must not be empty'), z.maxLength(maxChars, `must be at most ${maxChars} characters`));
const instant = z.pipe(
  z.string().check(
    z.regex(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/, 'must be an ISO 8601 date or date-time, e.g. 2024-05-01T12:00:00Z'),
    z.refine((value) => !Number.isNaN(Date.parse(value)), 'must be a real date'),
  ),
  z.transform((value: string) => new Date(value).toISOString()),
);

/** GET /v2/files: page size, cursor, order and filters; unknown parameters are refused. */
export const listQuery = z
  .strictObject({
    limit: z.pipe(
      z.optional(
        z.string().check(
          z.refine((value) => /^\d{1,3}$/.test(value) && Number(value) >= 1 && Number(value) <= 100, {
            message: 'must be a whole number from 1 to 100',
          }),
        ),
      ),
      z.transform((value: string | undefined) => Number(value ?? 25)),
    ),
    cursor: z.optional(z.string().check(z.minLength(1, 'must not be empty'), z.maxLength(4096, 'is not a cursor this API returned'))),
    sort: z._default(z.enum(listSorts), '-created_at'),
    q: z.optional(searchText(256)),
    type: z.optional(z.enum(fileTypes)),
    mime_type: z.optional(
      z.string().check(z.maxLength(255), z.regex(/^[\w.+-]+\/([\w.+-]+|\*)$/, 'must be a MIME type such as application/pdf, or image/*')),
    ),
    extension: z.optional(z.string().check(z.regex(/^\.?[\w+-]{1,32}$/, 'must be a file extension such as pdf'))),
    size_min: z.optional(wholeNumber(Number.MAX_SAFE_INTEGER)),
    size_max: z.optional(wholeNumber(Number.MAX_SAFE_INTEGER)),
    created_by: z.optional(searchText(256)),
    created_after: z.optional(instant),
    created_before: z.optional(instant),
    tag: z.optional(searchText(limits.tagChars)),
    relation: z.optional(searchText(limits.relationIdChars)),
    access_control: z.optional(accessControl),
    shared: booleanFlag(false),
  })
  .check(
    z.refine((query) => query.size_min === undefined || query.size_max === undefined || query.size_min <= query.size_max, {
      message: 'size_min must not be larger than size_max',
      path: ['size_min'],
    }),
  );

/**
 * copyFile: which version to copy (0 = the latest, as download) and what the copy becomes: a
 * new file, or with `file_entity_id` a new version of that file. Unknown fields are refused,
 * so a misspelt one is never silently ignored.
 */
export const copyBody = z.strictObject({
  version: z.optional(nonnegativeInt().check(z.lte(999_999_999))),
  file_entity_id: z.optional(uuid),
  filename: z.optional(filename),
  _title: z.optional(title),
  access_control: z.optional(accessControl),
  _acl: z.optional(acl),
  access: z.optional(z.enum(['owner'])),
  _owners: z.optional(owners),
  _tags: z.optional(tags(limits.tags)),
  relations: z.optional(relations),
});
