/**
 * The approvals feature's public API (issue 16): the timers of pending approvals (one reminder,
 * then expiry), started with the bot when the configuration sets either.
 */
import type { BotDeps } from '../bot-deps';
import type { BackgroundJob } from '../jobs/leased-job';
import { approvalTimerPolicy, createApprovalTimers } from './approval-timers';

export {
  APPROVAL_TIMERS_JOB,
  approvalTimerPolicy,
  createApprovalTimers,
  reminderKeys,
  type ApprovalTimers,
  type ApprovalTimersReport,
} from './approval-timers';

/** The approvals feature's background jobs: the timers, when approvals.remindAfterMinutes or expireAfterHours is set. */
export function registerApprovals(deps: BotDeps): BackgroundJob[] {
  const policy = approvalTimerPolicy(deps.config.file);
  if (policy.remindAfterMs === undefined && policy.expireAfterMs === undefined) return [];
  return [createApprovalTimers(deps)];
}
