import type { App } from '@slack/bolt';
import type { BotDeps } from '../../bot-deps';

/** Modal submissions (view_submission). */
export function registerViewSubmissions(_app: App, _deps: BotDeps): void {
  // The reject-reason modal is registered by the approvals work (issue 4).
}
