import type { App } from '@slack/bolt';
import type { BotDeps } from '../../bot-deps';

/** Events API subscriptions. */
export function registerEvents(_app: App, _deps: BotDeps): void {
  // app_home_opened is registered by the commands work (issue 5).
}
