import type { RolloutProgress as CoreProgress } from '../src/core/deployment-strategy';
import type { PipelineEvent } from '../src/core/pipeline-event';
import { escapeTruncate, inlineCode, slackDate } from './format';
import { fitMessage, type SlackMessage } from './slack-message';

/** Where a rollout stands (contract 9, deployment.progress): the event's facts. */
export type RolloutProgress = Omit<CoreProgress, 'reportedAt'>;

const BAR_CELLS = 10;

/** A text progress bar: `▓▓▓░░░░░░░ 30 %` (ten cells, rounded down so 100 % means all of it). */
export function progressBar(percent: number): string {
  const clamped = Math.max(0, Math.min(100, percent));
  const filled = Math.floor((clamped / 100) * BAR_CELLS);
  return `${'▓'.repeat(filled)}${'░'.repeat(BAR_CELLS - filled)} ${Number.isInteger(clamped) ? clamped : clamped.toFixed(1)} %`;
}

/** The progress facts in words (mrkdwn): "▓░… 10 % of traffic · step 1 of 2 · baking until …". */
export function progressLine(p: RolloutProgress): string {
  const parts = [`\`${progressBar(p.trafficPercent)}\` of traffic`];
  if (p.step !== undefined) parts.push(p.steps !== undefined ? `step ${p.step} of ${p.steps}` : `step ${p.step}`);
  if (p.bakingUntil !== undefined) parts.push(`baking until ${slackDate(p.bakingUntil)}`);
  return parts.join(' · ');
}

/** The short thread line of a deployment.progress event. */
export function deploymentProgressView(input: { event: PipelineEvent; endpoint?: string }): SlackMessage {
  const { event } = input;
  const p = event.progress;
  const version = escapeTruncate(event.version ?? '(unknown version)', 60);
  const target = input.endpoint !== undefined ? ` on ${inlineCode(input.endpoint, 80)}` : '';
  const line = p !== undefined ? progressLine(p) : 'progress reported';
  return fitMessage({
    text: escapeTruncate(`${event.model} ${event.version ?? ''}: ${p !== undefined ? `${p.trafficPercent} % of traffic` : 'progress'}`, 3000),
    blocks: [{ type: 'context', elements: [{ type: 'mrkdwn', text: `:arrows_counterclockwise: ${version}${target}: ${line}` }] }],
  });
}
