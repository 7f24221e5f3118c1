import { escapeMrkdwn, escapeTruncate, inlineCode, slackDate, userMention } from './format';
import { fitMessage, type KnownBlock, type SlackMessage } from './slack-message';

export interface ScheduleLine {
  model: string;
  /** Absent: the model has no retrainSchedule (a GitLab schedule may own it; the bot only reports). */
  schedule?: { cron: string; timezone: string; catchUp: boolean };
  /** The next due times (ISO), soonest first. */
  next: string[];
  paused?: { by: string; at: string; reason: string };
  last?: { slot: string; runId?: string; outcome: string; note?: string };
}

/** `/mlops schedule [model]`: each schedule with its next due times, whether it is paused, and its last slot. */
export function scheduleView(input: { lines: ScheduleLine[] }): SlackMessage {
  const blocks: KnownBlock[] = [{ type: 'header', text: { type: 'plain_text', text: 'Retraining schedules', emoji: true } }];
  const textLines: string[] = [];
  for (const line of input.lines.slice(0, 45)) {
    const name = `*${escapeMrkdwn(line.model)}*`;
    if (line.schedule === undefined) {
      blocks.push({
        type: 'section',
        text: { type: 'mrkdwn', text: `${name}: no \`retrainSchedule\` configured (the bot does not start its retraining on a schedule)` },
      });
      textLines.push(`${line.model}: no schedule`);
      continue;
    }
    const s = line.schedule;
    const parts = [`${name} ${inlineCode(s.cron, 100)} (${escapeTruncate(s.timezone, 60)}${s.catchUp ? ', catch-up' : ', no catch-up'})`];
    if (line.paused !== undefined) {
      parts.push(`:double_vertical_bar: paused by ${userMention(line.paused.by)} ${slackDate(line.paused.at)}: ${escapeTruncate(line.paused.reason, 300)}`);
    } else if (line.next.length > 0) {
      parts.push(`next: ${line.next.map((n) => slackDate(n)).join(', ')}`);
    }
    if (line.last !== undefined) {
      const run = line.last.runId !== undefined ? ` run ${inlineCode(line.last.runId, 200)}` : '';
      const note = line.last.note !== undefined ? ` (${escapeTruncate(line.last.note, 300)})` : '';
      parts.push(`last slot ${slackDate(line.last.slot)}: ${escapeTruncate(line.last.outcome, 40)}${run}${note}`);
    }
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: parts.join('\n') } });
    textLines.push(
      `${line.model}: ${s.cron} ${s.timezone}${line.paused !== undefined ? ' (paused)' : line.next[0] !== undefined ? ` next ${line.next[0]}` : ''}`,
    );
  }
  if (input.lines.length === 0) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: 'No models are configured.' } });
  return fitMessage({ text: escapeTruncate(`Retraining schedules: ${textLines.join('; ') || 'none'}`, 3000), blocks });
}
