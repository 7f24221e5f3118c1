import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import { z } from 'zod';
import type { BotDeps } from '../bot-deps';
import { attachMessage } from '../core/candidate-state-machine';
import type { DeploymentService, RejectResult } from './deployment-service';
import { BlockId, InputActionId } from '../slack/slack-ids';
import { refusalPlainText } from '../../views/approval-reply-view';
import { childLogger } from '../observability/create-logger';
import { contextRequestId } from '../http/request-context';

/** The decision must be made before the ack (it decides whether the modal closes); Slack allows 3 s. */
const DECIDE_BUDGET_MS = 2200;

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
 * The reject modal's submit: authorize again, reject through the state machine, then update the
 * message (after the ack). Refusals keep the modal open with the reason on the field.
 */
export function rejectModalSubmission(deps: BotDeps, deployments: DeploymentService) {
  return async ({ ack, body, context }: ViewArgs): Promise<void> => {
    const started = process.hrtime.bigint();
    const log = deps.logger.child({ requestId: contextRequestId(context), view: 'reject', slackUser: (body.user as { id?: unknown } | undefined)?.id });
    let outcome = 'error';
    const fieldError = async (message: string, label: string) => {
      outcome = label;
      await ack({ response_action: 'errors', errors: { [BlockId.RejectReason]: message } });
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
      const clog = childLogger(log, { candidate: meta.data.candidateId });
      const result = await Promise.race([
        deployments.reject({ candidateId: meta.data.candidateId, userId: parsed.data.user.id, reason, requireReason: true, log: clog }),
        new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), DECIDE_BUDGET_MS).unref()),
      ]);
      if (result === undefined) {
        await fieldError('The bot is slow to answer right now; submit again in a moment.', 'timeout');
        return;
      }
      const problem = problemOf(result);
      if (problem !== undefined) {
        await fieldError(problem, result.kind);
        return;
      }
      outcome = 'rejected';
      await ack();
      // After the ack: remember where the message is (if the record did not know) and update it.
      const { channel, ts } = meta.data;
      if (result.kind === 'rejected' && result.candidate.message === undefined && channel !== undefined && ts !== undefined) {
        await deployments.transition(result.candidate.id, (c) => attachMessage(c, { channel, ts, at: deps.clock.now().toISOString() }));
      }
      await deployments.refresh(meta.data.candidateId, clog);
    } catch (error) {
      log.error({ err: error }, 'reject submission failed');
      await fieldError('Something went wrong on our side; nothing changed. Try again.', 'error').catch(() => undefined);
    } finally {
      deps.metrics.slackRequests.inc({ kind: 'view', name: 'reject', outcome });
      deps.metrics.slackHandlerDuration.observe({ kind: 'view', name: 'reject' }, Number(process.hrtime.bigint() - started) / 1e9);
    }
  };
}

function problemOf(result: RejectResult): string | undefined {
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

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
