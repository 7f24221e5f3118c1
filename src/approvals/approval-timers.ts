import type { BotDeps } from '../bot-deps';
import type { FileConfig } from '../config/config-schema';
import { approversFor } from '../core/authorization';
import {
  approvalTimerDue,
  approverIds,
  expire,
  remind,
  type ApprovalTimerPolicy,
  type DeploymentCandidate,
  type TimerDecision,
} from '../core/candidate-state-machine';
import { leasedJob, type LeasedJob, type LeaseTurn } from '../jobs/leased-job';
import { childLogger, type Logger } from '../observability/create-logger';
import { queuedUpdateVersion, type MessageTarget } from '../outbox';
import { approvalReminderDirectView, approvalReminderThreadView, type ApprovalReminderInput } from '../../views/approval-reminder-view';
import type { SlackMessage } from '../../views/slack-message';

export const APPROVAL_TIMERS_JOB = 'approval-timers';
/** Timers are minutes to days long: a scan a minute is precise enough and cheap (one listing per model). */
const DEFAULT_INTERVAL_MS = 60_000;
/** stop() waits this long for the pass in flight. */
const STOP_WAIT_MS = 5000;
/**
 * How long after its expiry a card whose refresh was lost (a crash between the two steps) is
 * still repaired: far past any restart, well inside the outbox's memory of the card's updates
 * (7 days), which is what tells a lost refresh from a done one.
 */
const CARD_REPAIR_WINDOW_MS = 24 * 60 * 60 * 1000;
/**
 * A reminder due before its card's place is known (the outbox still posting it: Slack slow or
 * down) waits this long for it, so the reminder lands in the card's thread; after that it goes
 * without the thread reply (the DMs still go).
 */
const CARD_WAIT_MS = 60 * 60 * 1000;

export interface ApprovalTimersOptions {
  /** Identifies this replica in the lease; default a random id. */
  instanceId?: string;
  intervalMs?: number;
}

export interface ApprovalTimersReport {
  /** False when another replica holds the lease (nothing was done). */
  leader: boolean;
  reminded: number;
  expired: number;
  /** Expired cards re-rendered because their refresh had not reached the outbox (a crash after the expiry). */
  refreshed: number;
  /** Candidates left for the next pass (Slack or the store failed). */
  retry: number;
}

export type ApprovalTimers = LeasedJob<ApprovalTimersReport>;

/** The timers of the configuration (contract 10), in milliseconds; both unset = the job is not started. */
export function approvalTimerPolicy(config: FileConfig): ApprovalTimerPolicy {
  const { remindAfterMinutes, expireAfterHours } = config.approvals;
  return {
    ...(remindAfterMinutes !== undefined ? { remindAfterMs: remindAfterMinutes * 60_000 } : {}),
    ...(expireAfterHours !== undefined ? { expireAfterMs: expireAfterHours * 3_600_000 } : {}),
  };
}

/** The outbox keys of a candidate's one reminder: recorded once each, whoever records them and however often. */
export const reminderKeys = {
  thread: (candidateId: string) => `approval-reminder:${candidateId}`,
  direct: (candidateId: string, userId: string) => `approval-reminder:${candidateId}:dm:${userId}`,
};

/**
 * Reminders and expiry of pending approvals (issue 16). Every interval the replica holding the
 * lease lists each configured model's candidates and acts on approvalTimerDue:
 * - remind: the thread reply (mentioning the approvers who have not decided, and the approver
 *   groups) and a DM to each named approver who may still decide are RECORDED in the outbox first,
 *   each under a fixed key, then the reminder is claimed on the record by compare-and-set
 *   (remindedAt). A crash or a second replica in between records the same keys again, which the
 *   outbox ignores: each message is posted exactly once, and a failed pass is simply retried.
 * - expire: pending → expired by compare-and-set (exactly one writer wins), audited, and the card
 *   re-rendered through the outbox without its buttons; a card whose refresh was lost (a crash
 *   right after the expiry) is re-rendered by a later pass (cardLeftBehind).
 * Decisions read deps.clock, so tests move time; candidates that stop being pending (approved,
 * rejected, superseded) stop having timers.
 */
export function createApprovalTimers(deps: BotDeps, options: ApprovalTimersOptions = {}): ApprovalTimers {
  const config = deps.config.file;
  const policy = approvalTimerPolicy(config);
  const intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  const log = deps.logger.child({ component: APPROVAL_TIMERS_JOB });

  function reminderInput(c: DeploymentCandidate, now: Date): ApprovalReminderInput {
    const principals = approversFor(config, c.model);
    const decided = new Set(approverIds(c));
    // The one who started the run may not approve it (forbidSelfApproval): no point asking them.
    const selfBarred = config.approvals.forbidSelfApproval ? c.startedBy : undefined;
    const expiresAt = policy.expireAfterMs !== undefined ? new Date(Date.parse(c.createdAt) + policy.expireAfterMs).toISOString() : undefined;
    return {
      model: c.model,
      version: c.version,
      createdAt: c.createdAt,
      now,
      waitingOnUsers: principals.users.filter((u) => !decided.has(u) && u !== selfBarred),
      waitingOnGroups: principals.usergroups,
      approvals: decided.size,
      requiredApprovals: c.requiredApprovals,
      ...(expiresAt !== undefined ? { expiresAt } : {}),
    };
  }

  async function record(key: string, target: MessageTarget, message: SlackMessage, c: DeploymentCandidate, now: Date): Promise<void> {
    await deps.recordMessage(key, { type: 'approval-reminder', message, targets: [target], model: c.model }, now);
  }

  /** The user's DM channel with the bot; undefined when Slack refuses it for good (deactivated user, no DMs). */
  async function directChannel(userId: string, clog: Logger): Promise<string | undefined> {
    try {
      const res = await deps.slack.conversations.open({ users: userId });
      return res.channel?.id;
    } catch (error) {
      // An API refusal will not change on a retry; anything else (network, 5xx, 429) fails the pass for this candidate.
      if ((error as { code?: string }).code === 'slack_webapi_platform_error') {
        clog.warn({ err: error, user: userId }, 'cannot open a DM with an approver; the thread reminder still mentions them');
        return undefined;
      }
      throw error;
    }
  }

  async function cardUrl(message: { channel: string; ts: string }, clog: Logger): Promise<string | undefined> {
    try {
      return (await deps.slack.chat.getPermalink({ channel: message.channel, message_ts: message.ts })).permalink;
    } catch (error) {
      clog.info({ err: error }, 'no permalink for the candidate card; the reminder DM goes without a link');
      return undefined;
    }
  }

  async function sendReminder(c: DeploymentCandidate, now: Date, clog: Logger): Promise<boolean> {
    const input = reminderInput(c, now);
    const card = c.message !== undefined && c.message.ts !== '' ? c.message : undefined;
    if (card !== undefined) await record(reminderKeys.thread(c.id), { channel: card.channel, threadTs: card.ts }, approvalReminderThreadView(input), c, now);
    const url = card !== undefined ? await cardUrl(card, clog) : undefined;
    for (const user of input.waitingOnUsers) {
      const channel = await directChannel(user, clog);
      if (channel === undefined) continue;
      await record(
        reminderKeys.direct(c.id, user),
        { channel },
        approvalReminderDirectView({ ...input, ...(url !== undefined ? { cardUrl: url } : {}) }),
        c,
        now,
      );
    }
    const claimed = await apply(c.id, (x) => remind(x, { now, policy }));
    if (claimed !== undefined) {
      await deps.audit.append({
        at: now.toISOString(),
        model: c.model,
        version: c.version,
        candidateId: c.id,
        action: 'reminded',
        actor: 'bot',
        detail: `waiting on ${input.waitingOnUsers.length} named approver(s)${input.waitingOnGroups.length > 0 ? ` and ${input.waitingOnGroups.length} group(s)` : ''}`,
      });
      clog.info({ waitingOn: input.waitingOnUsers, groups: input.waitingOnGroups }, 'approval reminder sent');
    }
    return claimed !== undefined;
  }

  async function expireOne(c: DeploymentCandidate, now: Date, clog: Logger): Promise<boolean> {
    const expired = await apply(c.id, (x) => expire(x, { now, policy }));
    if (expired === undefined) return false;
    const hours = (policy.expireAfterMs ?? 0) / 3_600_000;
    await deps.audit.append({
      at: now.toISOString(),
      model: c.model,
      version: c.version,
      candidateId: c.id,
      action: 'expired',
      actor: 'bot',
      detail: `no decision within ${hours} h`,
    });
    clog.info('pending candidate expired without a decision');
    await deps.deployments.showCard(c.id, clog);
    return true;
  }

  /** A timer decision applied by compare-and-set: the new record, or undefined when refused (someone else won). */
  async function apply<O extends string>(id: string, decide: (c: DeploymentCandidate) => TimerDecision<O>): Promise<DeploymentCandidate | undefined> {
    return deps.candidates.update(id, (current: DeploymentCandidate) => {
      const d = decide(current);
      return d.ok ? { write: d.next, result: d.next } : { result: undefined };
    });
  }

  /**
   * An expired card still showing its buttons: the expiry was written but its refresh never reached
   * the outbox (the process died in between). The outbox keeps the newest version queued for the
   * card (the record's rev), so the check is exact and the repair happens once.
   */
  async function cardLeftBehind(c: DeploymentCandidate, now: Date): Promise<boolean> {
    if (c.state !== 'expired' || c.message === undefined || c.message.ts === '' || c.expiredAt === undefined) return false;
    if (now.getTime() - Date.parse(c.expiredAt) > CARD_REPAIR_WINDOW_MS) return false;
    return ((await queuedUpdateVersion(deps.store, c.message)) ?? -1) < c.rev;
  }

  /** The card is not posted yet (its place unknown) and may still come: remind in its thread once it is. */
  function waitsForCard(c: DeploymentCandidate, now: Date): boolean {
    if (c.message !== undefined && c.message.ts !== '') return false;
    const dueAt = Date.parse(c.createdAt) + (policy.remindAfterMs ?? 0);
    return now.getTime() - dueAt < CARD_WAIT_MS;
  }

  async function pass(turn: LeaseTurn): Promise<ApprovalTimersReport> {
    const report: ApprovalTimersReport = { leader: true, reminded: 0, expired: 0, refreshed: 0, retry: 0 };
    for (const model of Object.keys(config.models)) {
      const candidates = (await deps.candidates.listByModel(model)) as DeploymentCandidate[];
      for (const c of candidates) {
        if (turn.stopping()) return report;
        const now = deps.clock.now();
        if (await cardLeftBehind(c, now)) {
          const clog = childLogger(log, { model: c.model, version: c.version, candidate: c.id });
          clog.warn('expired candidate whose card still had its buttons (refresh lost in a crash): re-rendered');
          await deps.deployments.showCard(c.id, clog);
          report.refreshed++;
          continue;
        }
        const due = approvalTimerDue(c, now, policy);
        if (due === undefined) continue;
        if (due === 'remind' && waitsForCard(c, now)) {
          report.retry++;
          continue;
        }
        // A replica that lost the lease stops: the new holder rescans (and the outbox keys keep it once).
        if (!(await turn.keep())) return report;
        const clog = childLogger(log, { model: c.model, version: c.version, candidate: c.id });
        try {
          if (due === 'remind') report.reminded += (await sendReminder(c, now, clog)) ? 1 : 0;
          else report.expired += (await expireOne(c, now, clog)) ? 1 : 0;
        } catch (error) {
          report.retry++;
          clog.warn({ err: error, due }, 'approval timer failed; will retry at the next pass');
        }
      }
    }
    return report;
  }

  return leasedJob<ApprovalTimersReport>({
    name: APPROVAL_TIMERS_JOB,
    store: deps.store,
    logger: deps.logger,
    ...(options.instanceId !== undefined ? { holder: options.instanceId } : {}),
    intervalMs,
    // A restart acts at once on what fell due while it was down.
    runAtStart: true,
    stopWaitMs: STOP_WAIT_MS,
    // Its writes are outbox records and claims by compare-and-set: a successor may start at once.
    releaseAtStop: 'before-wait',
    idle: () => ({ leader: false, reminded: 0, expired: 0, refreshed: 0, retry: 0 }),
    pass,
  });
}
