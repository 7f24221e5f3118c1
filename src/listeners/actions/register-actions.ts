import type { App } from '@slack/bolt';
import type { BotDeps } from '../../bot-deps';

/** Button clicks (block_actions). */
export function registerActions(_app: App, _deps: BotDeps): void {
  // Deploy / Reject / Rollback / Cancel are registered by the approvals work (issue 4).
}
