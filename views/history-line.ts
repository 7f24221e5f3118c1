import { escapeTruncate, userMention, inlineCode, slackDate } from './format';

/** One audit entry, as views see it (the structure of src/deployments/audit-log.ts AuditEntry). */
export interface HistoryEntry {
  at: string;
  model: string;
  action: string;
  /** Slack user id, or 'pipeline'. */
  actor: string;
  version?: string;
  dagRunId?: string;
  detail?: string;
  primaryMetric?: { name: string; value: number };
}

const ACTIONS: Record<string, { emoji: string; words: string }> = {
  approved: { emoji: ':white_check_mark:', words: 'approved' },
  rejected: { emoji: ':no_entry_sign:', words: 'rejected' },
  deploy_triggered: { emoji: ':rocket:', words: 'deployment started' },
  trigger_failed: { emoji: ':warning:', words: 'trigger failed' },
  deployed: { emoji: ':large_green_circle:', words: 'deployed' },
  deploy_failed: { emoji: ':red_circle:', words: 'deployment failed' },
  rolled_back: { emoji: ':rewind:', words: 'rolled back' },
  superseded: { emoji: ':fast_forward:', words: 'superseded' },
  expired: { emoji: ':hourglass:', words: 'expired without a decision' },
  reminded: { emoji: ':bell:', words: 'approvers reminded' },
  training_requested: { emoji: ':hammer_and_wrench:', words: 'training requested' },
  schedule_paused: { emoji: ':double_vertical_bar:', words: 'retraining schedule paused' },
  schedule_resumed: { emoji: ':arrow_forward:', words: 'retraining schedule resumed' },
};

/** "• <date> · *1.4.0* · ✅ approved by <@U1> · f1 0.910 · run `…` — reason" */
export function historyLine(e: HistoryEntry, opts: { showModel?: boolean } = {}): string {
  const action = ACTIONS[e.action] ?? { emoji: ':grey_question:', words: escapeTruncate(e.action.replace(/_/g, ' '), 60) };
  const who = e.actor === 'pipeline' ? 'by the pipeline' : e.actor === 'bot' ? 'by the bot' : `by ${userMention(e.actor)}`;
  const parts = [`• ${slackDate(e.at)}`];
  if (opts.showModel) parts.push(`*${escapeTruncate(e.model, 100)}*`);
  if (e.version !== undefined) parts.push(`*${escapeTruncate(e.version, 100)}*`);
  parts.push(`${action.emoji} ${action.words} ${who}`);
  if (e.primaryMetric !== undefined && Number.isFinite(e.primaryMetric.value)) {
    parts.push(`${escapeTruncate(e.primaryMetric.name, 60)} ${e.primaryMetric.value.toFixed(3)}`);
  }
  if (e.dagRunId !== undefined) parts.push(`run ${inlineCode(e.dagRunId, 100)}`);
  let line = parts.join(' · ');
  if (e.detail !== undefined && e.detail.trim() !== '') line += ` — _${escapeTruncate(e.detail.replace(/\s+/g, ' ').trim(), 300)}_`;
  return line;
}
