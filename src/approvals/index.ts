/**
 * The approvals feature's public API (issue 16): the timers of pending approvals (one reminder,
 * then expiry) and the daily digest, started with the bot when the configuration sets them.
 */
import type { BotDeps } from '../bot-deps';
import type { BackgroundJob } from '../jobs/leased-job';
import { approvalTimerPolicy, createApprovalTimers } from './approval-timers';
import { createDailyDigest } from './daily-digest';

export { collectWaitingOnYou } from './waiting-on-you';
export {
  MODEL_REGISTRY_SYNC_JOB,
  createModelRegistrySync,
  type ModelRegistrySync,
  type ModelRegistrySyncReport,
  type PackageDecisionOutcome,
} from './model-registry-sync';
export { DAILY_DIGEST_JOB, createDailyDigest, digestKey, type DailyDigest, type DailyDigestReport } from './daily-digest';
export {
  APPROVAL_TIMERS_JOB,
  approvalTimerPolicy,
  createApprovalTimers,
  reminderKeys,
  type ApprovalTimers,
  type ApprovalTimersReport,
} from './approval-timers';

/**
 * The approvals feature's background jobs: the timers, when approvals.remindAfterMinutes or
 * expireAfterHours is set, and the daily digest, when `digest` is.
 */
export function registerApprovals(deps: BotDeps): BackgroundJob[] {
  const jobs: BackgroundJob[] = [];
  const policy = approvalTimerPolicy(deps.config.file);
  if (policy.remindAfterMs !== undefined || policy.expireAfterMs !== undefined) jobs.push(createApprovalTimers(deps));
  const digest = deps.config.file.digest;
  if (digest !== undefined) jobs.push(createDailyDigest(deps, digest));
  return jobs;
}
