/**
 * The largest file a save takes inline (`content_base64`): its base64 (5.6 MB) and the rest
 * of the request stay within the 6 MB a Lambda invocation carries.
 */
export const maxDirectUploadBytes = 4 * 1024 * 1024;
