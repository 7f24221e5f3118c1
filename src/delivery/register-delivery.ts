import type { BackgroundJob } from '../background-job';
import type { BotDeps } from '../bot-deps';
import type { HttpRoute } from '../http/create-http-server';
import type { PipelineEventHook } from './pipeline-event-hook';
import type { RecordedEvent } from './record-event';

/** Delivery of recorded pipeline events to Slack (outbox worker) and the SNS entry point. */
export function registerDelivery(
  _deps: BotDeps,
  _wiring: { onRecorded: ((recorded: RecordedEvent) => void)[]; eventHooks: PipelineEventHook[] },
): { jobs: BackgroundJob[]; routes: HttpRoute[] } {
  return { jobs: [], routes: [] };
}
