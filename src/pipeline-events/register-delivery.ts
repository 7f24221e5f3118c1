import type { BackgroundJob } from '../jobs/leased-job';
import type { BotDeps } from '../bot-deps';
import type { HttpRoute } from '../http/create-http-server';
import { createDeliverySlackClient, createDeliveryWorker, type DeliveryRecord, type DeliveryWorkerOptions, type OutboxContent } from '../outbox';
import { recordPlacement } from './decide-placement';
import { planRecordedItem, type DeliveryContext, type DeploymentEvents } from './plan-recorded-item';
import { createAlarmRecorder, type RecordedEvent, type RecordedItem } from './record-event';
import { prepareDelivery, renderRootUpdate } from './render-delivery';
import { SNS_HOOK_PATH, snsHookRoute, type ApplyPackageDecision } from './sns-hook-route';

/**
 * Pipeline events to Slack: the outbox's delivery worker, with this feature plugged in as its
 * content (planning recorded events and alarms, placing and rendering their messages, the thread
 * bookkeeping after a post), and the SNS entry point. The hook route is wired by the composition root.
 */
export function registerDelivery(
  deps: BotDeps,
  wiring: {
    onRecorded: ((recorded: RecordedEvent) => void)[];
    deploymentEvents: DeploymentEvents;
    /** Approved / Rejected model package events of followed groups (contract 10), when a model follows one. */
    applyPackageDecision?: ApplyPackageDecision;
    /** Told after each main message is in Slack and its bookkeeping done (charts): must return at once and never throw. */
    onPosted?: ((posted: { delivery: DeliveryRecord; ts: string }) => void)[];
  },
  options: DeliveryWorkerOptions & { fetch?: typeof fetch } = {},
): { jobs: BackgroundJob[]; routes: HttpRoute[] } {
  const ctx: DeliveryContext = {
    config: deps.config,
    store: deps.store,
    logger: deps.logger,
    metrics: deps.metrics,
    clock: deps.clock,
    runs: deps.runs,
    candidates: deps.candidates,
    production: deps.production,
    ...(deps.inspector !== undefined ? { inspector: deps.inspector } : {}),
    deploymentEvents: wiring.deploymentEvents,
  };
  // The outbox reads items as OutboxItem; the inbox holds only this feature's records and its own messages.
  const content: OutboxContent = {
    plan: (id) => planRecordedItem(ctx, id),
    prepare: (d, item) => prepareDelivery(ctx, d, item as RecordedItem),
    afterPost: async (d, item, ts, log) => {
      await recordPlacement(ctx, d, item as RecordedItem, ts, log);
      for (const notify of wiring.onPosted ?? []) notify({ delivery: d, ts });
    },
    renderRootUpdate: (update, channel) => renderRootUpdate(ctx, update, channel),
  };
  const worker = createDeliveryWorker(
    {
      store: deps.store,
      logger: deps.logger,
      metrics: deps.metrics,
      clock: deps.clock,
      client: createDeliverySlackClient(deps.deliveryClient, deps.logger),
      ...(deps.slackIdentity !== undefined ? { self: deps.slackIdentity } : {}),
      content,
    },
    options,
  );
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
      ...(wiring.applyPackageDecision !== undefined ? { applyPackageDecision: wiring.applyPackageDecision } : {}),
      clock: deps.clock,
      metrics: deps.metrics,
      // Looked up at call time, so a test can watch every outbound request of the route.
      fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    }),
  };
  return { jobs: [worker.job], routes: [route] };
}
