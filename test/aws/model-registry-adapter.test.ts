import { createAwsClients, type AwsClients } from '../../src/aws/aws-clients';
import { createSagemakerModelRegistry } from '../../src/aws/sagemaker-model-registry';
import { ErrorCode, MlopsError } from '../../src/core/errors';
import type { ModelRegistry } from '../../src/core/ports';
import { packageArn, packageDetail, studioDecision } from '../fixtures/model-package-events';
import { startFakeAws, type FakeAws } from '../kit/fake-aws-server';

/** The Model Registry adapter: the real SageMaker client (awsJson1_1) against the fake, as the bot calls it. */
let fake: FakeAws;
let clients: AwsClients;
let registry: ModelRegistry;

async function mlopsError(promise: Promise<unknown>): Promise<MlopsError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MlopsError);
  return error as MlopsError;
}

beforeAll(async () => {
  fake = await startFakeAws();
  clients = createAwsClients({
    endpoint: fake.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 2,
    requestTimeoutMs: 1000,
  });
  registry = createSagemakerModelRegistry(clients.sagemaker);
});
afterEach(() => fake.reset());
afterAll(async () => {
  clients.destroy();
  await fake.close();
});

describe('SageMaker Model Registry adapter', () => {
  it('describePackage: status, ApprovalDescription, who changed it (Studio profile) and when', async () => {
    fake.sagemaker.setModelPackage(studioDecision('Approved', '2026-11-24T18:05:00Z', 'maria.studio', 'validated offline'));
    expect(await registry.describePackage(packageArn(2))).toEqual({
      status: 'Approved',
      description: 'validated offline',
      modifiedBy: 'maria.studio',
      modifiedAt: '2026-11-24T18:05:00.000Z',
    });
    const [call] = fake.callsTo('sagemaker', 'DescribeModelPackage');
    expect(call).toMatchObject({ signed: true, body: { ModelPackageName: packageArn(2) } });
    expect(call!.headers['x-amz-target']).toBe('SageMaker.DescribeModelPackage');
  });

  it('setApproval: one UpdateModelPackage with the status and description; the package changes', async () => {
    fake.sagemaker.setModelPackage(packageDetail());
    await registry.setApproval(packageArn(2), 'Rejected', '[mlops-chatops] Rejected in Slack by U0BOB: drift');
    expect(fake.callsTo('sagemaker', 'UpdateModelPackage').map((c) => c.body)).toEqual([
      { ModelPackageArn: packageArn(2), ModelApprovalStatus: 'Rejected', ApprovalDescription: '[mlops-chatops] Rejected in Slack by U0BOB: drift' },
    ]);
    expect(await registry.describePackage(packageArn(2))).toMatchObject({
      status: 'Rejected',
      description: '[mlops-chatops] Rejected in Slack by U0BOB: drift',
    });
  });

  it('an unknown package is AwsNotFound naming it (not retried); access denied names sagemaker:UpdateModelPackage; a description over 1024 is refused as SageMaker does', async () => {
    const missing = await mlopsError(registry.describePackage(packageArn(99)));
    expect(missing.code).toBe(ErrorCode.AwsNotFound);
    expect(missing.message).toContain(packageArn(99));
    expect(fake.callsTo('sagemaker', 'DescribeModelPackage')).toHaveLength(1);

    fake.sagemaker.setModelPackage(packageDetail());
    fake.failNext('sagemaker', 'UpdateModelPackage', { error: { status: 400, type: 'AccessDeniedException', message: 'not authorized' } });
    const denied = await mlopsError(registry.setApproval(packageArn(2), 'Approved', 'x'));
    expect(denied.code).toBe(ErrorCode.AwsAccessDenied);
    expect(denied.message).toContain('sagemaker:UpdateModelPackage');

    const tooLong = await mlopsError(registry.setApproval(packageArn(2), 'Approved', 'x'.repeat(1025)));
    expect(tooLong.code).toBe(ErrorCode.AwsFailed);
    expect(fake.sagemaker.modelPackage(packageArn(2))).toMatchObject({ ModelApprovalStatus: 'PendingManualApproval' });
  });
});
