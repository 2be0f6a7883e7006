import { BadRequestError } from '../core/errors';
import { httpHandler } from '../http/handler';
import { saveBody, saveQuery } from '../http/schemas';
import { fileService } from '../wiring';
import { ifMatchOf } from '../http/if-match';
import { metadataPatchOf } from '../http/metadata-patch';

/**
 * saveFile / saveFileV2: a temp upload becomes a file, or a new version of one; or a file
 * sent inline (`content_base64`, at most 4 MiB), or fetched by the service (`source_url`), is
 * stored and saved the same way.
 */
export const handler = httpHandler('saveFile', async (request) => {
  const body = request.body(saveBody);
  const query = request.query(saveQuery);
  const id = body._id || body.file_entity_id || undefined;
  if (!body.s3ref && !body.source_url && body.content_base64 === undefined && id) {
    // epilot's metadata-only save: the file's metadata changes, no version is added.
    const { entity, etag } = await fileService('write').update(request.caller, id, metadataPatchOf(body), ifMatchOf(request));
    return { status: 200, body: entity, headers: { etag } };
  }
  if (body.content_base64 !== undefined) {
    if (body.s3ref) throw new BadRequestError('Give either s3ref or content_base64, not both');
    if (body.source_url !== undefined) throw new BadRequestError('Give either source_url or content_base64, not both');
    if (body.filename === undefined) throw new BadRequestError('filename is required with content_base64');
  } else if (body.source_url !== undefined) {
    if (body.s3ref) throw new BadRequestError('Give either s3ref or source_url, not both');
  } else if (!body.s3ref) {
    throw new BadRequestError('s3ref is required: pass the s3ref returned by uploadFile');
  }
  const metadata = {
    ...(id ? { id } : {}),
    ...(body._title !== undefined ? { title: body._title } : {}),
    ...(body.type !== undefined ? { type: body.type } : {}),
    ...(body.access_control !== undefined ? { access_control: body.access_control } : {}),
    ...(body._tags !== undefined ? { tags: body._tags } : {}),
    ...(body.relations !== undefined ? { relations: body.relations } : {}),
    ...(body.custom_download_url !== undefined ? { custom_download_url: body.custom_download_url } : {}),
    ...(body._acl !== undefined ? { acl: body._acl } : {}),
    ...(body.access !== undefined ? { access: body.access } : {}),
    ...(body._owners !== undefined ? { owners: body._owners } : {}),
  };
  const options = { deleteTempFile: query.delete_temp_file, versionOnly: query.version_only };
  const { entity, created } =
    body.content_base64 !== undefined && body.filename !== undefined
      ? await fileService('write').saveDirect(
          request.caller,
          {
            bytes: Buffer.from(body.content_base64, 'base64'),
            filename: body.filename,
            ...(body.mime_type !== undefined ? { mime_type: body.mime_type } : {}),
          },
          metadata,
          options,
        )
      : body.source_url !== undefined
      ? await fileService('write').saveFromUrl(
          request.caller,
          {
            url: body.source_url,
            ...(body.filename !== undefined ? { filename: body.filename } : {}),
            ...(body.mime_type !== undefined ? { mime_type: body.mime_type } : {}),
          },
          metadata,
          options,
        )
      : await fileService('write').save(
          request.caller,
          {
            s3ref: body.s3ref as NonNullable<typeof body.s3ref>,
            ...metadata,
            ...(body.filename !== undefined ? { filename: body.filename } : {}),
            ...(body.mime_type !== undefined ? { mime_type: body.mime_type } : {}),
          },
          options,
        );
  request.metric('saves', 'Count', 1);
  // The saved bytes are the newest version (the entity's own size stays with version_only).
  request.metric('bytesSaved', 'Bytes', entity.versions[0]?.size_bytes ?? entity.size_bytes);
  return { status: created ? 201 : 200, body: entity };
});
