import type { App } from '@slack/bolt';
import { homeView } from '../../views/home-view';
import { noticeView } from '../../views/notice-view';
import type { BotDeps } from '../bot-deps';
import { collectDashboard } from './collect-dashboard';
import { SlackEvent } from '../slack/slack-ids';
import { contextRequestId } from '../http/request-context';

/** Events API subscriptions. */
export function registerEvents(app: App, deps: BotDeps): void {
  // Bolt acks Events API deliveries before the listener runs, so the AWS reads below never
  // delay the ack (and Slack never retries because of them).
  app.event(SlackEvent.AppHomeOpened, async ({ event, context }) => {
    // The event also fires for the Messages tab; only the Home tab has a dashboard.
    if (event.tab !== 'home') return;
    const started = process.hrtime.bigint();
    const log = deps.logger.child({ requestId: contextRequestId(context), event: SlackEvent.AppHomeOpened, slackUser: event.user });
    let outcome = 'ok';
    try {
      const dashboard = await collectDashboard(deps, deps.clock.now());
      const view = homeView(dashboard);
      await deps.slack.views.publish({ user_id: event.user, view: { type: 'home', blocks: view.blocks } });
      log.debug({ models: dashboard.models.length, endpoints: dashboard.endpoints.length }, 'home tab published');
    } catch (error) {
      outcome = 'error';
      log.error({ err: error }, 'could not build or publish the home tab');
      const fallback = noticeView({
        emoji: ':warning:',
        text: 'The dashboard could not be loaded right now (the error is logged). Open this tab again to retry; `/mlops status` and `/mlops models` show the same facts.',
      });
      await deps.slack.views.publish({ user_id: event.user, view: { type: 'home', blocks: fallback.blocks } }).catch(() => undefined);
    } finally {
      deps.metrics.slackRequests.inc({ kind: 'event', name: SlackEvent.AppHomeOpened, outcome });
      deps.metrics.slackHandlerDuration.observe({ kind: 'event', name: SlackEvent.AppHomeOpened }, Number(process.hrtime.bigint() - started) / 1e9);
    }
  });
}
