import type { AllMiddlewareArgs, BlockAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { z } from 'zod';
import type { BotDeps } from '../bot-deps';
import { isMlopsError, ErrorCode } from '../core/errors';
import type { Logger } from '../observability/create-logger';
import { approvalReplyView, type ApprovalReply } from '../../views/approval-reply-view';
import { errorView } from '../../views/error-view';
import type { SlackMessage } from '../../views/slack-message';
import { clickResponseUrl, respondInTime } from '../slack/respond-in-time';
import { contextRequestId } from '../http/request-context';

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
});

export interface Click {
  userId: string;
  /** The button's value: a candidate id. */
  value: string;
  triggerId?: string;
  /** The message the button is on, when Slack says. */
  message?: { channel: string; ts: string };
}

/** Parses a button click; undefined when the payload lacks what a candidate button carries. */
export function parseClick(body: unknown): Click | undefined {
  const parsed = clickSchema.safeParse(body);
  if (!parsed.success) return undefined;
  const b = parsed.data;
  const value = b.actions[0]?.value;
  if (value === undefined) return undefined;
  const channel = b.container?.channel_id ?? b.channel?.id;
  const ts = b.container?.message_ts ?? b.message?.ts;
  return {
    userId: b.user.id,
    value,
    ...(b.trigger_id !== undefined ? { triggerId: b.trigger_id } : {}),
    ...(channel !== undefined && ts !== undefined ? { message: { channel, ts } } : {}),
  };
}

export type ClickArgs = SlackActionMiddlewareArgs<BlockAction> & AllMiddlewareArgs;

export interface ClickContext {
  click: Click;
  args: ClickArgs;
  log: Logger;
  /** Tells only the clicking user (response_url, ephemeral, the message untouched). */
  reply: (message: SlackMessage | ApprovalReply) => Promise<void>;
}

/**
 * The shape of every candidate button listener: ack at once, parse, run the handler, answer the
 * clicking user ephemerally, and record metrics. The handler returns an outcome label.
 */
export function clickListener(deps: BotDeps, name: string, handle: (ctx: ClickContext) => Promise<string>) {
  return async (args: ClickArgs): Promise<void> => {
    const started = process.hrtime.bigint();
    await args.ack();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    deps.metrics.slackAckDuration.observe({ kind: 'action', name }, seconds());
    const requestId = contextRequestId(args.context);
    // Read defensively: a payload without a user or a response_url is refused below, never thrown on.
    const log = deps.logger.child({ requestId, action: name, slackUser: (args.body.user as { id?: unknown } | undefined)?.id });
    const reply = async (message: SlackMessage | ApprovalReply) => {
      const view = 'kind' in message ? approvalReplyView(message) : message;
      // Not Bolt's respond(): that one has no timeout, and a hung response_url would hold a work slot.
      const respond = respondInTime(clickResponseUrl(args.body));
      if (respond === undefined) {
        log.warn('the click has no response_url: the user cannot be answered');
        return;
      }
      await respond({ response_type: 'ephemeral', replace_original: false, text: view.text, blocks: view.blocks }).catch((error: unknown) => {
        log.warn({ err: error }, 'could not answer the clicking user');
      });
    };
    const work = async (): Promise<void> => {
      let outcome = 'error';
      try {
        const click = parseClick(args.body);
        if (click === undefined) {
          log.warn('button click without a candidate id; ignored');
          outcome = 'invalid';
          return;
        }
        outcome = await handle({ click, args, log: log.child({ clicked: click.value }), reply });
      } catch (error) {
        log.error({ err: error }, `${name} click failed`);
        await reply(
          isMlopsError(error, ErrorCode.StoreUnavailable)
            ? { kind: 'unavailable' }
            : { kind: 'not_configured', problem: `Something went wrong on our side (${isMlopsError(error) ? error.message : 'the error is logged'}).` },
        );
      } finally {
        deps.metrics.slackRequests.inc({ kind: 'action', name, outcome });
        deps.metrics.slackHandlerDuration.observe({ kind: 'action', name }, seconds());
      }
    };
    // The work after the ack waits for a slot shared with commands (deps.postAckWork), so a burst
    // of clicks cannot crowd out the next acks; the listener resolves when the work is done.
    await new Promise<void>((resolve) => {
      const accepted = deps.postAckWork.offer(() => work().finally(resolve));
      if (!accepted) {
        log.warn({ running: deps.postAckWork.running, queued: deps.postAckWork.queued }, `${name} click refused: too much work queued`);
        deps.metrics.slackRequests.inc({ kind: 'action', name, outcome: 'busy' });
        void reply(errorView({ message: 'The bot is busy with many requests right now; nothing was done. Try again in a minute.' })).finally(resolve);
      }
    });
  };
}
