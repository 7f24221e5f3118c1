import type { BotDeps } from '../bot-deps';
import type { PipelineEventHook } from '../delivery/pipeline-event-hook';

/** deployment.succeeded / deployment.failed → candidate state, locks, supersede (issue 4). */
export function deploymentOutcomeHook(_deps: BotDeps): PipelineEventHook {
  return async () => undefined;
}
