import { errorRate, percent, type BakeFigures, type BakeThresholds, type BakeVerdict } from '../src/core/bake-verdict';
import { ActionId } from '../src/slack/slack-ids';
import { escapeTruncate, inlineCode, monospaceTable } from './format';
import { fitMessage, SlackLimits, truncate, type KnownBlock, type SlackMessage } from './slack-message';

export interface BakeReportViewInput {
  model: string;
  version: string;
  endpoint: string;
  minutes: number;
  thresholds: BakeThresholds;
  before: BakeFigures;
  during: BakeFigures;
  verdict: BakeVerdict;
  /** A CloudWatch alarm on the endpoint ended the bake early. */
  alarm?: { name: string; reason: string };
  /** The alert channel's copy of a degraded report: carries "Roll back to <previous>" when both are known. */
  rollback?: { candidateId: string; toVersion: string };
}

const ms = (v: number | undefined) => (v === undefined ? '–' : `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ms`);

/** The bake report (contract 9): the bake window beside the window before the deployment, and the verdict. */
export function bakeReportView(input: BakeReportViewInput): SlackMessage {
  const { verdict } = input;
  const who = `${escapeTruncate(input.model, 100)} ${escapeTruncate(input.version, 60)}`;
  const minutes = Number.isInteger(input.minutes) ? String(input.minutes) : input.minutes.toFixed(1);
  const headline =
    verdict.kind === 'healthy'
      ? `:white_check_mark: Bake report: ${who} is healthy after ${minutes} min on ${inlineCode(input.endpoint, 80)}`
      : verdict.kind === 'degraded'
        ? `:rotating_light: Bake report: ${who} is *degraded* on ${inlineCode(input.endpoint, 80)}`
        : `:grey_question: Bake report: ${who} on ${inlineCode(input.endpoint, 80)} could not be judged: ${escapeTruncate(verdict.reason, 300)}`;
  const table = monospaceTable([
    ['', 'before', 'bake'],
    ['latency avg', ms(input.before.avgMs), ms(input.during.avgMs)],
    ['latency p50', ms(input.before.p50Ms), ms(input.during.p50Ms)],
    ['latency p99', ms(input.before.p99Ms), ms(input.during.p99Ms)],
    ['5XX rate', percent(errorRate(input.before)), percent(errorRate(input.during))],
    ['invocations', String(input.before.invocations), String(input.during.invocations)],
  ]);
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: headline } }];
  const reasons = verdict.kind === 'degraded' ? verdict.reasons : [];
  if (input.alarm !== undefined) reasons.unshift(`alarm ${escapeTruncate(input.alarm.name, 200)} went to ALARM: ${escapeTruncate(input.alarm.reason, 500)}`);
  if (reasons.length > 0) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncate(reasons.map((r) => `• ${r}`).join('\n'), 2900) } });
  blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `\`\`\`${table}\`\`\`` } });
  blocks.push({
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: `Thresholds: p99 may rise ${percent(input.thresholds.maxLatencyIncrease)}, 5XX rate at most ${percent(input.thresholds.max5xxRate)} (models.${escapeTruncate(input.model, 100)}.bake). "before": the same length of time before the deployment started.`,
      },
    ],
  });
  if (input.rollback !== undefined) {
    const to = escapeTruncate(input.rollback.toVersion, 60);
    blocks.push({
      type: 'actions',
      elements: [
        {
          type: 'button',
          action_id: ActionId.BakeRollback,
          style: 'danger',
          text: { type: 'plain_text', text: truncate(`Roll back to ${input.rollback.toVersion}`, SlackLimits.buttonText) },
          value: input.rollback.candidateId,
          confirm: {
            title: { type: 'plain_text', text: 'Roll back?' },
            text: { type: 'mrkdwn', text: `Redeploy ${to} to ${escapeTruncate(input.endpoint, 80)}, replacing ${escapeTruncate(input.version, 60)}?` },
            confirm: { type: 'plain_text', text: 'Roll back' },
            deny: { type: 'plain_text', text: 'Cancel' },
          },
        },
      ],
    });
  }
  const text = `Bake report: ${input.model} ${input.version} ${verdict.kind === 'inconclusive' ? 'could not be judged' : `is ${verdict.kind}`}`;
  return fitMessage({ text: escapeTruncate(text, 3000), blocks });
}

/** CloudWatch did not answer when the bake ended: said once in the thread; the bot keeps asking (never a guessed "healthy"). */
export function bakeUnavailableView(input: { model: string; version: string; endpoint: string; problem: string }): SlackMessage {
  const text = `:warning: Bake report for ${escapeTruncate(input.model, 100)} ${escapeTruncate(input.version, 60)} on ${inlineCode(input.endpoint, 80)}: CloudWatch could not be read (${escapeTruncate(input.problem, 500)}). No verdict yet: the bot keeps trying and posts the report when it can.`;
  return fitMessage({
    text: escapeTruncate(`Bake report delayed: CloudWatch unavailable for ${input.model} ${input.version}`, 3000),
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }],
  });
}
