/**
 * The CDK side of the package (`import { FileService } from 'serverless-file-service'`): the
 * construct another app adds to its own stack, the ready-made stack `cdk deploy` uses, and the
 * types of their props.
 */
export { FileService, DEFAULT_THROTTLE, MAX_OBJECT_BYTES, MAX_SINGLE_PUT_BYTES, type FileServiceProps } from './file-service';
export { FileServiceStack, type FileServiceStackProps } from './file-service-stack';
export { FileEvents, type FileEventsProps, type FileEventsWebhook } from './file-events';
export { WebConsole, type WebConsoleOptions, type WebConsoleProps } from './web-console';
export { PreviewsAhead, type PreviewsAheadProps } from './preview-ahead';
export type { ServiceFunctionSettings } from './service-function';
export { defaultPublicThrottle, operations, type Operation, type Permission, type RouteThrottle } from '../lambdas/operations';
