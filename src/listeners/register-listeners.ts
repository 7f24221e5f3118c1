import type { DeliveryWorkerOptions } from '../delivery/delivery-worker';
import type { App } from '@slack/bolt';
import { registerCommands } from '../../commands/register-commands';
import type { BackgroundJob } from '../background-job';
import type { BotDeps } from '../bot-deps';
import type { PipelineEventHook } from '../delivery/pipeline-event-hook';
import type { RecordedEvent } from '../delivery/record-event';
import type { HttpRoute } from '../http/create-http-server';
import { registerDelivery } from '../delivery/register-delivery';
import { deployRecovery } from '../services/deploy-recovery';
import { deploymentOutcomeHook } from '../services/deployment-outcome-hook';
import { productionBaselineHook } from '../services/production-baseline-hook';
import { registerWatchdog } from '../watchdog/register-watchdog';
import { registerActions } from './actions/register-actions';
import { registerEvents } from './events/register-events';
import { registerUnknownInteractionGuard } from './unknown-interaction-guard';
import { registerViewSubmissions } from './view-submissions/register-view-submissions';

export interface ListenerWiring {
  /** Subscribers to "an event was just recorded" (wake the delivery worker). */
  onRecorded: ((recorded: RecordedEvent) => void)[];
  /** Delivery worker settings (tests: small retry backoffs). */
  delivery?: DeliveryWorkerOptions;
}

/**
 * Registers every Slack listener, each kind's folder registering its own, and returns the
 * background jobs and extra HTTP routes the features bring.
 */
export function registerListeners(app: App, deps: BotDeps, wiring: ListenerWiring): { jobs: BackgroundJob[]; routes: HttpRoute[] } {
  // Baseline first: the outcome hook and the messages rely on it.
  const eventHooks: PipelineEventHook[] = [productionBaselineHook(deps), deploymentOutcomeHook(deps)];
  registerUnknownInteractionGuard(app, deps.logger);
  registerCommands(app, deps);
  registerActions(app, deps);
  registerViewSubmissions(app, deps);
  registerEvents(app, deps);
  const delivery = registerDelivery(deps, { onRecorded: wiring.onRecorded, eventHooks }, wiring.delivery);
  return {
    jobs: [
      ...delivery.jobs,
      ...registerWatchdog(deps),
      deployRecovery(deps, {
        graceMs: deps.config.file.deployments.recoveryGraceSeconds * 1000,
        intervalMs: deps.config.file.deployments.recoveryIntervalSeconds * 1000,
      }),
    ],
    routes: delivery.routes,
  };
}
