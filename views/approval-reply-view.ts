import type { Candidate } from '../src/core/candidate';
import type { Refusal } from '../src/core/candidate-state-machine';
import { truncate, type SlackMessage } from './slack-message';
import { slackDate, escapeTruncate, truncateMrkdwn, userMention, escapeMrkdwn } from './format';

/** What the clicking (or typing) user is told, only to them, after a Deploy / Reject / Rollback / Cancel. */
export type ApprovalReply =
  | { kind: 'not_found' }
  /** `who` is describePrincipals(...): already mrkdwn with mentions. */
  | { kind: 'not_authorized'; action: 'approve' | 'reject' | 'roll back' | 'cancel' | 'deploy'; model: string; who: string }
  | { kind: 'not_configured'; problem: string }
  | { kind: 'refused'; refusal: Refusal; candidate: Candidate }
  | { kind: 'busy'; endpoint: string; holder: { version: string; since: string; approvedBy: readonly string[]; model: string }; lockTimeoutMinutes: number }
  | { kind: 'recorded'; candidate: Candidate }
  | { kind: 'trigger_failed'; message: string }
  | { kind: 'no_rollback_target'; model: string; version: string }
  | { kind: 'rejected'; candidate: Candidate }
  | { kind: 'unavailable' };

const mention = (userId: string) => userMention(userId);
const mentions = (ids: readonly string[]) => (ids.length > 0 ? ids.map(mention).join(', ') : 'nobody');

export function approvalReplyView(reply: ApprovalReply): SlackMessage {
  const text = replyText(reply);
  const fitted = truncateMrkdwn(text, 2900);
  return { text: fitted, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: fitted } }] };
}

function replyText(reply: ApprovalReply): string {
  switch (reply.kind) {
    case 'not_found':
      return ':warning: This deployment request is no longer known (it may have expired). Nothing changed.';
    case 'not_authorized':
      return `:no_entry: You may not ${reply.action} deployments of ${escapeMrkdwn(reply.model)}. Who may: ${reply.who}. Nothing changed.`;
    case 'not_configured':
      return `:warning: ${escapeTruncate(reply.problem, 1500)} Nothing changed.`;
    case 'busy': {
      const h = reply.holder;
      return (
        `:no_entry: ${escapeMrkdwn(reply.endpoint)} is busy: ${escapeMrkdwn(h.version)} deploying since ${slackDate(h.since, '{time}')}, approved by ${mentions(h.approvedBy)}. ` +
        `Nothing changed: click again once that deployment has finished (the lock ends with its outcome, or after ${reply.lockTimeoutMinutes} minutes).`
      );
    }
    case 'recorded': {
      const c = reply.candidate;
      if (c.state === 'registry_approved') {
        return `:white_check_mark: ${escapeMrkdwn(c.model)} ${escapeMrkdwn(c.version)} is approved: the SageMaker Model Registry will show it Approved. This model has no deployment DAG, so the bot deploys nothing.`;
      }
      return `:white_check_mark: Your approval of ${escapeMrkdwn(c.model)} ${escapeMrkdwn(c.version)} is recorded: ${c.approvals.length} of ${c.requiredApprovals} approvals.`;
    }
    case 'trigger_failed':
      return `:x: The deployment could not be started: ${escapeMrkdwn(truncate(reply.message, 1500))} Deploy can be clicked again.`;
    case 'no_rollback_target':
      return `:warning: There is no earlier deployed version of ${escapeMrkdwn(reply.model)} than ${escapeMrkdwn(reply.version)} to roll back to. Nothing changed.`;
    case 'rejected': {
      const c = reply.candidate;
      return `:no_entry: ${escapeMrkdwn(c.model)} ${escapeMrkdwn(c.version)} is ${c.origin === 'evaluation' ? 'rejected' : 'cancelled'}.`;
    }
    case 'unavailable':
      return ':warning: The bot could not reach its store, so nothing changed. Try again in a moment.';
    case 'refused':
      return refusalText(reply.refusal, reply.candidate);
  }
}

/** A refusal of the state machine in plain words, for the user who clicked. */
export function refusalText(refusal: Refusal, c: Candidate): string {
  const what = `${escapeMrkdwn(c.model)} ${escapeMrkdwn(c.version)}`;
  switch (refusal.code) {
    case 'self_approval':
      return `:no_entry: You started this run, so you may not approve its deployment (config \`approvals.forbidSelfApproval\`). Ask another approver. Nothing changed.`;
    case 'already_approved':
      return `:hourglass_flowing_sand: You already approved ${what}: ${refusal.approvals} of ${refusal.required} approvals. It needs another approver; your second click does not count twice.`;
    case 'reason_required':
      return ':warning: Give a reason for the rejection.';
    case 'stale_attempt':
      return `:warning: ${what} has moved on to another deployment attempt. Nothing changed.`;
    case 'state_conflict':
      return `${stateText(c)} Nothing changed.`;
  }
}

function stateText(c: Candidate): string {
  const what = `${escapeMrkdwn(c.model)} ${escapeMrkdwn(c.version)}`;
  const when = c.decidedAt !== undefined ? ` ${slackDate(c.decidedAt)}` : '';
  const approvers = mentions([...new Set(c.approvals.map((a) => a.userId))]);
  switch (c.state) {
    case 'approved':
    case 'deploying':
      return `:rocket: ${what} is already being deployed: approved by ${approvers}${when}.`;
    case 'deployed':
      return `:white_check_mark: ${what} is already deployed: approved by ${approvers}${when}.`;
    case 'deploy_failed':
      return `:x: The deployment of ${what} already failed; use its Rollback button or \`/mlops deploy\` to try again.`;
    case 'rejected':
      return `:no_entry: ${what} was already ${c.origin === 'evaluation' ? 'rejected' : 'cancelled'} by ${c.decidedBy !== undefined ? mention(c.decidedBy) : 'someone'}${when}${c.rejectReason !== undefined ? `: “${escapeMrkdwn(truncate(c.rejectReason, 500))}”` : ''}.`;
    case 'superseded':
      return `:fast_forward: ${what} was superseded${c.supersededBy !== undefined ? ` by ${escapeMrkdwn(c.supersededBy)}` : ''}: a newer version is deployed.`;
    case 'expired':
      return `:hourglass: ${what} expired without a decision; \`/mlops deploy ${escapeMrkdwn(c.model)} ${escapeMrkdwn(c.version)}\` brings it back on a fresh card.`;
    case 'pending':
      return `:hourglass_flowing_sand: ${what} is still waiting for approval.`;
    case 'registry_approved':
      return `:white_check_mark: ${what} is already approved (in the SageMaker Model Registry; this model has no deployment DAG).`;
  }
}

/** The same refusal as plain text (modal field errors render no mrkdwn and no mentions). */
export function refusalPlainText(refusal: Refusal, c: Candidate): string {
  const what = `${c.model} ${c.version}`;
  switch (refusal.code) {
    case 'reason_required':
      return 'Give a reason for the rejection.';
    case 'self_approval':
      return 'You started this run, so you may not decide on its deployment.';
    case 'already_approved':
      return `You already approved ${what}.`;
    case 'stale_attempt':
      return `Nothing changed: ${what} has moved on to another deployment attempt.`;
    case 'state_conflict':
      switch (c.state) {
        case 'approved':
        case 'deploying':
          return `Nothing changed: ${what} is already being deployed.`;
        case 'deployed':
          return `Nothing changed: ${what} is already deployed.`;
        case 'deploy_failed':
          return `Nothing changed: the deployment of ${what} already failed.`;
        case 'rejected':
          return `Nothing changed: ${what} was already ${c.origin === 'evaluation' ? 'rejected' : 'cancelled'}${c.rejectReason !== undefined ? ` (“${truncate(c.rejectReason, 200)}”)` : ''}.`;
        case 'superseded':
          return `Nothing changed: ${what} was superseded${c.supersededBy !== undefined ? ` by ${c.supersededBy}` : ''}.`;
        case 'expired':
          return `Nothing changed: ${what} expired without a decision (/mlops deploy brings it back).`;
        case 'pending':
          return `Nothing changed: ${what} is still waiting for approval.`;
        case 'registry_approved':
          return `Nothing changed: ${what} is already approved (in the SageMaker Model Registry).`;
      }
  }
}
