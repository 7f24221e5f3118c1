import { WebClient } from '@slack/web-api';
import type { Logger } from '../observability/create-logger';
import { boltLogger } from '../slack/bolt-logger';

/** A delivery call that takes longer is abandoned (its outcome is then checked in Slack before any retry). */
export const DELIVERY_SLACK_TIMEOUT_MS = 6000;

/**
 * The outbox's own Web API client, built from the bot's delivery client (same token and URL) but
 * with NO automatic retries: a retried chat.postMessage after a timeout or a 5xx could post a
 * second copy. The outbox retries itself, after looking for the message in Slack. 429s come
 * back at once (rejectRateLimitedCalls) so the outbox can wait for that channel only.
 */
export function createDeliverySlackClient(base: WebClient, logger: Logger): WebClient {
  return new WebClient(base.token, {
    slackApiUrl: base.slackApiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: DELIVERY_SLACK_TIMEOUT_MS,
    logger: boltLogger(logger.child({ component: 'slack-delivery' })),
  });
}
