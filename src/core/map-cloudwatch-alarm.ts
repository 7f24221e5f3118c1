import { createHash } from 'node:crypto';
import type { AlarmAlert, AlarmState } from './alarm-alert';
import { asNumber, asRecord, asString } from './read-json-fields';

const STATES: readonly AlarmState[] = ['ALARM', 'OK', 'INSUFFICIENT_DATA'];

/** True when the JSON looks like a CloudWatch alarm notification (AlarmName + NewStateValue). */
export function isCloudwatchAlarm(input: Readonly<Record<string, unknown>>): boolean {
  return typeof input['AlarmName'] === 'string' && typeof input['NewStateValue'] === 'string';
}

/**
 * A CloudWatch alarm notification (the JSON CloudWatch publishes to SNS: AlarmName,
 * NewStateValue, NewStateReason, StateChangeTime, Trigger with MetricName, Namespace and
 * Dimensions as [{name, value}], or Trigger.Metrics[] for metric-math alarms) as an AlarmAlert.
 * The model is the configured one whose `endpoint` equals the EndpointName dimension.
 */
export function mapCloudwatchAlarm(
  input: Readonly<Record<string, unknown>>,
  endpointsByModel: Readonly<Record<string, string | undefined>>,
  receivedAt: Date,
): AlarmAlert | undefined {
  const alarmName = asString(input['AlarmName']);
  const state = asString(input['NewStateValue']);
  if (alarmName === undefined || state === undefined || !STATES.includes(state as AlarmState)) return undefined;
  const trigger = asRecord(input['Trigger']);
  const dimensions: Record<string, string> = {};
  const readDimensions = (list: unknown) => {
    if (!Array.isArray(list)) return;
    for (const d of list) {
      const dim = asRecord(d);
      const name = asString(dim['name']) ?? asString(dim['Name']);
      const value = asString(dim['value']) ?? asString(dim['Value']);
      if (name !== undefined && value !== undefined && Object.keys(dimensions).length < 30) dimensions[name] = value;
    }
  };
  readDimensions(trigger['Dimensions']);
  let metricName = asString(trigger['MetricName']);
  let namespace = asString(trigger['Namespace']);
  if (Array.isArray(trigger['Metrics'])) {
    for (const m of trigger['Metrics']) {
      const metric = asRecord(asRecord(asRecord(m)['MetricStat'])['Metric']);
      readDimensions(metric['Dimensions']);
      metricName ??= asString(metric['MetricName']);
      namespace ??= asString(metric['Namespace']);
    }
  }
  const changedRaw = asString(input['StateChangeTime']);
  const changedMs = changedRaw !== undefined ? Date.parse(changedRaw) : Number.NaN;
  const changedAt = new Date(Number.isNaN(changedMs) ? receivedAt.getTime() : changedMs).toISOString();
  const endpoint = dimensions['EndpointName'];
  const model = endpoint !== undefined ? Object.entries(endpointsByModel).find(([, e]) => e === endpoint)?.[0] : undefined;
  const threshold = asNumber(trigger['Threshold']);
  const period = asNumber(trigger['Period']);
  const statistic = asString(trigger['Statistic']) ?? asString(trigger['ExtendedStatistic']);
  const comparison = asString(trigger['ComparisonOperator']);
  const metric: NonNullable<AlarmAlert['metric']> = {
    ...(namespace !== undefined ? { namespace } : {}),
    ...(metricName !== undefined ? { name: metricName } : {}),
    ...(statistic !== undefined ? { statistic } : {}),
    ...(threshold !== undefined ? { threshold } : {}),
    ...(comparison !== undefined ? { comparison } : {}),
    ...(period !== undefined ? { period } : {}),
  };
  const digest = createHash('sha256').update(`${alarmName}\n${state}\n${changedAt}`).digest('hex').slice(0, 32);
  const description = asString(input['AlarmDescription']);
  const oldState = asString(input['OldStateValue']);
  const region = asString(input['Region']);
  const accountId = asString(input['AWSAccountId']);
  const alarmArn = asString(input['AlarmArn']);
  return {
    id: `alarm:${digest}`,
    alarmName: alarmName.slice(0, 255),
    state: state as AlarmState,
    reason: (asString(input['NewStateReason']) ?? '(no reason given)').slice(0, 10_000),
    changedAt,
    dimensions,
    ...(description !== undefined ? { description: description.slice(0, 1024) } : {}),
    ...(oldState !== undefined ? { oldState } : {}),
    ...(region !== undefined ? { region } : {}),
    ...(accountId !== undefined ? { accountId } : {}),
    ...(alarmArn !== undefined ? { alarmArn } : {}),
    ...(Object.keys(metric).length > 0 ? { metric } : {}),
    ...(endpoint !== undefined ? { endpoint } : {}),
    ...(model !== undefined ? { model } : {}),
  };
}
