import type { App } from '@slack/bolt';
import { homeView } from '../../views/home-view';
import { noticeView } from '../../views/notice-view';
import type { BotDeps } from '../bot-deps';
import { collectDashboard } from './collect-dashboard';
import { collectWaitingOnYou } from '../approvals';
import { SlackEvent } from '../slack/slack-ids';
import { slackRequest } from '../slack/listener-kit';

/** Events API subscriptions. */
export function registerHomeListeners(app: App, deps: BotDeps): void {
  // Bolt acks Events API deliveries before the listener runs, so the AWS reads below never
  // delay the ack (and Slack never retries because of them). The listener kit times and counts it.
  app.event(SlackEvent.AppHomeOpened, async ({ event, context }) => {
    const request = slackRequest(context);
    request.name = 'home';
    // The event also fires for the Messages tab; only the Home tab has a dashboard.
    if (event.tab !== 'home') {
      request.outcome = 'ignored';
      return;
    }
    try {
      const [dashboard, waitingOnYou] = await Promise.all([collectDashboard(deps, deps.clock.now(), request.log), collectWaitingOnYou(deps, event.user)]);
      await deps.slack.views.publish({ user_id: event.user, view: { type: 'home', blocks: homeView({ ...dashboard, waitingOnYou }).blocks } });
      request.log.debug({ models: dashboard.models.length, endpoints: dashboard.endpoints.length }, 'home tab published');
    } catch (error) {
      // Not left to app.error: the tab itself is where the user looks, so the fallback goes there.
      request.outcome = 'error';
      request.log.error({ err: error }, 'could not build or publish the home tab');
      const fallback = noticeView({
        emoji: ':warning:',
        text: 'The dashboard could not be loaded right now (the error is logged). Open this tab again to retry; `/mlops status` and `/mlops models` show the same facts.',
      });
      await deps.slack.views.publish({ user_id: event.user, view: { type: 'home', blocks: fallback.blocks } }).catch(() => undefined);
    }
  });
}
