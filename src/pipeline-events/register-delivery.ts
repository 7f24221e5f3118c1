import type { BackgroundJob } from '../background-job';
import type { BotDeps } from '../bot-deps';
import type { HttpRoute } from '../http/create-http-server';
import { SNS_HOOK_PATH, snsHookRoute } from './sns-hook-route';
import { createDeliverySlackClient } from './create-delivery-slack-client';
import type { DeliveryContext } from './delivery-context';
import { createDeliveryWorker, type DeliveryWorkerOptions } from './delivery-worker';
import type { DeploymentEvents } from './plan-recorded-item';
import type { RecordedEvent } from './record-event';
import { createAlarmRecorder } from './record-alarm';

/**
 * Delivery of recorded pipeline events to Slack (the outbox worker) and the SNS entry point.
 *
 * The outbox, in the store (keys in storeKeys):
 * - inbox / inbox:processing: ids of recorded events and alarms (recordUnique puts them there
 *   atomically with their body); the planner claims each with moveHead and removes it once
 *   planned, so a crash leaves it in processing, planned again by the next leader (idempotent).
 * - delivery:<event>|<channel>|<role>: one Slack message, queued once (recordUnique) in
 *   outbox:<channel>, with its state: queued → sending (claimed by compare-and-set with the
 *   attempt time) → posted (ts known) → done, or failed. outbox-channels lists the queues.
 * - lease:delivery: the leader lease (SET NX PX, renewed every poll, released at shutdown).
 *   One replica delivers at a time, so each channel's messages go out in order and at the
 *   channel's pace; others stand by and take over when the lease is released or lapses.
 *
 * Exactly once: an event is recorded once (dedup by id) and planned into deliveries with fixed
 * ids (queued once); a delivery is posted only by the worker that moved it to `sending`. Every
 * post carries metadata {event_type: 'mlops_delivery', event_payload: {delivery_id}}; a delivery
 * found in `sending` (crash, timeout, 5xx: outcome unknown) is posted again only after no
 * attempt can still be on the wire (client timeout + margin) and after conversations.history /
 * conversations.replies (include_all_metadata, oldest = attempt − 2 min) do not show that id.
 * A 429 returns it to `queued` (certainly not posted) and holds that channel for Retry-After.
 * The residual risk: a leader frozen for longer than the lease between its claim and its HTTP
 * request, while a successor finds nothing in Slack; each claim is also a compare-and-set, so
 * two workers never both claim the same attempt.
 */
export function registerDelivery(
  deps: BotDeps,
  wiring: { onRecorded: ((recorded: RecordedEvent) => void)[]; deploymentEvents: DeploymentEvents },
  options: DeliveryWorkerOptions & { fetch?: typeof fetch } = {},
): { jobs: BackgroundJob[]; routes: HttpRoute[] } {
  const ctx: DeliveryContext = {
    config: deps.config,
    store: deps.store,
    logger: deps.logger,
    metrics: deps.metrics,
    clock: deps.clock,
    client: createDeliverySlackClient(deps.deliveryClient, deps.logger),
    runs: deps.runs,
    candidates: deps.candidates,
    production: deps.production,
    ...(deps.inspector !== undefined ? { inspector: deps.inspector } : {}),
    deploymentEvents: wiring.deploymentEvents,
    ...(deps.slackIdentity !== undefined ? { self: deps.slackIdentity } : {}),
  };
  const worker = createDeliveryWorker(ctx, options);
  wiring.onRecorded.push(() => worker.wake());
  const recordAlarm = createAlarmRecorder({ store: deps.store, onRecorded: () => worker.wake() });
  const route: HttpRoute = {
    path: SNS_HOOK_PATH,
    method: 'POST',
    handler: snsHookRoute({
      config: deps.config.file,
      store: deps.store,
      recordEvent: deps.recordEvent,
      recordAlarm,
      clock: deps.clock,
      metrics: deps.metrics,
      // Looked up at call time, so a test can watch every outbound request of the route.
      fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    }),
  };
  return { jobs: [worker.job], routes: [route] };
}
