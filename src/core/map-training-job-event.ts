import { modelFromTrainingJob } from './model-from-training-job';
import { asNumber, asRecord, asString as str } from './read-json-fields';

export const TRAINING_JOB_STATE_CHANGE = 'SageMaker Training Job State Change';

/** Tags a training job may carry so its events land in the right model, version and thread. */
export const TrainingJobTag = {
  Model: 'mlops:model',
  Version: 'mlops:version',
  /** The Airflow run id: the job's messages then thread with the DAG's own events. */
  RunId: 'mlops:run-id',
  DagId: 'mlops:dag-id',
  RequestedBy: 'mlops:requested-by',
} as const;

export type TrainingJobMapping = { ok: true; event: Record<string, unknown> } | { ok: false; ignored: string };

/**
 * An EventBridge "SageMaker Training Job State Change" event (as published to SNS) mapped to a
 * pipeline event (contract 5.3), still to be validated like any other:
 * InProgress → training.started, Completed → training.succeeded (FinalMetricDataList as metrics),
 * Failed / Stopped → training.failed (FailureReason as the error). Stopping is ignored.
 *
 * Model and version: the job's tags `mlops:model` / `mlops:version` when present, else the job
 * name (see modelFromTrainingJob). The event id is `sagemaker:<job>:<status>`, because SageMaker
 * may emit several events per state change (one per secondary status): they collapse into one.
 * The run is the tag `mlops:run-id` when given, else `sagemaker:<job>`, so started, succeeded
 * and failed of one job share a thread.
 */
export function mapTrainingJobEvent(input: Readonly<Record<string, unknown>>, configuredModels: readonly string[]): TrainingJobMapping {
  const detail = asRecord(input['detail']);
  const jobName = str(detail['TrainingJobName']);
  const status = str(detail['TrainingJobStatus']);
  if (jobName === undefined) return { ok: false, ignored: 'the event has no detail.TrainingJobName' };
  const type =
    status === 'InProgress'
      ? 'training.started'
      : status === 'Completed'
        ? 'training.succeeded'
        : status === 'Failed' || status === 'Stopped'
          ? 'training.failed'
          : undefined;
  if (type === undefined) return { ok: false, ignored: `training job status ${status ?? '(none)'} is not reported` };

  const tags = tagsOf(detail['Tags']);
  const fromName = modelFromTrainingJob(jobName, configuredModels);
  const model = tags[TrainingJobTag.Model] ?? fromName?.model;
  const version = tags[TrainingJobTag.Version] ?? (fromName !== undefined && fromName.model === model ? fromName.version : undefined);
  if (model === undefined) {
    return {
      ok: false,
      ignored: `cannot tell the model of training job ${jobName}: tag it ${TrainingJobTag.Model} (and ${TrainingJobTag.Version}) or name it <model>-<major>-<minor>-<patch>-…`,
    };
  }
  if (type === 'training.succeeded' && version === undefined) {
    return { ok: false, ignored: `training job ${jobName} has no version: tag it ${TrainingJobTag.Version} or name it <model>-<major>-<minor>-<patch>-…` };
  }

  const region = str(input['region']);
  const time = str(input['time']);
  const timestamp = time !== undefined && !Number.isNaN(Date.parse(time)) ? new Date(Date.parse(time)).toISOString() : undefined;
  const metrics: Record<string, number> = {};
  if (Array.isArray(detail['FinalMetricDataList'])) {
    for (const entry of detail['FinalMetricDataList']) {
      const e = asRecord(entry);
      const name = str(e['MetricName']);
      const value = asNumber(e['Value']);
      if (name !== undefined && name.length <= 100 && value !== undefined) metrics[name] = value;
    }
  }
  const consoleUrl =
    region !== undefined && /^[a-z0-9-]+$/.test(region)
      ? `https://${region}.console.aws.amazon.com/sagemaker/home?region=${region}#/jobs/${encodeURIComponent(jobName)}`
      : undefined;
  const logUrl =
    region !== undefined && /^[a-z0-9-]+$/.test(region)
      ? `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#logsV2:log-groups/log-group/$252Faws$252Fsagemaker$252FTrainingJobs$3FlogStreamNameFilter$3D${encodeURIComponent(jobName)}`
      : undefined;
  const failureReason = str(detail['FailureReason']);
  const requestedBy = tags[TrainingJobTag.RequestedBy];
  const event: Record<string, unknown> = {
    id: `sagemaker:${jobName}:${status}`,
    type,
    model,
    ...(version !== undefined ? { version } : {}),
    ...(timestamp !== undefined ? { timestamp } : {}),
    run: {
      runId: tags[TrainingJobTag.RunId] ?? `sagemaker:${jobName}`,
      ...(tags[TrainingJobTag.DagId] !== undefined ? { dagId: tags[TrainingJobTag.DagId] } : {}),
    },
    trainingJob: jobName,
    ...(Object.keys(metrics).length > 0 ? { metrics } : {}),
    ...(consoleUrl !== undefined ? { links: { 'training job': consoleUrl } } : {}),
    ...(requestedBy !== undefined && /^[UW][A-Z0-9]{2,}$/.test(requestedBy) ? { requestedBy } : {}),
  };
  if (type === 'training.failed') {
    const message =
      status === 'Stopped'
        ? `training job ${jobName} was stopped${failureReason !== undefined ? `: ${failureReason}` : ''}`
        : (failureReason ?? `training job ${jobName} failed`);
    event['error'] = { task: 'sagemaker-training-job', message, ...(logUrl !== undefined ? { logUrl } : {}) };
  }
  return { ok: true, event };
}

/** EventBridge renders Tags as a map; the SageMaker API as [{Key, Value}]. Both are accepted. */
export function tagsOf(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(raw)) {
    for (const t of raw) {
      const tag = asRecord(t);
      const key = str(tag['Key']);
      const value = str(tag['Value']);
      if (key !== undefined && value !== undefined) out[key] = value;
    }
  } else {
    for (const [key, value] of Object.entries(asRecord(raw))) if (typeof value === 'string') out[key] = value;
  }
  return out;
}
