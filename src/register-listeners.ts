import type { DeliveryWorkerOptions } from './outbox';
import type { App } from '@slack/bolt';
import { registerCommands } from '../commands/register-commands';
import type { BackgroundJob } from './jobs/leased-job';
import type { BotDeps } from './bot-deps';
import type { RecordedEvent } from './pipeline-events/record-event';
import type { HttpRoute } from './http/create-http-server';
import { registerDelivery } from './pipeline-events/register-delivery';
import { registerDeploymentListeners } from './deployments';
import { registerWatchdog } from './watchdog/run-watchdog';
import { registerTrainActions } from './training';
import { registerHomeListeners } from './home';
import { registerUnknownInteractionGuard } from './slack/unknown-interaction-guard';
import { installListenerKit } from './slack/listener-kit';
import { errorView } from '../views/error-view';

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
  installListenerKit(app, deps, errorView); // first: every later middleware and listener finds its record in context
  registerUnknownInteractionGuard(app);
  registerCommands(app, deps);
  registerDeploymentListeners(app, deps, deps.deployments);
  registerTrainActions(app, deps);
  registerHomeListeners(app, deps);
  const delivery = registerDelivery(deps, { onRecorded: wiring.onRecorded, deploymentEvents: deps.deployments }, wiring.delivery);
  return {
    jobs: [...delivery.jobs, ...registerWatchdog(deps), deps.deployments.recovery],
    routes: delivery.routes,
  };
}
