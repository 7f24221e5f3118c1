import { escapeTruncate, formatDuration, slackDate, slackLink, userMention } from './format';
import { SlackLimits, truncate, type SlackMessage } from './slack-message';

/** What a reminder says about one pending candidate (approvals.remindAfterMinutes). */
export interface ApprovalReminderInput {
  model: string;
  version: string;
  /** Since when it waits (the card's creation). */
  createdAt: string;
  now: Date;
  /** Named approvers who have not approved yet. */
  waitingOnUsers: readonly string[];
  /** Approver user groups (anyone in them may decide). */
  waitingOnGroups: readonly string[];
  approvals: number;
  requiredApprovals: number;
  /** When it expires if nobody decides (approvals.expireAfterHours), when configured. */
  expiresAt?: string;
  /** The card's permalink (the DM links to it), when Slack gave one. */
  cardUrl?: string;
}

function ageText(input: Pick<ApprovalReminderInput, 'createdAt' | 'now'>): string {
  return formatDuration((input.now.getTime() - Date.parse(input.createdAt)) / 1000);
}

function progressText(input: Pick<ApprovalReminderInput, 'approvals' | 'requiredApprovals'>): string {
  return input.requiredApprovals > 1 ? ` (${input.approvals} of ${input.requiredApprovals} approvals so far)` : '';
}

function expiryText(input: Pick<ApprovalReminderInput, 'expiresAt'>): string {
  return input.expiresAt !== undefined ? ` It expires ${slackDate(input.expiresAt)} if nobody decides.` : '';
}

/**
 * The one reminder, in the card's thread: mentions the approvers who have not decided (named
 * users, and the approver user groups), so each of them is notified once.
 */
export function approvalReminderThreadView(input: ApprovalReminderInput): SlackMessage {
  const what = `*${escapeTruncate(input.model, 100)} ${escapeTruncate(input.version, 100)}*`;
  const who = [...input.waitingOnUsers.map((u) => userMention(u)), ...input.waitingOnGroups.map((g) => `<!subteam^${g}>`)];
  const whoText = who.length > 0 ? ` Waiting on ${who.join(', ')}.` : '';
  const body = `:alarm_clock: ${what} has been waiting for a decision for ${ageText(input)}${progressText(input)}.${whoText}${expiryText(input)}`;
  const text = truncate(body, SlackLimits.sectionText);
  return {
    text: truncate(`${input.model} ${input.version} is waiting for a decision (${ageText(input)})`, 3000),
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }],
  };
}

/** The reminder's direct message to one named approver, linking to the card. */
export function approvalReminderDirectView(input: ApprovalReminderInput): SlackMessage {
  const what = `*${escapeTruncate(input.model, 100)} ${escapeTruncate(input.version, 100)}*`;
  const link = input.cardUrl !== undefined ? slackLink(input.cardUrl, 'Open the card') : undefined;
  const body = `:alarm_clock: ${what} is waiting for your decision (for ${ageText(input)})${progressText(input)}.${expiryText(input)}${link !== undefined ? ` ${link}` : ''}`;
  return {
    text: truncate(`${input.model} ${input.version} is waiting for your decision`, 3000),
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: truncate(body, SlackLimits.sectionText) } }],
  };
}
