import type { PipelineEvent } from '../src/core/pipeline-event';
import { ActionId } from '../src/slack/slack-ids';
import { escapeTruncate, eventLinks, inlineCode, runReference, slackDate, slackLink, userMention } from './format';
import { fitMessage, truncate, type KnownBlock, type SlackMessage } from './slack-message';

/** What was done on the alert (stored by the drift feature, re-rendered on every update). */
export interface DriftAlertActions {
  retrain?: { by: string; at: string; runId: string; dagId?: string; runUrl?: string; confirming?: boolean };
  snooze?: { by: string; until: string };
}

export interface DriftAlertViewInput {
  /** A drift.detected event. */
  event: PipelineEvent;
  /** The alert's root (buttons, count): alerts grouped here. Absent on a reply in its thread. */
  count?: number;
  windowMinutes?: number;
  /** Position of this alert in its group (a reply in the root's thread). */
  occurrence?: number;
  /** From the alert channel, point to the model's channel. */
  modelChannel?: string;
  actions?: DriftAlertActions;
  /** The snooze that is on now (any alert of this model + signal); shown on the root. */
  snoozedUntil?: string;
}

const SIGNAL_LABEL = { data: 'Data drift', prediction: 'Prediction drift', quality: 'Quality drop' } as const;

/**
 * A drift alert: the signal, the metric's value against its threshold, the feature, the
 * report link, and on the root the Retrain and Snooze controls with what was done so far.
 */
export function driftAlertView(input: DriftAlertViewInput): SlackMessage {
  const { event } = input;
  const drift = event.drift ?? { signal: 'data' as const, metric: 'unknown', value: Number.NaN, threshold: Number.NaN };
  const high = drift.severity === 'high';
  const count = input.count ?? 1;
  const grouped = count > 1 ? ` (${count} alerts${input.windowMinutes !== undefined ? ` in ${input.windowMinutes} min` : ''})` : '';
  const nth = input.occurrence !== undefined && input.occurrence > 1 ? `Alert ${input.occurrence}: ` : '';
  const title = `${nth}${SIGNAL_LABEL[drift.signal]} on ${event.model}${event.version !== undefined ? ` ${event.version}` : ''}${grouped}`;
  const blocks: KnownBlock[] = [{ type: 'header', text: { type: 'plain_text', text: truncate(`${high ? '🟥' : '🟧'} ${title}`, 150), emoji: true } }];

  const fields: { type: 'mrkdwn'; text: string }[] = [
    { type: 'mrkdwn', text: `*Metric*\n${inlineCode(drift.metric, 210)}` },
    { type: 'mrkdwn', text: `*Value / threshold*\n${formatNumber(drift.value)} / ${formatNumber(drift.threshold)}` },
  ];
  if (drift.feature !== undefined) fields.push({ type: 'mrkdwn', text: `*Feature*\n${inlineCode(drift.feature, 210)}` });
  fields.push({ type: 'mrkdwn', text: `*Severity*\n${high ? 'high' : (drift.severity ?? 'not given')}` });
  if (event.endpoint !== undefined) fields.push({ type: 'mrkdwn', text: `*Endpoint*\n${escapeTruncate(event.endpoint, 80)}` });
  fields.push({ type: 'mrkdwn', text: `*Detected at*\n${slackDate(event.timestamp)}` });
  blocks.push({ type: 'section', fields: fields.slice(0, 10) });

  const context = eventLinks(event, 7);
  const report = drift.reportUrl !== undefined ? reportLink(drift.reportUrl) : undefined;
  if (report !== undefined) context.unshift({ type: 'mrkdwn', text: report });
  if (input.modelChannel !== undefined) context.push({ type: 'mrkdwn', text: `in <#${input.modelChannel}>` });
  if (context.length > 0) blocks.push({ type: 'context', elements: context.slice(0, 10) });

  const root = input.count !== undefined;
  const { retrain, snooze } = input.actions ?? {};
  const notes: string[] = [];
  if (retrain !== undefined) {
    const run = retrain.runUrl !== undefined ? slackLink(retrain.runUrl, retrain.runId, 120) : undefined;
    const what =
      run ?? runReference({ ...(retrain.dagId !== undefined ? { dagId: retrain.dagId } : {}), runId: retrain.runId }) ?? inlineCode(retrain.runId, 120);
    notes.push(
      `:arrows_counterclockwise: Retraining ${retrain.confirming === true ? 'requested (being confirmed)' : 'started'} by ${userMention(retrain.by)} ${slackDate(retrain.at)}: ${what}`,
    );
  }
  const snoozedUntil = input.snoozedUntil ?? snooze?.until;
  if (snoozedUntil !== undefined) {
    const by = snooze !== undefined ? ` by ${userMention(snooze.by)}` : '';
    notes.push(`:zzz: ${SIGNAL_LABEL[drift.signal]} alerts of ${escapeTruncate(event.model, 100)} snoozed${by} until ${slackDate(snoozedUntil)}`);
  }
  if (notes.length > 0) blocks.push({ type: 'context', elements: notes.map((text) => ({ type: 'mrkdwn' as const, text })) });

  if (root) {
    const elements: unknown[] = [];
    if (retrain === undefined) {
      elements.push({
        type: 'button',
        action_id: ActionId.DriftRetrain,
        text: { type: 'plain_text', text: 'Retrain' },
        style: 'primary',
        value: event.id,
        confirm: {
          title: { type: 'plain_text', text: 'Start retraining?' },
          text: { type: 'plain_text', text: truncate(`Retrain ${event.model} because of this alert (the training DAG starts now).`, 300) },
          confirm: { type: 'plain_text', text: 'Retrain' },
          deny: { type: 'plain_text', text: 'Cancel' },
        },
      });
    }
    elements.push(
      { type: 'button', action_id: ActionId.DriftSnooze, text: { type: 'plain_text', text: 'Snooze 24 h' }, value: event.id },
      { type: 'datetimepicker', action_id: ActionId.DriftSnoozeUntil },
    );
    // Action blocks carry their element types loosely here: the datetimepicker is not in every typings version.
    blocks.push({ type: 'actions', block_id: truncate(`drift:${event.id}`, 255), elements } as unknown as KnownBlock);
  }

  const text = `${high ? ':red_square:' : ':large_orange_square:'} ${title}: ${drift.metric} ${formatNumber(drift.value)} (threshold ${formatNumber(drift.threshold)})${drift.feature !== undefined ? ` on ${drift.feature}` : ''}`;
  return fitMessage({ text: escapeTruncate(text, 3000), blocks });
}

function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return 'unknown';
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(4)));
}

/** An https report is a link; an s3:// URI (Model Monitor's report) is shown as code, Slack cannot open it. */
function reportLink(url: string): string | undefined {
  if (url.startsWith('s3://')) return `report ${inlineCode(url, 300)}`;
  return slackLink(url, 'report');
}
