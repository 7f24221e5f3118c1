import { DescribeModelPackageCommand, UpdateModelPackageCommand, type SageMakerClient } from '@aws-sdk/client-sagemaker';
import { whoOf } from '../core/map-model-package-event';
import type { ModelPackageState, ModelRegistry } from '../core/ports';
import { awsErrorToMlopsError } from './aws-error-to-mlops-error';

/** The Model Registry through the SageMaker client (IAM: sagemaker:DescribeModelPackage, sagemaker:UpdateModelPackage). */
export function createSagemakerModelRegistry(client: SageMakerClient): ModelRegistry {
  return {
    async describePackage(arn): Promise<ModelPackageState> {
      try {
        const out = await client.send(new DescribeModelPackageCommand({ ModelPackageName: arn }));
        const by = whoOf(out.LastModifiedBy);
        return {
          status: out.ModelApprovalStatus ?? 'PendingManualApproval',
          ...(out.ApprovalDescription !== undefined ? { description: out.ApprovalDescription } : {}),
          ...(by !== undefined ? { modifiedBy: by } : {}),
          ...(out.LastModifiedTime !== undefined ? { modifiedAt: out.LastModifiedTime.toISOString() } : {}),
        };
      } catch (error) {
        throw awsErrorToMlopsError(error, { action: 'sagemaker:DescribeModelPackage', resource: `model package ${arn}` });
      }
    },
    async setApproval(arn, status, description): Promise<void> {
      try {
        await client.send(new UpdateModelPackageCommand({ ModelPackageArn: arn, ModelApprovalStatus: status, ApprovalDescription: description }));
      } catch (error) {
        throw awsErrorToMlopsError(error, { action: 'sagemaker:UpdateModelPackage', resource: `model package ${arn}` });
      }
    },
  };
}
