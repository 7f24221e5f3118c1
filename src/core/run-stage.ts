import type { PipelineEventType } from './pipeline-event';

/** The stages a run's top message shows, in pipeline order (`failed` ends any of them). */
export const RUN_STAGES = ['requested', 'started', 'trained', 'evaluated', 'deploying', 'live', 'failed'] as const;
export type RunStageName = (typeof RUN_STAGES)[number];

const STAGE_OF: Record<PipelineEventType, RunStageName> = {
  'training.started': 'started',
  'training.succeeded': 'trained',
  'training.failed': 'failed',
  'evaluation.completed': 'evaluated',
  'deployment.started': 'deploying',
  'deployment.succeeded': 'live',
  'deployment.failed': 'failed',
  'deployment.progress': 'deploying',
  // Never applied: a drift alert belongs to no run (plan-recorded-item skips the run stage for it).
  'drift.detected': 'live',
};

/** The stage a run is in after an event of this type. */
export function runStageFor(type: PipelineEventType): RunStageName {
  return STAGE_OF[type];
}

/**
 * Whether an event ends its run: a failure, a completed evaluation (the end of a training DAG)
 * or a successful deployment. training.succeeded does not: evaluation follows.
 */
export function runOutcomeFor(type: PipelineEventType): 'succeeded' | 'failed' | undefined {
  if (type.endsWith('.failed')) return 'failed';
  if (type === 'evaluation.completed' || type === 'deployment.succeeded') return 'succeeded';
  return undefined;
}
