import type { FileConfig } from '../config/config-schema';
import type { PipelineEvent } from './pipeline-event';

export type EventRoute = { ok: true; channels: string[]; modelChannel: string; known: boolean } | { ok: false; missing: string };

/**
 * Where an event is posted: its model's channel, else slack.defaultChannel; every `*.failed`
 * event, and a `drift.detected` of severity high, also goes to slack.alertChannel. An event with nowhere to go is refused (contract 3).
 */
export function routeEvent(event: Pick<PipelineEvent, 'model' | 'type' | 'drift'>, config: FileConfig): EventRoute {
  const model = config.models[event.model];
  const modelChannel = model?.channel ?? config.slack.defaultChannel;
  if (modelChannel === undefined) {
    const missing =
      model === undefined ? `slack.defaultChannel (model "${event.model}" is not configured)` : `models.${event.model}.channel or slack.defaultChannel`;
    return { ok: false, missing };
  }
  const channels = [modelChannel];
  const alert = config.slack.alertChannel;
  const alerting = event.type.endsWith('.failed') || (event.type === 'drift.detected' && event.drift?.severity === 'high');
  if (alerting && alert !== undefined && alert !== modelChannel) channels.push(alert);
  return { ok: true, channels, modelChannel, known: model !== undefined };
}
