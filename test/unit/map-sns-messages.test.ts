import { decideAlertPlacement, countInAlertGroup, openAlertGroup } from '../../src/core/alert-group';
import { mapCloudwatchAlarm, isCloudwatchAlarm } from '../../src/core/map-cloudwatch-alarm';
import { mapTrainingJobEvent } from '../../src/core/map-training-job-event';
import { modelFromTrainingJob } from '../../src/core/model-from-training-job';
import { parsePipelineEvent } from '../../src/core/pipeline-event';
import { cloudwatchAlarm, trainingJobStateChange } from '../fixtures/sns-messages';

const MODELS = ['fraud-detector', 'churn-predictor', 'fraud-detector-v2'];

describe('model and version of a SageMaker training job', () => {
  it('reads <model>-<major>-<minor>-<patch>-… with configured models first, longest first', () => {
    expect(modelFromTrainingJob('fraud-detector-1-4-0-2026-11-24-09-12-03', MODELS)).toEqual({ model: 'fraud-detector', version: '1.4.0' });
    expect(modelFromTrainingJob('fraud-detector-v2-2-0-1-x', MODELS)).toEqual({ model: 'fraud-detector-v2', version: '2.0.1' });
    expect(modelFromTrainingJob('churn-predictor-10-0-3', MODELS)).toEqual({ model: 'churn-predictor', version: '10.0.3' });
    expect(modelFromTrainingJob('image-tagger-0-9-1-20261124', MODELS)).toEqual({ model: 'image-tagger', version: '0.9.1' });
    expect(modelFromTrainingJob('89c96cc8-dded-4739-afcc-6f1dc936701d', MODELS)).toBeUndefined();
  });
});

describe('EventBridge "SageMaker Training Job State Change" → pipeline events', () => {
  it('maps InProgress / Completed / Failed / Stopped to training.started / succeeded / failed, valid per contract 5.3', () => {
    const started = mapTrainingJobEvent(trainingJobStateChange('InProgress'), MODELS);
    const succeeded = mapTrainingJobEvent(trainingJobStateChange('Completed'), MODELS);
    const failed = mapTrainingJobEvent(trainingJobStateChange('Failed'), MODELS);
    const stopped = mapTrainingJobEvent(trainingJobStateChange('Stopped'), MODELS);
    for (const m of [started, succeeded, failed, stopped]) {
      if (!m.ok) throw new Error(m.ignored);
      expect(parsePipelineEvent(m.event)).toMatchObject({ ok: true });
    }
    expect(started).toMatchObject({
      event: { type: 'training.started', model: 'fraud-detector', version: '1.4.0', id: 'sagemaker:fraud-detector-1-4-0-2026-11-24-09-12-03:InProgress' },
    });
    expect(succeeded).toMatchObject({
      event: { type: 'training.succeeded', metrics: { 'validation:f1': 0.91, 'validation:precision': 0.93 }, timestamp: '2026-11-24T10:41:55.000Z' },
    });
    expect(failed).toMatchObject({ event: { type: 'training.failed', error: { message: expect.stringContaining('CUDA out of memory') } } });
    expect(stopped).toMatchObject({ event: { type: 'training.failed', error: { message: expect.stringContaining('was stopped') } } });
    // One run per job, so the job's messages share a thread.
    const runOf = (m: typeof started) => (m.ok ? (m.event['run'] as { runId: string }).runId : undefined);
    expect(runOf(started)).toBe('sagemaker:fraud-detector-1-4-0-2026-11-24-09-12-03');
    expect(runOf(succeeded)).toBe(runOf(started));
  });

  it('prefers the mlops:* tags (map or [{Key,Value}]) and can join the Airflow run', () => {
    const tagged = mapTrainingJobEvent(
      trainingJobStateChange('Completed', {
        jobName: 'job-89c96cc8',
        tags: { 'mlops:model': 'churn-predictor', 'mlops:version': '3.1.0', 'mlops:run-id': 'manual__2026', 'mlops:requested-by': 'U0BOB' },
      }),
      MODELS,
    );
    expect(tagged).toMatchObject({ ok: true, event: { model: 'churn-predictor', version: '3.1.0', run: { runId: 'manual__2026' }, requestedBy: 'U0BOB' } });
    const asList = trainingJobStateChange('InProgress', { jobName: 'job-1' });
    (asList.detail as Record<string, unknown>)['Tags'] = [{ Key: 'mlops:model', Value: 'fraud-detector' }];
    expect(mapTrainingJobEvent(asList, MODELS)).toMatchObject({ ok: true, event: { model: 'fraud-detector', type: 'training.started' } });
  });

  it('ignores, with a reason, jobs it cannot attribute and statuses it does not report', () => {
    expect(mapTrainingJobEvent(trainingJobStateChange('Completed', { jobName: '89c96cc8-dded-4739' }), MODELS)).toMatchObject({
      ok: false,
      ignored: expect.stringContaining('mlops:model'),
    });
    expect(mapTrainingJobEvent(trainingJobStateChange('Completed', { jobName: 'x', tags: { 'mlops:model': 'fraud-detector' } }), MODELS)).toMatchObject({
      ok: false,
      ignored: expect.stringContaining('version'),
    });
    const stopping = trainingJobStateChange('InProgress');
    (stopping.detail as Record<string, unknown>)['TrainingJobStatus'] = 'Stopping';
    expect(mapTrainingJobEvent(stopping, MODELS).ok).toBe(false);
  });
});

describe('CloudWatch alarm notifications', () => {
  const endpoints = { 'fraud-detector': 'fraud-detector-prod', 'churn-predictor': 'churn-predictor-prod' };
  it('maps the documented notification to an alert on the model whose endpoint is the EndpointName dimension', () => {
    const message = cloudwatchAlarm('ALARM');
    expect(isCloudwatchAlarm(message)).toBe(true);
    const alarm = mapCloudwatchAlarm(message, endpoints, new Date());
    expect(alarm).toMatchObject({
      alarmName: 'fraud-detector-prod-model-latency-p99',
      state: 'ALARM',
      oldState: 'OK',
      changedAt: '2026-11-24T10:56:12.345Z',
      endpoint: 'fraud-detector-prod',
      model: 'fraud-detector',
      dimensions: { EndpointName: 'fraud-detector-prod', VariantName: 'AllTraffic' },
      metric: { namespace: 'AWS/SageMaker', name: 'ModelLatency', statistic: 'p99', threshold: 500000, comparison: 'GreaterThanThreshold' },
    });
    // The same notification again (an SNS retry) has the same id; the OK transition another.
    expect(mapCloudwatchAlarm(message, endpoints, new Date())?.id).toBe(alarm?.id);
    expect(mapCloudwatchAlarm(cloudwatchAlarm('OK'), endpoints, new Date())?.id).not.toBe(alarm?.id);
  });
  it('reads metric-math alarms and leaves the model unknown for other endpoints', () => {
    const math = cloudwatchAlarm('ALARM', {
      Trigger: {
        Metrics: [
          {
            Id: 'm1',
            MetricStat: {
              Metric: { Namespace: 'AWS/SageMaker', MetricName: 'Invocation5XXErrors', Dimensions: [{ name: 'EndpointName', value: 'other-endpoint' }] },
            },
          },
        ],
      },
    });
    expect(mapCloudwatchAlarm(math, endpoints, new Date())).toMatchObject({ endpoint: 'other-endpoint', metric: { name: 'Invocation5XXErrors' } });
    expect(mapCloudwatchAlarm(math, endpoints, new Date())?.model).toBeUndefined();
    expect(isCloudwatchAlarm({ id: 'x', type: 'training.started' })).toBe(false);
  });
});

describe('alert grouping', () => {
  const at = (min: number) => new Date(Date.parse('2026-11-24T10:00:00Z') + min * 60_000);
  it('replies to the open alert of the channel within the window, from the first failure, and counts each failure once', () => {
    expect(decideAlertPlacement(undefined, 'C1', at(0), 600_000)).toEqual({ kind: 'new' });
    let group = openAlertGroup(undefined, 'C1', 'e1', '100.1', at(0));
    expect(decideAlertPlacement(group, 'C1', at(9), 600_000)).toMatchObject({ kind: 'reply', threadTs: '100.1' });
    expect(decideAlertPlacement(group, 'C2', at(1), 600_000)).toEqual({ kind: 'new' });
    expect(decideAlertPlacement(group, 'C1', at(10), 600_000)).toEqual({ kind: 'new' });
    expect(decideAlertPlacement(group, 'C1', at(1), 0)).toEqual({ kind: 'new' });
    group = countInAlertGroup(group, 'C1', 'e2');
    expect(countInAlertGroup(group, 'C1', 'e2')).toBe(group);
    expect(group.channels['C1']?.count).toBe(2);
  });
});
