import type { App } from '@slack/bolt';
import { z } from 'zod';
import type { BotDeps } from '../bot-deps';
import { ackThenWork, answerEphemeral, slackRequest, type SlackRequest } from '../slack/listener-kit';
import { ActionId } from '../slack/slack-ids';
import { noticeView } from '../../views/notice-view';
import type { ShadowWatch } from './shadow-watch';

const clickSchema = z.object({
  user: z.object({ id: z.string().min(1) }),
  actions: z.array(z.object({ value: z.string().min(1).max(2000).optional() })).min(1),
});

/**
 * Compare now on a live shadow's card: read-only, so anyone who sees the card may ask (no
 * authorization, unlike Promote / Stop). Acks at once; the comparison goes to the run's thread
 * through the outbox; only a refusal or "no comparison yet" is answered to the clicking user.
 */
export function registerShadowListeners(app: App, deps: BotDeps, shadow: ShadowWatch): void {
  app.action(ActionId.ShadowCompare, async ({ ack, body, context }) => {
    const request = slackRequest(context);
    request.name = 'shadow_compare';
    await ackThenWork({ ack, context }, deps, () => compare(shadow, request, body));
  });
}

async function compare(shadow: ShadowWatch, request: SlackRequest, body: unknown): Promise<string> {
  const click = clickSchema.safeParse(body);
  const candidateId = click.success ? click.data.actions[0]?.value : undefined;
  if (!click.success || candidateId === undefined) {
    request.log.warn('Compare now click without a candidate id; ignored');
    return 'invalid';
  }
  const log = request.log.child({ clicked: candidateId });
  const result = await shadow.compareNow({ candidateId, userId: click.data.user.id, log });
  switch (result.kind) {
    case 'posted':
      return 'ok';
    case 'not_running':
      await answerEphemeral(
        request,
        noticeView({ emoji: ':information_source:', text: 'This shadow is no longer running (promoted or stopped): nothing to compare.' }),
      );
      return 'not_found';
    case 'unavailable':
      await answerEphemeral(request, result.message);
      return 'unavailable';
  }
}
