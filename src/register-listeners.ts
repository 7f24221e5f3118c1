import type { DeliveryWorkerOptions } from './pipeline-events/delivery-worker';
import type { App } from '@slack/bolt';
import { registerCommands } from '../commands/register-commands';
import type { BackgroundJob } from './background-job';
import type { BotDeps } from './bot-deps';
import type { DeploymentEvents } from './pipeline-events/plan-recorded-item';
import type { RecordedEvent } from './pipeline-events/record-event';
import type { HttpRoute } from './http/create-http-server';
import { registerDelivery } from './pipeline-events/register-delivery';
import { deployRecovery } from './deployments/deploy-recovery';
import { deploymentOutcomeHook } from './deployments/deployment-outcome';
import { productionBaselineHook } from './deployments/production-baseline';
import { registerWatchdog } from './watchdog/register-watchdog';
import { registerActions } from './deployments/register-deployment-listeners';
import { registerEvents } from './home/register-home-listeners';
import { registerUnknownInteractionGuard } from './slack/unknown-interaction-guard';
import { registerViewSubmissions } from './deployments/register-view-submissions';

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
  // deployment.* events, routed by name by the planner. Baseline first: the outcome and the messages rely on it.
  const [recordBaseline, applyOutcome] = [productionBaselineHook(deps), deploymentOutcomeHook(deps)];
  const deploymentEvents: DeploymentEvents = {
    async applyPipelineEvent(event) {
      await recordBaseline(event);
      await applyOutcome(event);
    },
  };
  registerUnknownInteractionGuard(app, deps.logger);
  registerCommands(app, deps);
  registerActions(app, deps);
  registerViewSubmissions(app, deps);
  registerEvents(app, deps);
  const delivery = registerDelivery(deps, { onRecorded: wiring.onRecorded, deploymentEvents }, wiring.delivery);
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
