import { DescribeEndpointCommand } from '@aws-sdk/client-sagemaker';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { createAwsClients, isEndpointOverridden } from '../../src/aws/aws-clients';
import { awsErrorToMlopsError } from '../../src/aws/aws-error-to-mlops-error';
import { createLambdaDagTrigger } from '../../src/aws/lambda-dag-trigger';
import { createMwaaDagTrigger } from '../../src/aws/mwaa-dag-trigger';
import { ErrorCode } from '../../src/core/errors';
import { DEFAULT_ENDPOINT_NAME, startFakeAws, type FakeAws } from '../kit/fake-aws-server';

let fake: FakeAws;
beforeAll(async () => {
  fake = await startFakeAws();
});
afterEach(() => fake.reset());
afterAll(async () => {
  await fake.close();
});

describe('createAwsClients', () => {
  const VARS = ['AWS_ENDPOINT_URL', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_MAX_ATTEMPTS'] as const;
  const saved: Record<string, string | undefined> = {};
  beforeEach(() => {
    for (const v of VARS) saved[v] = process.env[v];
  });
  afterEach(() => {
    for (const v of VARS) {
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- process.env is an object: delete is how a variable is unset
      if (saved[v] === undefined) delete process.env[v];
      else process.env[v] = saved[v];
    }
  });

  it("leaves region, credentials and endpoint to the SDK's standard configuration (AWS_ENDPOINT_URL etc.)", async () => {
    process.env.AWS_ENDPOINT_URL = fake.url;
    process.env.AWS_REGION = 'eu-central-1';
    process.env.AWS_ACCESS_KEY_ID = 'from-env';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret';
    const clients = createAwsClients({ endpointOverridden: isEndpointOverridden(process.env) });
    try {
      await createLambdaDagTrigger(clients.lambda, 'fn').trigger({ dagId: 'd', dagRunId: 'r', conf: {} });
      await createMwaaDagTrigger(clients.mwaa, 'env1').trigger({ dagId: 'd', dagRunId: 'r', conf: {} });
      await clients.sagemaker.send(new DescribeEndpointCommand({ EndpointName: DEFAULT_ENDPOINT_NAME }));
      expect(fake.calls.map((c) => c.service)).toEqual(['lambda', 'mwaa', 'sagemaker']);
      for (const call of fake.calls) expect(call.headers.authorization).toContain('Credential=from-env/');
      expect(fake.calls[1]?.headers.authorization).toContain('/eu-central-1/airflow/aws4_request');
      expect(await clients.mwaa.config.region()).toBe('eu-central-1');
    } finally {
      clients.destroy();
    }
  });

  it('disables host prefixes only when the endpoint is overridden', () => {
    const plain = createAwsClients({ region: 'us-east-1' });
    const overridden = createAwsClients({ region: 'us-east-1', endpointOverridden: true });
    const explicit = createAwsClients({ region: 'us-east-1', endpoint: fake.url });
    try {
      expect(plain.mwaa.config.disableHostPrefix).toBe(false);
      expect(plain.lambda.config.disableHostPrefix).toBe(false);
      expect(overridden.mwaa.config.disableHostPrefix).toBe(true);
      expect(overridden.sagemaker.config.disableHostPrefix).toBe(true);
      expect(overridden.cloudwatch.config.disableHostPrefix).toBe(true);
      expect(explicit.mwaa.config.disableHostPrefix).toBe(true);
    } finally {
      plain.destroy();
      overridden.destroy();
      explicit.destroy();
    }
  });

  it('sets maxAttempts only when asked (else the SDK default / AWS_MAX_ATTEMPTS)', async () => {
    process.env.AWS_MAX_ATTEMPTS = '5';
    const fromEnv = createAwsClients({ region: 'us-east-1' });
    const given = createAwsClients({ region: 'us-east-1', maxAttempts: 2 });
    try {
      expect(await fromEnv.lambda.config.maxAttempts()).toBe(5);
      expect(await given.lambda.config.maxAttempts()).toBe(2);
      expect(await given.mwaa.config.maxAttempts()).toBe(2);
    } finally {
      fromEnv.destroy();
      given.destroy();
    }
  });

  it('bounds every call with the request timeout (default handler config: hard timeout that throws)', async () => {
    const clients = createAwsClients({
      endpoint: fake.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
      requestTimeoutMs: 250,
    });
    try {
      fake.on('sagemaker', 'DescribeEndpoint', () => ({ delayMs: 3000, result: {} }));
      const started = Date.now();
      await expect(clients.sagemaker.send(new DescribeEndpointCommand({ EndpointName: 'x' }))).rejects.toMatchObject({ name: 'TimeoutError' });
      expect(Date.now() - started).toBeLessThan(2000);
      const handler = clients.sagemaker.config.requestHandler;
      expect(handler).toBeInstanceOf(NodeHttpHandler);
      expect((handler as NodeHttpHandler).httpHandlerConfigs()).toMatchObject({ requestTimeout: 250, throwOnRequestTimeout: true });
    } finally {
      clients.destroy();
    }
  });

  it('rejects a nonsensical timeout', () => {
    expect(() => createAwsClients({ requestTimeoutMs: 0 })).toThrow(RangeError);
  });
});

describe('isEndpointOverridden', () => {
  it('is true for AWS_ENDPOINT_URL or a per-service variable, false otherwise', () => {
    expect(isEndpointOverridden({})).toBe(false);
    expect(isEndpointOverridden({ AWS_ENDPOINT_URL: '' })).toBe(false);
    expect(isEndpointOverridden({ AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' })).toBe(true);
    expect(isEndpointOverridden({ AWS_ENDPOINT_URL_MWAA: 'http://127.0.0.1:1' })).toBe(true);
    expect(isEndpointOverridden({ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:1' })).toBe(false);
    expect(isEndpointOverridden({ AWS_ENDPOINT_URL: 'http://x', AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' })).toBe(false);
  });
});

describe('awsErrorToMlopsError', () => {
  const ctx = { action: 'sagemaker:DescribeEndpoint', resource: 'endpoint e1' };
  const sdkError = (name: string, status?: number, message = 'm', extra: Record<string, unknown> = {}) =>
    Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } }, extra);

  it.each([
    ['AccessDeniedException', 400, ErrorCode.AwsAccessDenied],
    ['AccessDenied', 403, ErrorCode.AwsAccessDenied],
    ['SomethingElse', 403, ErrorCode.AwsAccessDenied],
    ['ThrottlingException', 400, ErrorCode.AwsThrottled],
    ['Throttling', 400, ErrorCode.AwsThrottled],
    ['TooManyRequestsException', 429, ErrorCode.AwsThrottled],
    ['Whatever', 429, ErrorCode.AwsThrottled],
    ['TimeoutError', undefined, ErrorCode.AwsTimeout],
    ['RequestTimeout', 408, ErrorCode.AwsTimeout],
    ['ResourceNotFoundException', 404, ErrorCode.AwsNotFound],
    ['ResourceNotFound', 400, ErrorCode.AwsNotFound],
    ['InternalFailure', 500, ErrorCode.AwsFailed],
    ['ValidationException', 400, ErrorCode.AwsFailed],
  ])('%s (HTTP %s) -> %s', (name, status, code) => {
    expect(awsErrorToMlopsError(sdkError(name, status), ctx).code).toBe(code);
  });

  it('ValidationException "Could not find endpoint" is AwsNotFound', () => {
    const e = awsErrorToMlopsError(sdkError('ValidationException', 400, 'Could not find endpoint "arn:…:endpoint/e1".'), ctx);
    expect(e.code).toBe(ErrorCode.AwsNotFound);
    expect(e.message).toMatch(/endpoint e1/i);
  });

  it('network-level timeouts (ETIMEDOUT, socket timeout) are AwsTimeout', () => {
    expect(awsErrorToMlopsError(Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' }), ctx).code).toBe(ErrorCode.AwsTimeout);
    expect(awsErrorToMlopsError(new Error('the request socket timed out after 8000 ms'), ctx).code).toBe(ErrorCode.AwsTimeout);
  });

  it('names the missing IAM action, keeps the cause, and passes an MlopsError through', () => {
    const cause = sdkError('AccessDeniedException', 400, 'User x is not authorized');
    const e = awsErrorToMlopsError(cause, ctx);
    expect(e.message).toContain('sagemaker:DescribeEndpoint');
    expect(e.message).toContain('endpoint e1');
    expect(e.details).toMatchObject({ action: 'sagemaker:DescribeEndpoint', awsError: 'AccessDeniedException', httpStatus: 400 });
    expect(e.cause).toBe(cause);
    expect(awsErrorToMlopsError(e, { action: 'other' })).toBe(e);
  });

  it('a refused connection is AwsFailed in plain words', () => {
    const e = awsErrorToMlopsError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), ctx);
    expect(e.code).toBe(ErrorCode.AwsFailed);
    expect(e.message).toContain('Could not reach AWS');
  });
});
