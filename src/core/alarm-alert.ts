/**
 * A CloudWatch alarm notification (received through SNS) as the bot keeps it. Alarms are not
 * pipeline events: they run no pipeline hooks and change no candidate; they are delivered as
 * failure alerts (ALARM) or resolutions (OK) to the model whose endpoint the alarm watches,
 * and to the alert channel.
 */
export type AlarmState = 'ALARM' | 'OK' | 'INSUFFICIENT_DATA';

export interface AlarmAlert {
  /** Recorded id (dedup): derived from the alarm name, new state and state-change time. */
  id: string;
  alarmName: string;
  description?: string;
  state: AlarmState;
  oldState?: string;
  reason: string;
  /** ISO time of the state change. */
  changedAt: string;
  region?: string;
  accountId?: string;
  alarmArn?: string;
  metric?: { namespace?: string; name?: string; statistic?: string; threshold?: number; comparison?: string; period?: number };
  dimensions: Record<string, string>;
  /** The SageMaker endpoint of the EndpointName dimension, when there is one. */
  endpoint?: string;
  /** The configured model serving that endpoint, when any. */
  model?: string;
}
