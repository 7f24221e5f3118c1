import { lambdaConfig } from '../src/lambda-config';
import { resolveMwaaEndpoint } from '../src/mwaa-rest-client';
import { fakeMwaa } from './fake-mwaa';

describe('lambdaConfig', () => {
  it('reads the allowlist, environment, region and endpoint override', () => {
    const result = lambdaConfig({
      MWAA_ENVIRONMENT: 'mlops-prod',
      ALLOWED_DAGS: ' fraud_detector_training, fraud_detector_deployment ,',
      AWS_REGION: 'eu-west-1',
      AWS_ENDPOINT_URL_MWAA: 'http://127.0.0.1:4566',
    });
    expect(result).toEqual({
      ok: true,
      value: {
        environment: 'mlops-prod',
        allowedDags: new Set(['fraud_detector_training', 'fraud_detector_deployment']),
        region: 'eu-west-1',
        endpoint: 'http://127.0.0.1:4566',
      },
    });
  });

  it('falls back to AWS_ENDPOINT_URL and leaves the endpoint unset without overrides', () => {
    const base = { MWAA_ENVIRONMENT: 'e', ALLOWED_DAGS: 'd', AWS_REGION: 'us-east-1' };
    expect(lambdaConfig({ ...base, AWS_ENDPOINT_URL: 'http://localhost:1' })).toMatchObject({ ok: true, value: { endpoint: 'http://localhost:1' } });
    const plain = lambdaConfig(base);
    expect(plain.ok && plain.value.endpoint).toBeUndefined();
  });

  it('names every problem', () => {
    const result = lambdaConfig({ ALLOWED_DAGS: 'ok_dag,bad dag', AWS_ENDPOINT_URL_MWAA: 'ftp://x' });
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    expect(problems.map((p) => p.split(':')[0])).toEqual(['MWAA_ENVIRONMENT', 'ALLOWED_DAGS', 'AWS_REGION', 'AWS_ENDPOINT_URL_MWAA']);
  });
});

describe('resolveMwaaEndpoint', () => {
  it('adds the env. host prefix to the regional endpoint only', () => {
    expect(resolveMwaaEndpoint('us-east-1').href).toBe('https://env.airflow.us-east-1.amazonaws.com/');
    expect(resolveMwaaEndpoint('cn-north-1').href).toBe('https://env.airflow.cn-north-1.amazonaws.com.cn/');
    expect(resolveMwaaEndpoint('us-east-1', 'http://127.0.0.1:9999').href).toBe('http://127.0.0.1:9999/');
  });
});

describe('handler (built from the environment at cold start)', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('uses AWS_ENDPOINT_URL_MWAA and the default credential chain', async () => {
    const mwaa = await fakeMwaa({ region: 'us-east-1', accessKeyId: 'AKIDENV', secretAccessKey: 'env-secret', environments: { 'mlops-dev': ['train'] } });
    try {
      process.env = {
        ...saved,
        MWAA_ENVIRONMENT: 'mlops-dev',
        ALLOWED_DAGS: 'train',
        AWS_REGION: 'us-east-1',
        AWS_ENDPOINT_URL_MWAA: mwaa.url,
        AWS_ACCESS_KEY_ID: 'AKIDENV',
        AWS_SECRET_ACCESS_KEY: 'env-secret',
        AWS_PROFILE: '',
      };
      delete process.env.AWS_SESSION_TOKEN;
      let mod: typeof import('../src/handler') | undefined;
      await jest.isolateModulesAsync(async () => {
        mod = await import('../src/handler');
      });
      const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
      try {
        expect(await mod!.handler({ dag_name: 'train', dag_run_id: 'cold-1', conf: {} })).toEqual({ dag_run_id: 'cold-1', state: 'queued' });
      } finally {
        log.mockRestore();
      }
    } finally {
      await mwaa.close();
    }
  });

  it('answers 500 with the problems when misconfigured', async () => {
    process.env = { ...saved, AWS_REGION: 'us-east-1' };
    delete process.env.MWAA_ENVIRONMENT;
    delete process.env.ALLOWED_DAGS;
    const error = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    let mod: typeof import('../src/handler') | undefined;
    try {
      await jest.isolateModulesAsync(async () => {
        mod = await import('../src/handler');
      });
      const answer = await mod!.handler({ dag_name: 'train' });
      expect(answer).toMatchObject({ statusCode: 500 });
      expect((answer as { message: string }).message).toContain('MWAA_ENVIRONMENT');
      expect(error).toHaveBeenCalledTimes(1);
    } finally {
      error.mockRestore();
    }
  });
});
