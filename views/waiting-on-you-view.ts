import { ActionId } from '../src/slack/slack-ids';
import { escapeTruncate, formatDuration } from './format';
import { SlackLimits, truncate, type KnownBlock } from './slack-message';

/** A pending candidate the viewing user may approve (the Home tab's "waiting on you"). */
export interface WaitingItem {
  candidateId: string;
  model: string;
  version: string;
  origin: 'evaluation' | 'deploy-command' | 'rollback-command';
  endpoint?: string;
  createdAt: string;
  approvals: number;
  required: number;
  channel?: string;
}

/** At most this many items (two blocks each), so the rest of the tab keeps its room. */
export const MAX_WAITING_SHOWN = 10;

/**
 * "Waiting on you" at the top of the Home tab: each candidate the viewer may approve, oldest
 * first, with Deploy and Reject (Cancel for command requests): the same action ids and values as
 * the card, so the same listeners apply the same rules (approvers, self-approval, k of N, gate and
 * freeze reason form, Reject's reason form).
 */
export function waitingOnYouBlocks(items: readonly WaitingItem[], now: Date): KnownBlock[] {
  const blocks: KnownBlock[] = [{ type: 'header', text: { type: 'plain_text', text: `Waiting on you (${items.length})` } }];
  if (items.length === 0) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: '_Nothing waits for your decision._' } });
    return blocks;
  }
  for (const item of items.slice(0, MAX_WAITING_SHOWN)) {
    const age = formatDuration((now.getTime() - Date.parse(item.createdAt)) / 1000);
    const k = item.required > 1 ? ` · ${item.approvals} of ${item.required} approvals` : '';
    const where = item.channel !== undefined ? ` · <#${item.channel}>` : '';
    const target = item.endpoint !== undefined ? ` → ${escapeTruncate(item.endpoint, 100)}` : '';
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: truncate(
          `*${escapeTruncate(item.model, 100)} ${escapeTruncate(item.version, 60)}*${target} · waiting ${age}${k}${where}`,
          SlackLimits.sectionText,
        ),
      },
    });
    const second =
      item.origin === 'evaluation'
        ? {
            type: 'button' as const,
            action_id: ActionId.Reject,
            style: 'danger' as const,
            text: { type: 'plain_text' as const, text: 'Reject' },
            value: item.candidateId,
          }
        : { type: 'button' as const, action_id: ActionId.CancelDeploy, text: { type: 'plain_text' as const, text: 'Cancel' }, value: item.candidateId };
    blocks.push({
      type: 'actions',
      elements: [
        {
          type: 'button',
          action_id: ActionId.Deploy,
          style: 'primary',
          text: { type: 'plain_text', text: item.approvals > 0 ? 'Approve' : 'Deploy' },
          value: item.candidateId,
          confirm: {
            title: { type: 'plain_text', text: truncate(`Deploy ${item.version}?`, SlackLimits.modalTitle) },
            text: { type: 'mrkdwn', text: `Deploy ${escapeTruncate(item.model, 60)} ${escapeTruncate(item.version, 30)}${target}?` },
            confirm: { type: 'plain_text', text: 'Deploy' },
            deny: { type: 'plain_text', text: 'Not now' },
          },
        },
        second,
      ],
    });
  }
  if (items.length > MAX_WAITING_SHOWN) {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `…and ${items.length - MAX_WAITING_SHOWN} more, oldest shown first.` }] });
  }
  return blocks;
}
