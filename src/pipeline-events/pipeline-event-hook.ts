import type { PipelineEvent } from '../core/pipeline-event';

/**
 * Work that must happen when a recorded pipeline event is processed, before its Slack messages
 * are rendered (e.g. recording the production baseline, marking a candidate deployed).
 * Hooks run in registration order, at least once per event: they must be idempotent.
 */
export type PipelineEventHook = (event: PipelineEvent) => Promise<void>;
