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
import { createBakeWatch } from './bake';
import { createShadowWatch, registerShadowListeners } from './shadow';
import type { AlarmAlert } from './core/alarm-alert';
import type { PipelineEvent } from './core/pipeline-event';
import { createModelRegistrySync, registerApprovals, type ModelRegistrySync } from './approvals';
import { registerDriftListeners } from './drift';
import { createScheduleJob } from './schedules';
import { createEvaluationCharts, type EvaluationChartsOptions } from './charts';
import { registerUnknownInteractionGuard } from './slack/unknown-interaction-guard';
import { installListenerKit } from './slack/listener-kit';
import { errorView } from '../views/error-view';

export interface ListenerWiring {
  /** Subscribers to "an event was just recorded" (wake the delivery worker). */
  onRecorded: ((recorded: RecordedEvent) => void)[];
  /** Delivery worker settings (tests: small retry backoffs). */
  delivery?: DeliveryWorkerOptions;
  /** Charts of evaluation cards (issue 13); false: none (the benchmark's baseline). */
  charts?: EvaluationChartsOptions | false;
}

/**
 * Registers every Slack listener, each kind's folder registering its own, and returns the
 * background jobs and extra HTTP routes the features bring.
 */
export function registerListeners(
  app: App,
  deps: BotDeps,
  wiring: ListenerWiring,
): { jobs: BackgroundJob[]; routes: HttpRoute[]; modelRegistry?: ModelRegistrySync } {
  installListenerKit(app, deps, errorView); // first: every later middleware and listener finds its record in context
  registerUnknownInteractionGuard(app);
  registerCommands(app, deps);
  registerDeploymentListeners(app, deps, deps.deployments);
  registerTrainActions(app, deps);
  registerHomeListeners(app, deps);
  registerDriftListeners(app, deps);
  const charts = wiring.charts === false ? undefined : createEvaluationCharts(deps, wiring.charts);
  const bake = createBakeWatch(deps);
  const shadow = createShadowWatch(deps);
  registerShadowListeners(app, deps, shadow);
  // deployment.* events reach the deployments feature first, then the bake and the shadow window (deployment.succeeded starts them).
  const deploymentEvents = {
    applyPipelineEvent: async (event: PipelineEvent) => {
      await deps.deployments.applyPipelineEvent(event);
      await bake.applyPipelineEvent(event);
      await shadow.applyPipelineEvent(event);
    },
    applyAlarm: (alarm: AlarmAlert) => bake.applyAlarm(alarm),
  };
  // Contract 10: only when a model follows a SageMaker Model Registry group.
  const modelRegistry = Object.values(deps.config.file.models).some((m) => m.modelPackageGroup !== undefined) ? createModelRegistrySync(deps) : undefined;
  const delivery = registerDelivery(
    deps,
    {
      onRecorded: wiring.onRecorded,
      deploymentEvents,
      ...(modelRegistry !== undefined ? { applyPackageDecision: (d, log) => modelRegistry.applyDecision(d, log) } : {}),
      onPosted: charts !== undefined ? [(p) => charts.onPosted(p)] : [],
    },
    wiring.delivery,
  );
  return {
    jobs: [
      ...delivery.jobs,
      ...registerWatchdog(deps),
      createScheduleJob(deps),
      ...registerApprovals(deps),
      deps.deployments.recovery,
      bake.job,
      shadow.job,
      ...(charts !== undefined ? [charts.job] : []),
      ...(modelRegistry !== undefined ? [modelRegistry.job] : []),
    ],
    routes: delivery.routes,
    ...(modelRegistry !== undefined ? { modelRegistry } : {}),
  };
}
