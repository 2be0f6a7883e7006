import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { FileService, type FileServiceProps } from './file-service';

export interface FileServiceStackProps extends StackProps, FileServiceProps {}

/** Deploys one FileService and prints what a client and an operator need. */
export class FileServiceStack extends Stack {
  public readonly fileService: FileService;

  constructor(scope: Construct, id: string, props: FileServiceStackProps) {
    super(scope, id, props);
    this.fileService = new FileService(this, 'FileService', {
      jwtIssuer: props.jwtIssuer,
      jwtAudience: props.jwtAudience,
      corsOrigins: props.corsOrigins,
      tempExpiration: props.tempExpiration,
      maxUploadBytes: props.maxUploadBytes,
      uploadUrlTtl: props.uploadUrlTtl,
      downloadUrlTtl: props.downloadUrlTtl,
      removalPolicy: props.removalPolicy,
      logRetention: props.logRetention,
      accessLogsExpiration: props.accessLogsExpiration,
      throttle: props.throttle,
      handlersDir: props.handlersDir,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.fileService.url, description: 'Base URL of the File API' });
    new CfnOutput(this, 'BucketName', { value: this.fileService.bucket.bucketName, description: 'Bucket holding the files' });
    new CfnOutput(this, 'TableName', { value: this.fileService.table.tableName, description: 'Table holding the file entities' });
  }
}
