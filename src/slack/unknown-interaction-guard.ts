import type { AckFn, AllMiddlewareArgs, AnyMiddlewareArgs, App } from '@slack/bolt';
import { ActionId, CallbackId } from './slack-ids';
import { acknowledge, answerEphemeral, slackRequest } from './listener-kit';

const KNOWN_ACTIONS = new Set<string>(Object.values(ActionId));
const KNOWN_VIEWS = new Set<string>(Object.values(CallbackId));
const STALE_TEXT = 'This button is no longer handled by the MLOps bot (it may come from an older version). Nothing was changed.';

/**
 * Buttons and modals the bot does not handle (a message posted by an older version, a
 * hand-crafted payload) would otherwise get no ack: Bolt answers 404 after 3 s and Slack shows
 * the user a warning. Ack them at once, tell the clicking user, and stop there. Registered after
 * the listener kit: counted as name `unknown`, outcome `unknown`.
 */
export function registerUnknownInteractionGuard(app: App): void {
  app.use(async (args: AnyMiddlewareArgs & AllMiddlewareArgs) => {
    const body = args.body as { type?: string; actions?: { action_id?: unknown }[]; view?: { callback_id?: unknown } };
    // Acked without an answer: any kind's ack takes none.
    const ack = 'ack' in args && typeof args.ack === 'function' ? (args.ack as AckFn<void>) : undefined;
    if (body.type === 'block_actions' && ack !== undefined) {
      // Only well-formed payloads: malformed ones go on to Bolt, which refuses them (400).
      const actions: unknown[] = Array.isArray(body.actions) ? body.actions : [];
      const ids = actions.map((a) =>
        a !== null && typeof a === 'object' && typeof (a as { action_id?: unknown }).action_id === 'string'
          ? (a as { action_id: string }).action_id
          : undefined,
      );
      const named = ids.filter((id): id is string => id !== undefined);
      const wellFormed = ids.length > 0 && named.length === ids.length;
      if (wellFormed && !named.some((id) => KNOWN_ACTIONS.has(id))) {
        const request = unknown(args.context);
        await acknowledge({ ack, context: args.context });
        request.log.info({ actionIds: ids.slice(0, 5) }, 'unknown action acknowledged');
        await answerEphemeral(request, { text: STALE_TEXT });
        return;
      }
    }
    if (body.type === 'view_submission' && ack !== undefined) {
      const id = typeof body.view?.callback_id === 'string' ? body.view.callback_id : '';
      if (!KNOWN_VIEWS.has(id)) {
        const request = unknown(args.context);
        await acknowledge({ ack, context: args.context });
        request.log.info({ callbackId: id.slice(0, 100) }, 'unknown view submission acknowledged');
        return;
      }
    }
    // Returned, not awaited: nothing happens here after the listeners, and errors Bolt itself
    // raises on malformed payloads keep their own stack (answered 400 by the receiver).
    return args.next();
  });
}

/** Names the request for the metrics: what it carried is outside input, never a label. */
function unknown(context: AllMiddlewareArgs['context']) {
  const request = slackRequest(context);
  request.name = 'unknown';
  request.outcome = 'unknown';
  return request;
}
