import type { AllMiddlewareArgs, App, BlockAction, SlackActionMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import { z } from 'zod';
import type { BotDeps } from '../bot-deps';
import { approverIds, type DeploymentCandidate } from '../core/candidate-state-machine';
import { ErrorCode, isMlopsError } from '../core/errors';
import { waitAtMost } from '../core/time-limit';
import { childLogger, type Logger } from '../observability/create-logger';
import { acknowledge, ackThenWork, answerEphemeral, slackRequest } from '../slack/listener-kit';
import { ActionId, BlockId, CallbackId, InputActionId } from '../slack/slack-ids';
import { approvalReplyView, refusalPlainText, type ApprovalReply } from '../../views/approval-reply-view';
import { rejectModalView } from '../../views/reject-modal-view';
import { deployOverrideModalView } from '../../views/deploy-override-modal-view';
import type { SlackMessage } from '../../views/slack-message';
import { deployConfirmingReplyView, endpointConfirmingBusyView, endpointMismatchReplyView } from '../../views/trigger-confirming-view';
import type { Deployments, RejectResult, RollbackResult } from './deployments-api';

/**
 * Slack's trigger_id lives 3 s: the authorization check may take only this long before the Reject
 * form is opened anyway (the submit authorizes again, so a slow user-group lookup cannot let anyone in).
 */
const AUTHORIZE_BUDGET_MS = 1200;
/** The rejection must be decided before the submission's ack (it decides whether the form closes); Slack allows 3 s. */
const DECIDE_BUDGET_MS = 2200;

/**
 * The Deploy, Reject, Rollback and Cancel buttons of candidate cards and the Reject form: each asks
 * the deployments feature for a decision and tells the clicking user its result (a view); the
 * card itself shows the candidate's state.
 */
export function registerDeploymentListeners(app: App, deps: BotDeps, deployments: Deployments): void {
  const lockTimeoutMinutes = deps.config.file.deployments.lockTimeoutMinutes;

  // Deploy / Approve on a candidate message or a command card (after Slack's confirm dialog).
  app.action(
    ActionId.Deploy,
    clickListener(deps, 'deploy', async ({ click, args, log, reply }) => {
      const result = await deployments.deploy({
        candidateId: click.value,
        userId: click.userId,
        ...messageOf(click),
        ...(click.strategyPick !== undefined ? { strategyPick: click.strategyPick } : {}),
        log,
      });
      // A failed gate or a freeze window: the reason form, whose submission approves again with the reason.
      if (result.kind === 'override_required' && click.triggerId !== undefined) {
        const message = result.candidate.message ?? click.message;
        try {
          await args.client.views.open({
            trigger_id: click.triggerId,
            view: deployOverrideModalView({
              candidate: result.candidate,
              checks: result.checks,
              metadata: {
                candidateId: result.candidate.id,
                ...(message !== undefined ? { channel: message.channel, ts: message.ts } : {}),
                ...(click.strategyPick !== undefined ? { strategyPick: click.strategyPick } : {}),
              },
            }),
          });
          return 'modal_opened';
        } catch (error) {
          log.warn({ err: error }, 'could not open the deploy override form');
        }
      }
      await replyWith(reply, deployReply(result, lockTimeoutMinutes));
      return result.kind;
    }),
  );

  // Rollback on a failed deployment's message: a rollback request approved by this click, same path as Deploy.
  app.action(
    ActionId.Rollback,
    clickListener(deps, 'rollback', async ({ click, log, reply }) => {
      const result = await deployments.rollback({ candidateId: click.value, userId: click.userId, ...messageOf(click), log });
      await replyWith(reply, deployReply(result, lockTimeoutMinutes, 'roll back'));
      return result.kind;
    }),
  );

  // Abort and roll back while a canary / linear rollout runs: the rollout is stopped, then the Rollback path.
  app.action(
    ActionId.AbortRollback,
    clickListener(deps, 'abort_rollback', async ({ click, log, reply }) => {
      const result = await deployments.abort({ candidateId: click.value, userId: click.userId, ...messageOf(click), log });
      await replyWith(reply, deployReply(result, lockTimeoutMinutes, 'roll back'));
      return result.kind;
    }),
  );

  // Promote shadow / Stop shadow on the card of a live shadow deployment (after the confirm dialog).
  // Each id is registered by name (not in a loop) so that test/deploy/manifest-check.test.ts can read it.
  const shadowDecision = (type: 'promote-shadow' | 'stop-shadow', name: string) =>
    clickListener(deps, name, async ({ click, log, reply }) => {
      const result = await deployments.shadowDecision({ candidateId: click.value, userId: click.userId, type, log });
      await replyWith(reply, deployReply(result, lockTimeoutMinutes));
      return result.kind;
    });
  app.action(ActionId.ShadowPromote, shadowDecision('promote-shadow', 'shadow_promote'));
  app.action(ActionId.ShadowStop, shadowDecision('stop-shadow', 'shadow_stop'));

  // Roll back to <previous version> on a degraded bake report (alert channel): the Rollback path.
  app.action(
    ActionId.BakeRollback,
    clickListener(deps, 'bake_rollback', async ({ click, log, reply }) => {
      const result = await deployments.rollbackFromBake({ candidateId: click.value, userId: click.userId, ...messageOf(click), log });
      await replyWith(reply, deployReply(result, lockTimeoutMinutes, 'roll back'));
      return result.kind;
    }),
  );

  // Cancel on a `/mlops deploy|rollback` card: rejects the request without a reason.
  app.action(
    ActionId.CancelDeploy,
    clickListener(deps, 'cancel_deploy', async ({ click, log, reply }) => {
      const result = await deployments.cancel({ candidateId: click.value, userId: click.userId, log });
      await replyWith(reply, rejectReply(result, 'cancel'));
      return result.kind;
    }),
  );

  // Reject on an evaluation message: opens the reason form; its submission does the rejecting.
  app.action(
    ActionId.Reject,
    clickListener(deps, 'reject', async ({ click, args, log, reply }) => {
      if (click.triggerId === undefined) {
        await reply({ kind: 'not_configured', problem: 'Slack did not send what is needed to open the form.' });
        return 'invalid';
      }
      const check = await deployments.checkRejectForm({ candidateId: click.value, userId: click.userId, budgetMs: AUTHORIZE_BUDGET_MS });
      if (check.kind !== 'ok') {
        await reply(check.kind === 'not_authorized' ? { ...check, action: 'reject' } : check);
        return check.kind;
      }
      const { candidate } = check;
      const message = candidate.message ?? click.message;
      try {
        await args.client.views.open({
          trigger_id: click.triggerId,
          view: rejectModalView({
            candidate,
            metadata: { candidateId: candidate.id, ...(message !== undefined ? { channel: message.channel, ts: message.ts } : {}) },
          }),
        });
      } catch (error) {
        log.warn({ err: error }, 'could not open the reject modal');
        await reply({ kind: 'not_configured', problem: 'The rejection form could not be opened in time; click Reject again.' });
        return 'modal_failed';
      }
      return 'modal_opened';
    }),
  );

  app.view(CallbackId.RejectModal, rejectSubmission(deployments));
  app.view(CallbackId.DeployOverrideModal, overrideSubmission(deps, deployments, lockTimeoutMinutes));

  // The strategy select beside Deploy only holds a choice: Slack sends its state with the Deploy click.
  app.action<BlockAction>(ActionId.StrategyPick, async (args) => {
    slackRequest(args.context).name = 'strategy_pick';
    await acknowledge(args);
  });
}

/** The parts of a block_actions payload a candidate button needs. */
const clickSchema = z.object({
  user: z.object({ id: z.string().min(1) }),
  trigger_id: z.string().min(1).optional(),
  actions: z.array(z.object({ action_id: z.string(), value: z.string().min(1).max(2000).optional() })).min(1),
  container: z
    .object({ channel_id: z.string().min(1).optional(), message_ts: z.string().min(1).optional() })
    .loose()
    .optional(),
  channel: z
    .object({ id: z.string().min(1) })
    .loose()
    .optional(),
  message: z
    .object({ ts: z.string().min(1) })
    .loose()
    .optional(),
  // The message's stateful elements (the strategy select), sent with every block_actions payload.
  state: z
    .object({
      values: z.record(
        z.string(),
        z.record(
          z.string(),
          z
            .object({
              selected_option: z
                .object({ value: z.string().max(10) })
                .loose()
                .nullish(),
            })
            .loose(),
        ),
      ),
    })
    .loose()
    .optional(),
});

interface Click {
  userId: string;
  /** The button's value: a candidate id. */
  value: string;
  triggerId?: string;
  /** The message the button is on, when Slack says. */
  message?: { channel: string; ts: string };
  /** The strategy select's value on that message, when it has one. */
  strategyPick?: string;
}

/** Parses a button click; undefined when the payload lacks what a candidate button carries. */
function parseClick(body: unknown): Click | undefined {
  const parsed = clickSchema.safeParse(body);
  if (!parsed.success) return undefined;
  const b = parsed.data;
  const value = b.actions[0]?.value;
  if (value === undefined) return undefined;
  const channel = b.container?.channel_id ?? b.channel?.id;
  const ts = b.container?.message_ts ?? b.message?.ts;
  const strategyPick = Object.values(b.state?.values ?? {}).find((block) => block[ActionId.StrategyPick] !== undefined)?.[ActionId.StrategyPick]
    ?.selected_option?.value;
  return {
    ...(strategyPick !== undefined ? { strategyPick } : {}),
    userId: b.user.id,
    value,
    ...(b.trigger_id !== undefined ? { triggerId: b.trigger_id } : {}),
    ...(channel !== undefined && ts !== undefined ? { message: { channel, ts } } : {}),
  };
}

type ClickArgs = SlackActionMiddlewareArgs<BlockAction> & AllMiddlewareArgs;

interface ClickContext {
  click: Click;
  args: ClickArgs;
  log: Logger;
  /** Tells only the clicking user (response_url, ephemeral, the message untouched). */
  reply: (message: SlackMessage | ApprovalReply) => Promise<void>;
}

/**
 * The shape of every candidate button listener, on the listener kit: ack at once, then (in the
 * shared post-ack limit) parse, run the handler and answer the clicking user. The handler returns
 * the metric outcome; a failure is answered here with what the user can do (the store being down
 * is "try again"), so it does not reach app.error.
 */
function clickListener(deps: BotDeps, name: string, handle: (ctx: ClickContext) => Promise<string>) {
  return async (args: ClickArgs): Promise<void> => {
    slackRequest(args.context).name = name;
    await ackThenWork(args, deps, async (request) => {
      const reply = (message: SlackMessage | ApprovalReply) => answerEphemeral(request, 'kind' in message ? approvalReplyView(message) : message);
      const click = parseClick(args.body);
      if (click === undefined) {
        request.log.warn('button click without a candidate id; ignored');
        return 'invalid';
      }
      try {
        return await handle({ click, args, log: request.log.child({ clicked: click.value }), reply });
      } catch (error) {
        request.log.error({ err: error }, `${name} click failed`);
        await reply(
          isMlopsError(error, ErrorCode.StoreUnavailable)
            ? { kind: 'unavailable' }
            : { kind: 'not_configured', problem: `Something went wrong on our side (${isMlopsError(error) ? error.message : 'the error is logged'}).` },
        );
        return 'error';
      }
    });
  };
}

function messageOf(click: { message?: { channel: string; ts: string } }) {
  return click.message !== undefined ? { message: click.message } : {};
}

async function replyWith(reply: (message: SlackMessage | ApprovalReply) => Promise<void>, answer: SlackMessage | ApprovalReply | undefined): Promise<void> {
  if (answer !== undefined) await reply(answer);
}

function confirmingInput(c: DeploymentCandidate, endpoint: string) {
  return {
    model: c.model,
    version: c.version,
    endpoint,
    ...(c.dagRunId !== undefined ? { dagRunId: c.dagRunId } : {}),
    reason: c.triggerDoubt?.error.message ?? 'no answer',
    approvedBy: approverIds(c),
  };
}

/** What the clicking user is told after a Deploy / Rollback click; nothing when the card says it all. */
function deployReply(
  result: RollbackResult,
  lockTimeoutMinutes: number,
  action: 'approve' | 'roll back' = 'approve',
): ApprovalReply | SlackMessage | undefined {
  switch (result.kind) {
    case 'not_found':
    case 'not_configured':
    case 'refused':
    case 'recorded':
    case 'no_rollback_target':
      return result;
    case 'not_authorized':
      return { ...result, action };
    case 'busy':
      if (result.holderCandidate !== undefined) return endpointConfirmingBusyView(confirmingInput(result.holderCandidate, result.endpoint));
      return { kind: 'busy', endpoint: result.endpoint, holder: result.holder, lockTimeoutMinutes };
    case 'trigger_failed':
      return { kind: 'trigger_failed', message: result.message };
    case 'confirming':
      return deployConfirmingReplyView(confirmingInput(result.candidate, result.endpoint));
    case 'endpoint_mismatch':
      return endpointMismatchReplyView({ candidate: result.candidate, named: result.named, configured: result.configured });
    case 'deploying':
      return undefined;
    case 'override_required':
      return {
        kind: 'not_configured',
        problem: `This needs a reason (${result.checks.join('; ')}): click Deploy on the card again to give it.`,
      };
  }
}

/** What the user is told after a Cancel; nothing when it worked (the card says it). */
function rejectReply(result: RejectResult, action: 'cancel'): ApprovalReply | undefined {
  switch (result.kind) {
    case 'rejected':
      return undefined;
    case 'not_authorized':
      return { ...result, action };
    case 'not_found':
    case 'refused':
      return result;
  }
}

/** Why a rejection did not happen, shown on the form's reason field. */
function rejectProblem(result: RejectResult): string | undefined {
  switch (result.kind) {
    case 'rejected':
      return undefined;
    case 'not_found':
      return 'This candidate is no longer known (it may have expired). Nothing changed.';
    case 'not_authorized':
      return `You may not reject deployments of ${result.model}: only its approvers may. Nothing changed.`;
    case 'refused':
      return refusalPlainText(result.refusal, result.candidate);
  }
}

const metadataSchema = z.object({ candidateId: z.string().min(1), channel: z.string().min(1).optional(), ts: z.string().min(1).optional() });
const submissionSchema = z.object({
  user: z.object({ id: z.string().min(1) }),
  view: z.object({
    private_metadata: z.string(),
    state: z.object({
      values: z.record(z.string(), z.record(z.string(), z.object({ value: z.string().nullish() }).loose())),
    }),
  }),
});

type ViewArgs = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

/**
 * The Reject form's submission: the rejection is decided before the ack (refusals keep the form
 * open with the reason on the field), the card is updated after it.
 */
function rejectSubmission(deployments: Deployments) {
  return async ({ ack, body, context }: ViewArgs): Promise<void> => {
    const request = slackRequest(context);
    request.name = 'reject';
    const fieldError = async (message: string, label: string) => {
      request.outcome = label;
      await acknowledge({ ack, context }, { response_action: 'errors' as const, errors: { [BlockId.RejectReason]: message } });
    };
    try {
      const parsed = submissionSchema.safeParse(body);
      const metadata = parsed.success ? safeJson(parsed.data.view.private_metadata) : undefined;
      const meta = metadataSchema.safeParse(metadata);
      if (!parsed.success || !meta.success) {
        await fieldError('This form is out of date: close it and click Reject again.', 'invalid');
        return;
      }
      const reason = parsed.data.view.state.values[BlockId.RejectReason]?.[InputActionId.RejectReason]?.value?.trim() ?? '';
      if (reason === '') {
        await fieldError('Give a reason for the rejection.', 'reason_required');
        return;
      }
      const clog = childLogger(request.log, { candidate: meta.data.candidateId });
      const result = await waitAtMost(
        deployments.reject({ candidateId: meta.data.candidateId, userId: parsed.data.user.id, reason, log: clog }),
        DECIDE_BUDGET_MS,
      );
      if (result === undefined) {
        await fieldError('The bot is slow to answer right now; submit again in a moment.', 'timeout');
        return;
      }
      const problem = rejectProblem(result);
      if (problem !== undefined) {
        await fieldError(problem, result.kind);
        return;
      }
      request.outcome = 'rejected';
      await acknowledge({ ack, context });
      await deployments.showRejection(result, meta.data, clog);
    } catch (error) {
      request.log.error({ err: error }, 'reject submission failed');
      if (!request.acked) await fieldError('Something went wrong on our side; nothing changed. Try again.', 'error').catch(() => undefined);
      else request.outcome = 'error';
    }
  };
}

const overrideMetadataSchema = metadataSchema.extend({ strategyPick: z.string().max(10).optional() });

/**
 * The deploy override form's submission: a reason is required (kept open with a field error
 * otherwise); the form closes at once and the approval runs after the ack (it may trigger the DAG,
 * longer than Slack waits). The card shows the outcome; a refusal is told to the user ephemerally.
 */
function overrideSubmission(deps: BotDeps, deployments: Deployments, lockTimeoutMinutes: number) {
  return async ({ ack, body, context }: ViewArgs): Promise<void> => {
    const request = slackRequest(context);
    request.name = 'deploy_override';
    const parsed = submissionSchema.safeParse(body);
    const meta = overrideMetadataSchema.safeParse(parsed.success ? safeJson(parsed.data.view.private_metadata) : undefined);
    const fieldError = async (message: string, label: string) => {
      request.outcome = label;
      await acknowledge({ ack, context }, { response_action: 'errors' as const, errors: { [BlockId.OverrideReason]: message } });
    };
    if (!parsed.success || !meta.success) {
      await fieldError('This form is out of date: close it and click Deploy again.', 'invalid');
      return;
    }
    const reason = parsed.data.view.state.values[BlockId.OverrideReason]?.[InputActionId.OverrideReason]?.value?.trim() ?? '';
    if (reason === '') {
      await fieldError('Give a reason to deploy anyway.', 'override_required');
      return;
    }
    const userId = parsed.data.user.id;
    const { candidateId, channel, ts, strategyPick } = meta.data;
    await acknowledge({ ack, context });
    const log = childLogger(request.log, { candidate: candidateId });
    try {
      const result = await deployments.deploy({
        candidateId,
        userId,
        ...(channel !== undefined && ts !== undefined ? { message: { channel, ts } } : {}),
        ...(strategyPick !== undefined ? { strategyPick } : {}),
        overrideReason: reason,
        log,
      });
      request.outcome = result.kind;
      const answer = deployReply(result, lockTimeoutMinutes);
      if (answer !== undefined && channel !== undefined) {
        const view = 'kind' in answer ? approvalReplyView(answer) : answer;
        await deps.slack.chat.postEphemeral({ channel, user: userId, text: view.text, blocks: view.blocks });
      }
    } catch (error) {
      request.outcome = 'error';
      log.error({ err: error }, 'deploy override failed');
    }
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
