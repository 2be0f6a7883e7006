export { startLocalS3, type LocalS3, type LocalS3Options } from './server';
export { sweepExpired } from './sweeper';
export {
  verifySigV4,
  type CredentialLookup,
  type SigV4ErrorCode,
  type SigV4Failure,
  type SigV4Request,
  type SigV4Result,
  type VerifyOptions,
} from './sigv4';
