import type { DriftSignal } from './pipeline-event';
import { tagsOf } from './map-training-job-event';
import { asRecord, asString as str } from './read-json-fields';

/**
 * The two shapes in which SageMaker Model Monitor reports an execution through EventBridge:
 * - "SageMaker Processing Job State Change": every monitoring execution is a processing job;
 *   one that found violations ends `Completed` with the ExitMessage
 *   "CompletedWithViolations: Job completed successfully with N violations." and carries its
 *   MonitoringScheduleArn and the output S3 URI (the violation report is
 *   `constraint_violations.json` there);
 * - a monitoring-schedule execution status event whose detail is a MonitoringExecutionSummary
 *   (MonitoringScheduleName, MonitoringExecutionStatus, EndpointName, ProcessingJobArn,
 *   ScheduledTime), as rules on "Monitoring … Status Change" forward it.
 * Only CompletedWithViolations becomes `drift.detected`; every other status is ignored.
 */
export const PROCESSING_JOB_STATE_CHANGE = 'SageMaker Processing Job State Change';

export type ModelMonitorMapping = { ok: true; event: Record<string, unknown> } | { ok: false; ignored: string };

/** Whether an EventBridge event is one of the Model Monitor shapes above (else it is not ours). */
export function isModelMonitorEvent(input: Readonly<Record<string, unknown>>): boolean {
  const detailType = str(input['detail-type']);
  if (detailType === undefined || str(input['source']) !== 'aws.sagemaker') return false;
  const detail = asRecord(input['detail']);
  if (detailType === PROCESSING_JOB_STATE_CHANGE) return str(detail['MonitoringScheduleArn']) !== undefined;
  return str(detail['MonitoringExecutionStatus']) !== undefined && str(detail['MonitoringScheduleName']) !== undefined;
}

const VIOLATIONS = /^CompletedWithViolations\b.*?(\d+)\s+violations?/i;

/**
 * Maps a Model Monitor event to a `drift.detected` event (contract 9), still to be validated.
 * The model: the tag `mlops:model`, else the configured model whose endpoint is monitored, else
 * the configured model whose name starts the schedule's name. The signal: the schedule's
 * monitoring type (ModelQuality → quality, ModelBias / ModelExplainability → prediction, else
 * data). The metric is the violation count against a threshold of 0 (the report names the
 * constraints). The id is the schedule plus the execution, so the events SageMaker repeats
 * for one execution collapse into one alert.
 */
export function mapModelMonitorEvent(
  input: Readonly<Record<string, unknown>>,
  models: Readonly<Record<string, { endpoint?: string | undefined }>>,
): ModelMonitorMapping {
  const detail = asRecord(input['detail']);
  const processing = str(input['detail-type']) === PROCESSING_JOB_STATE_CHANGE;
  const exitMessage = str(detail['ExitMessage']) ?? '';
  const status = processing
    ? str(detail['ProcessingJobStatus']) === 'Completed' && /^CompletedWithViolations/i.test(exitMessage)
      ? 'CompletedWithViolations'
      : (str(detail['ProcessingJobStatus']) ?? '(none)')
    : (str(detail['MonitoringExecutionStatus']) ?? '(none)');
  if (status !== 'CompletedWithViolations') return { ok: false, ignored: `monitoring execution status ${status} is not reported` };

  const scheduleArn = str(detail['MonitoringScheduleArn']);
  const schedule = str(detail['MonitoringScheduleName']) ?? (scheduleArn !== undefined ? scheduleArn.split('/').pop() : undefined) ?? 'unknown-schedule';
  const jobArn = str(detail['ProcessingJobArn']);
  const jobName = str(detail['ProcessingJobName']) ?? (jobArn !== undefined ? jobArn.split('/').pop() : undefined);
  const endpoint = str(detail['EndpointName']) ?? endpointOfInputs(detail['ProcessingInputs']);
  const tags = tagsOf(detail['Tags']);
  const model =
    tags['mlops:model'] ??
    Object.entries(models).find(([, m]) => endpoint !== undefined && m.endpoint === endpoint)?.[0] ??
    Object.keys(models)
      .filter((name) => schedule === name || schedule.startsWith(`${name}-`))
      .sort((a, b) => b.length - a.length)[0];
  if (model === undefined) {
    return {
      ok: false,
      ignored: `cannot tell the model of monitoring schedule ${schedule}: tag the schedule mlops:model, monitor a configured endpoint, or name it <model>-…`,
    };
  }

  const monitoringType = str(detail['MonitoringType']) ?? str(asRecord(detail['Environment'])['monitoring_type']) ?? '';
  const signal: DriftSignal =
    /quality/i.test(monitoringType) && /model/i.test(monitoringType)
      ? 'quality'
      : /bias|explainab/i.test(monitoringType)
        ? 'prediction'
        : /model-quality/i.test(schedule)
          ? 'quality'
          : 'data';
  const count = Number(VIOLATIONS.exec(exitMessage)?.[1] ?? Number.NaN);
  const output = outputUri(detail['ProcessingOutputConfig']);
  const reportUrl = output !== undefined ? `${output.replace(/\/+$/, '')}/constraint_violations.json` : undefined;
  const time = str(input['time']);
  const timestamp = time !== undefined && !Number.isNaN(Date.parse(time)) ? new Date(Date.parse(time)).toISOString() : undefined;
  const execution = jobName ?? str(detail['ScheduledTime']) ?? timestamp ?? 'unknown';
  const region = str(input['region']);
  const links =
    jobName !== undefined && region !== undefined && /^[a-z0-9-]+$/.test(region)
      ? {
          links: {
            'monitoring job': `https://${region}.console.aws.amazon.com/sagemaker/home?region=${region}#/processing-jobs/${encodeURIComponent(jobName)}`,
          },
        }
      : {};
  return {
    ok: true,
    event: {
      id: `model-monitor:${schedule}:${execution}`.slice(0, 200),
      type: 'drift.detected',
      model,
      ...(timestamp !== undefined ? { timestamp } : {}),
      ...(endpoint !== undefined ? { endpoint } : {}),
      ...links,
      drift: {
        signal,
        metric: `constraint violations (${schedule})`.slice(0, 200),
        value: Number.isFinite(count) ? count : 1,
        threshold: 0,
        ...(reportUrl !== undefined && /^(s3|https?):\/\//.test(reportUrl) ? { reportUrl } : {}),
      },
    },
  };
}

function outputUri(raw: unknown): string | undefined {
  const outputs = asRecord(raw)['Outputs'];
  if (!Array.isArray(outputs)) return undefined;
  for (const o of outputs) {
    const uri = str(asRecord(asRecord(o)['S3Output'])['S3Uri']);
    if (uri !== undefined) return uri;
  }
  return undefined;
}

/** Model Monitor names the monitored endpoint in its input (`EndpointInput`) when the event carries the inputs. */
function endpointOfInputs(raw: unknown): string | undefined {
  if (!Array.isArray(raw)) return undefined;
  for (const input of raw) {
    const name = str(asRecord(asRecord(input)['EndpointInput'])['EndpointName']);
    if (name !== undefined) return name;
  }
  return undefined;
}
