/**
 * The sandbox's simulated pipeline, driven as the bot drives it: the real Lambda DAG trigger and
 * SageMaker inspector (SDK v3 clients) against the fake AWS. What it "sends to the bot" is
 * collected here instead of posted; the waits follow those events (bounded polls).
 */
import { createAwsClients, type AwsClients } from '../../src/aws/aws-clients';
import { createLambdaDagTrigger } from '../../src/aws/lambda-dag-trigger';
import { createSagemakerEndpointInspector } from '../../src/aws/sagemaker-endpoint-inspector';
import { parsePipelineEvent } from '../../src/core/pipeline-event';
import type { DagTrigger, EndpointInspector } from '../../src/core/ports';
import { startFakeAws, type FakeAws } from '../../src/sandbox/fake-aws-server';
import { SANDBOX_LAMBDA_FUNCTION, SANDBOX_MODELS } from '../../src/sandbox/sandbox-config';
import { createSimulatedPipeline, type PipelineEventBody, type SimulatedPipeline } from '../../src/sandbox/simulated-pipeline';

describe('the simulated pipeline behind the fake Lambda', () => {
  let aws: FakeAws;
  let clients: AwsClients;
  let trigger: DagTrigger;
  let inspector: EndpointInspector;
  let pipeline: SimulatedPipeline;
  let sent: PipelineEventBody[];
  const errors: unknown[] = [];

  async function until<T>(check: () => T | undefined, what: string, timeoutMs = 15_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = check();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; sent: ${sent.map((e) => e.type).join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  beforeEach(async () => {
    aws = await startFakeAws();
    clients = createAwsClients({ endpoint: aws.url, region: 'us-east-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'x' }, maxAttempts: 1 });
    trigger = createLambdaDagTrigger(clients.lambda, SANDBOX_LAMBDA_FUNCTION);
    inspector = createSagemakerEndpointInspector(clients.sagemaker, clients.cloudwatch);
    sent = [];
    errors.length = 0;
    pipeline = createSimulatedPipeline({
      aws,
      models: SANDBOX_MODELS,
      sendEvent: async (event) => {
        sent.push(event);
        return 202;
      },
      now: () => new Date(),
      onError: (error) => errors.push(error),
    });
    const fraud = SANDBOX_MODELS[0];
    if (fraud === undefined) throw new Error('no model');
    const live = pipeline.liveEndpoint(fraud, '1.3.0', new Date());
    if (live !== undefined) aws.sagemaker.setEndpoint(live);
  });
  afterEach(async () => {
    pipeline.stop();
    clients.destroy();
    await aws.close();
  });

  it('a training run reports started → succeeded → evaluation with plausible metrics, in order, under the run the bot triggered', async () => {
    await trigger.trigger({
      dagId: 'fraud_detector_training',
      dagRunId: 'mlops_train__t1',
      conf: { model: 'fraud-detector', requested_by: 'U1', retrain: false, params: {} },
    });
    const evaluation = await until(() => sent.find((e) => e.type === 'evaluation.completed'), 'the evaluation');
    expect(sent.map((e) => e.type)).toEqual(['training.started', 'training.succeeded', 'evaluation.completed']);
    for (const event of sent) expect(event['run']).toMatchObject({ dagId: 'fraud_detector_training', runId: 'mlops_train__t1' });
    expect(evaluation).toMatchObject({ model: 'fraud-detector', version: '1.4.0', endpoint: 'fraud-detector-prod' });
    const metrics = evaluation['metrics'] as Record<string, number>;
    expect(Object.keys(metrics).sort()).toEqual(['auc', 'f1', 'precision', 'recall']);
    for (const value of Object.values(metrics)) expect(value).toBeGreaterThan(0.8);
    // The training job the events name is described by SageMaker, as the bot's enrichment reads it.
    const job = await inspector.describeTrainingJob(String(evaluation['trainingJob']));
    expect(job.status).toBe('Completed');
    expect(job.finalMetrics['validation:f1']).toBe(metrics['f1']);
    expect((await trigger.runState('fraud_detector_training', 'mlops_train__t1')).state).toBe('success');
    expect(errors).toEqual([]);
  });

  it('a canary deployment (conf.strategy, issue 14) reports its traffic shifts as deployment.progress, valid events, between started and succeeded', async () => {
    await trigger.trigger({
      dagId: 'fraud_detector_deployment',
      dagRunId: 'mlops_deploy__c1',
      conf: {
        model: 'fraud-detector',
        version: '1.4.0',
        endpoint: 'fraud-detector-prod',
        approved_by: ['U1'],
        candidate_id: 'cand-1',
        strategy: { type: 'canary', trafficPercent: 10, bakeMinutes: 10 },
      },
    });
    await until(() => sent.find((e) => e.type === 'deployment.succeeded'), 'deployment.succeeded');
    expect(sent.map((e) => e.type)).toEqual(['deployment.started', 'deployment.progress', 'deployment.progress', 'deployment.succeeded']);
    const progress = sent.filter((e) => e.type === 'deployment.progress');
    expect(progress.map((e) => e['progress'])).toMatchObject([
      { trafficPercent: 10, step: 1, steps: 2 },
      { trafficPercent: 100, step: 2, steps: 2 },
    ]);
    for (const e of progress) expect(parsePipelineEvent(e)).toMatchObject({ ok: true, value: { candidate_id: 'cand-1', version: '1.4.0' } });
    expect(errors).toEqual([]);
  });

  it("'degrade': the deployment succeeds, then CloudWatch shows p99 tripled and 5XX errors from that moment on (issue 14)", async () => {
    pipeline.setNextRun('degrade');
    await trigger.trigger({
      dagId: 'fraud_detector_deployment',
      dagRunId: 'mlops_deploy__d9',
      conf: {
        model: 'fraud-detector',
        version: '1.4.0',
        endpoint: 'fraud-detector-prod',
        approved_by: ['U1'],
        candidate_id: 'cand-9',
        strategy: { type: 'canary', trafficPercent: 10, bakeMinutes: 10 },
      },
    });
    const done = await until(() => sent.find((e) => e.type === 'deployment.succeeded'), 'deployment.succeeded');
    const succeededAt = Date.parse(done.timestamp);
    const series = await inspector.endpointMetrics('fraud-detector-prod', ['AllTraffic'], new Date(succeededAt - 3_600_000), new Date(succeededAt + 600_000));
    const p99 = series.find((s) => s.id === 'model_latency_p99:AllTraffic')?.points ?? [];
    const errors = series.find((s) => s.id === 'invocation_5xx_errors:AllTraffic')?.points ?? [];
    expect(p99.filter((p) => p.at.getTime() < succeededAt - 60_000).every((p) => p.value < 60)).toBe(true);
    expect(p99.filter((p) => p.at.getTime() >= succeededAt).every((p) => p.value === 150)).toBe(true);
    expect(p99.some((p) => p.at.getTime() >= succeededAt)).toBe(true);
    expect(errors.filter((p) => p.at.getTime() >= succeededAt).every((p) => p.value === 10)).toBe(true);
  });

  it('a shadow deployment leaves production as it was with a shadow variant beside it and per-variant series (Compare now has figures); Stop shadow removes it, Promote makes it production (issue 14)', async () => {
    const deploy = async (runId: string, strategy: Record<string, unknown>) => {
      sent.length = 0;
      await trigger.trigger({
        dagId: 'fraud_detector_deployment',
        dagRunId: runId,
        conf: { model: 'fraud-detector', version: '1.4.0', endpoint: 'fraud-detector-prod', approved_by: ['U1'], candidate_id: 'cand-s', strategy },
      });
      return until(() => sent.find((e) => e.type === 'deployment.succeeded'), 'deployment.succeeded');
    };
    const done = await deploy('mlops_deploy__s1', { type: 'shadow', samplePercent: 50, durationHours: 24 });
    const endpoint = await inspector.describeEndpoint('fraud-detector-prod');
    expect(endpoint.status).toBe('InService');
    expect(endpoint.variants.map((v) => [v.variantName, v.modelName])).toEqual([['AllTraffic', 'fraud-detector-1-3-0']]);
    expect(endpoint.shadowVariants?.map((v) => [v.variantName, v.modelName])).toEqual([['shadow-1-4-0', 'fraud-detector-1-4-0']]);
    const at = Date.parse(done.timestamp);
    const series = await inspector.endpointMetrics('fraud-detector-prod', ['AllTraffic', 'shadow-1-4-0'], new Date(at - 600_000), new Date(at), undefined, {
      latencyP50: true,
    });
    const sum = (id: string) => (series.find((s) => s.id === id)?.points ?? []).reduce((t, p) => t + p.value, 0);
    // The shadow gets half of production's requests (samplePercent 50), with its own latency.
    expect(sum('invocations:shadow-1-4-0') / sum('invocations:AllTraffic')).toBeCloseTo(0.5, 1);
    expect(series.find((s) => s.id === 'model_latency_p50:shadow-1-4-0')?.points.length).toBeGreaterThan(0);
    expect(series.find((s) => s.id === 'model_latency_p99:shadow-1-4-0')?.points.every((p) => p.value >= 49 && p.value < 60)).toBe(true);

    await deploy('mlops_deploy__cand-s__stop-shadow', { type: 'stop-shadow' });
    const stopped = await inspector.describeEndpoint('fraud-detector-prod');
    expect(stopped.shadowVariants).toBeUndefined();
    expect(stopped.variants.map((v) => v.modelName)).toEqual(['fraud-detector-1-3-0']);

    await deploy('mlops_deploy__s2', { type: 'shadow', samplePercent: 50, durationHours: 24 });
    await deploy('mlops_deploy__cand-s__promote-shadow', { type: 'promote-shadow' });
    const promoted = await inspector.describeEndpoint('fraud-detector-prod');
    expect(promoted.shadowVariants).toBeUndefined();
    expect(promoted.variants.map((v) => v.modelName)).toEqual(['fraud-detector-1-4-0']);
    expect(errors).toEqual([]);
  });

  it('an all-at-once deployment sends no progress', async () => {
    await trigger.trigger({
      dagId: 'fraud_detector_deployment',
      dagRunId: 'mlops_deploy__a1',
      conf: {
        model: 'fraud-detector',
        version: '1.4.0',
        endpoint: 'fraud-detector-prod',
        approved_by: ['U1'],
        candidate_id: 'cand-2',
        strategy: { type: 'all-at-once' },
      },
    });
    await until(() => sent.find((e) => e.type === 'deployment.succeeded'), 'deployment.succeeded');
    expect(sent.map((e) => e.type)).toEqual(['deployment.started', 'deployment.succeeded']);
  });

  it('a deployment run takes the endpoint through Updating to InService with the new model, then reports succeeded with the candidate id', async () => {
    await trigger.trigger({
      dagId: 'fraud_detector_deployment',
      dagRunId: 'mlops_deploy__d1',
      conf: { model: 'fraud-detector', version: '1.4.0', endpoint: 'fraud-detector-prod', approved_by: ['U1'], candidate_id: 'cand-1' },
    });
    await until(() => sent.find((e) => e.type === 'deployment.started'), 'deployment.started');
    expect((await inspector.describeEndpoint('fraud-detector-prod')).status).toBe('Updating');
    const done = await until(() => sent.find((e) => e.type === 'deployment.succeeded'), 'deployment.succeeded');
    expect(done).toMatchObject({ version: '1.4.0', endpoint: 'fraud-detector-prod', candidate_id: 'cand-1' });
    const endpoint = await inspector.describeEndpoint('fraud-detector-prod');
    expect(endpoint.status).toBe('InService');
    expect(endpoint.variants.map((v) => v.modelName)).toEqual(['fraud-detector-1-4-0']);
  });

  it('nextRun fail: training.failed with the error, its task and a CloudWatch log link; the run is failed in Airflow; the run after succeeds', async () => {
    pipeline.setNextRun('fail');
    await trigger.trigger({ dagId: 'churn_model_training', dagRunId: 'run-f', conf: { model: 'churn-model' } });
    const failed = await until(() => sent.find((e) => e.type === 'training.failed'), 'training.failed');
    expect(failed['error']).toMatchObject({
      task: 'train_model',
      message: expect.stringMatching(/Error/),
      logUrl: expect.stringMatching(/^https:\/\/us-east-1\.console\.aws\.amazon\.com\/cloudwatch\//),
    });
    expect((await trigger.runState('churn_model_training', 'run-f')).state).toBe('failed');
    expect(pipeline.nextRun()).toBe('succeed');
  });

  it('nextRun silent: the run fails in Airflow and no event is ever sent (the watchdog finds it)', async () => {
    pipeline.setNextRun('silent');
    await trigger.trigger({ dagId: 'fraud_detector_training', dagRunId: 'run-s', conf: { model: 'fraud-detector' } });
    await until(() => (pipeline.runs().find((r) => r.runId === 'run-s')?.state === 'failed' ? true : undefined), 'the silent run to fail');
    expect((await trigger.runState('fraud_detector_training', 'run-s')).state).toBe('failed');
    expect(sent).toEqual([]);
  });

  it('a retried trigger of the same run id starts nothing twice', async () => {
    const request = { dagId: 'fraud_detector_training', dagRunId: 'run-twice', conf: { model: 'fraud-detector' } };
    await trigger.trigger(request);
    expect((await trigger.trigger(request)).alreadyTriggered).toBe(true);
    await until(() => sent.find((e) => e.type === 'evaluation.completed'), 'the evaluation');
    expect(pipeline.runs()).toHaveLength(1);
    expect(sent.filter((e) => e.type === 'training.started')).toHaveLength(1);
  });
});
