import { isModelMonitorEvent, mapModelMonitorEvent } from '../../src/core/map-model-monitor-event';
import { parsePipelineEvent, pipelineEventSchema } from '../../src/core/pipeline-event';
import { routeEvent } from '../../src/core/route-event';
import type { FileConfig } from '../../src/config/config-schema';
import { processingJobEvent, scheduleStatusEvent } from '../fixtures/model-monitor-events';

/**
 * SageMaker Model Monitor through EventBridge (issue 15). Two shapes:
 * - the processing job of a monitoring execution ("SageMaker Processing Job State Change"), whose
 *   ExitMessage is the one Model Monitor containers write ("CompletedWithViolations: Job completed
 *   successfully with N violations."), with MonitoringScheduleArn and the report's S3 output;
 * - a monitoring-schedule execution status event carrying a MonitoringExecutionSummary
 *   (MonitoringScheduleName, MonitoringExecutionStatus, ProcessingJobArn, ScheduledTime).
 */
const MODELS = { 'fraud-detector': { endpoint: 'fraud-detector-prod' }, 'churn-predictor': { endpoint: 'churn-predictor-prod' } };

describe('mapModelMonitorEvent: Model Monitor executions with violations become drift.detected', () => {
  it('processing job shape: model from the monitored endpoint, violation count, report link, console link; valid against the event schema', () => {
    const input = processingJobEvent();
    expect(isModelMonitorEvent(input)).toBe(true);
    const mapped = mapModelMonitorEvent(input, MODELS);
    if (!mapped.ok) throw new Error(mapped.ignored);
    const parsed = parsePipelineEvent(mapped.event);
    if (!parsed.ok) throw new Error(parsed.problems.join('; '));
    expect(parsed.value).toMatchObject({
      type: 'drift.detected',
      model: 'fraud-detector',
      endpoint: 'fraud-detector-prod',
      timestamp: '2026-11-24T06:21:07.000Z',
      drift: {
        signal: 'data',
        value: 3,
        threshold: 0,
        reportUrl: 's3://mlops-monitoring/fraud-detector-prod/fraud-detector-data-quality/2026/11/24/06/constraint_violations.json',
      },
    });
    expect(parsed.value.drift?.metric).toContain('fraud-detector-data-quality');
    expect(parsed.value.id).toBe('model-monitor:fraud-detector-data-quality:model-monitoring-202611240600-8d1c0e5b7f2a4e1b9c3d2a10');
    expect(parsed.value.links?.['monitoring job']).toMatch(/^https:\/\/us-east-1\.console\.aws\.amazon\.com\/sagemaker\/.*processing-jobs\//);
  });

  it('schedule status shape: model from the schedule name, model-quality schedules are the quality signal', () => {
    const input = scheduleStatusEvent();
    expect(isModelMonitorEvent(input)).toBe(true);
    const mapped = mapModelMonitorEvent(input, MODELS);
    if (!mapped.ok) throw new Error(mapped.ignored);
    expect(pipelineEventSchema.safeParse(mapped.event).success).toBe(true);
    expect(mapped.event).toMatchObject({ model: 'churn-predictor', drift: { signal: 'quality', threshold: 0 } });
  });

  it('ignores executions without violations, failed ones, and processing jobs that are not Model Monitor executions', () => {
    expect(mapModelMonitorEvent(processingJobEvent({ ExitMessage: 'Completed: Job completed successfully with no violations.' }), MODELS)).toEqual({
      ok: false,
      ignored: 'monitoring execution status Completed is not reported',
    });
    expect(mapModelMonitorEvent(scheduleStatusEvent({ MonitoringExecutionStatus: 'Failed' }), MODELS).ok).toBe(false);
    const plain = processingJobEvent();
    delete (plain.detail as Record<string, unknown>)['MonitoringScheduleArn'];
    expect(isModelMonitorEvent(plain)).toBe(false);
    expect(isModelMonitorEvent({ 'detail-type': 'SageMaker Training Job State Change', source: 'aws.sagemaker', detail: {} })).toBe(false);
  });

  it('says so when the model cannot be told; the mlops:model tag wins', () => {
    const unknown = mapModelMonitorEvent(scheduleStatusEvent({ MonitoringScheduleName: 'nightly-check' }), MODELS);
    expect(unknown.ok).toBe(false);
    const tagged = mapModelMonitorEvent(scheduleStatusEvent({ MonitoringScheduleName: 'nightly-check', Tags: { 'mlops:model': 'fraud-detector' } }), MODELS);
    expect(tagged.ok && tagged.event['model']).toBe('fraud-detector');
  });
});

describe('drift.detected in the event schema and routing (contract 9)', () => {
  const base = { id: 'd1', type: 'drift.detected', model: 'fraud-detector', timestamp: '2026-11-24T10:00:00Z' };
  it('needs drift, not a version; rejects an unknown signal', () => {
    expect(parsePipelineEvent(base).ok).toBe(false);
    expect(parsePipelineEvent({ ...base, drift: { signal: 'data', metric: 'psi', value: 0.3, threshold: 0.2 } }).ok).toBe(true);
    expect(parsePipelineEvent({ ...base, drift: { signal: 'vibes', metric: 'psi', value: 0.3, threshold: 0.2 } }).ok).toBe(false);
  });
  it('goes to the alert channel too only when severity is high', () => {
    const config = { slack: { alertChannel: 'C0ALERTS' }, models: { 'fraud-detector': { channel: 'C0FRAUD' } } } as unknown as FileConfig;
    const drift = { signal: 'data' as const, metric: 'psi', value: 0.3, threshold: 0.2 };
    expect(routeEvent({ model: 'fraud-detector', type: 'drift.detected', drift }, config)).toMatchObject({ channels: ['C0FRAUD'] });
    expect(routeEvent({ model: 'fraud-detector', type: 'drift.detected', drift: { ...drift, severity: 'high' } }, config)).toMatchObject({
      channels: ['C0FRAUD', 'C0ALERTS'],
    });
  });
});
