import { App, AuthorizationError, HTTPReceiver, SocketModeReceiver } from '@slack/bolt';
import { WebClient, type WebClientOptions } from '@slack/web-api';
import type { EnvConfig } from '../config/config-schema';
import type { Logger } from '../observability/create-logger';
import { boltLogger } from './bolt-logger';
import { guardSlackBody } from './guard-slack-body';

export const SLACK_EVENTS_PATH = '/slack/events';

/**
 * Interactive calls (ephemeral answers, message updates after a click) retry briefly and wait
 * out a 429, because a user is looking at the screen. The delivery client used by the outbox
 * instead gets 429s back at once (rejectRateLimitedCalls) so that one rate-limited channel
 * does not pause every other channel's queue; the outbox honours Retry-After per channel.
 */
const INTERACTIVE_CLIENT: WebClientOptions = {
  retryConfig: { retries: 2, factor: 2, minTimeout: 300, maxTimeout: 2000 },
  rejectRateLimitedCalls: false,
  timeout: 10_000,
};
const DELIVERY_CLIENT: WebClientOptions = {
  retryConfig: { retries: 2, factor: 2, minTimeout: 300, maxTimeout: 2000 },
  rejectRateLimitedCalls: true,
  timeout: 10_000,
};

export interface SlackApp {
  app: App;
  /** Bolt's request listener for /slack/events (HTTP mode only). */
  httpListener?: HTTPReceiver['requestListener'];
  socketMode: boolean;
  /** Client for background delivery (outbox): 429s are returned, not waited out. */
  deliveryClient: WebClient;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createSlackApp(opts: {
  env: EnvConfig;
  logger: Logger;
  /** Extra per-request properties for listeners' context (e.g. request id). */
  customPropertiesExtractor?: (req: import('node:http').IncomingMessage) => Record<string, unknown>;
}): SlackApp {
  const { env } = opts;
  const slackLog = boltLogger(opts.logger.child({ component: 'bolt' }));
  const clientOptions: WebClientOptions = {
    ...INTERACTIVE_CLIENT,
    ...(env.SLACK_API_URL !== undefined ? { slackApiUrl: env.SLACK_API_URL } : {}),
    logger: boltLogger(opts.logger.child({ component: 'slack-web-api' })),
  };
  const deliveryClient = new WebClient(env.SLACK_BOT_TOKEN, {
    ...clientOptions,
    ...DELIVERY_CLIENT,
  });

  if (env.SLACK_APP_TOKEN !== undefined) {
    const receiver = new SocketModeReceiver({ appToken: env.SLACK_APP_TOKEN, logger: slackLog });
    const app = new App({ receiver, token: env.SLACK_BOT_TOKEN, clientOptions, logger: slackLog });
    return {
      app,
      socketMode: true,
      deliveryClient,
      start: async () => {
        await receiver.start();
      },
      stop: async () => {
        await receiver.stop();
      },
    };
  }

  const boltErrorLog = opts.logger.child({ component: 'bolt' });
  const receiver = new HTTPReceiver({
    // envSchema guarantees a signing secret in HTTP mode.
    signingSecret: env.SLACK_SIGNING_SECRET ?? '',
    endpoints: [SLACK_EVENTS_PATH],
    logger: slackLog,
    processBeforeResponse: false,
    unhandledRequestTimeoutMillis: 3001,
    customPropertiesExtractor: (req) => opts.customPropertiesExtractor?.(req) ?? {},
    // Bolt's default answers 500 when processing fails before any ack. Our listeners ack first or
    // catch their own errors, so that happens for signed payloads Slack never sends (`actions`
    // not an array, `channel: null`…) on which Bolt itself throws: a bad request, not a server error.
    processEventErrorHandler: async ({ error, response }) => {
      if (response.headersSent) {
        boltErrorLog.error({ err: error }, 'a Slack listener failed after its ack');
        return false;
      }
      boltErrorLog.error({ err: error }, 'a Slack request could not be processed before its ack (a payload Slack does not send?); answered 400');
      response.writeHead(error instanceof AuthorizationError ? 401 : 400).end();
      return true;
    },
  });
  const app = new App({
    receiver,
    token: env.SLACK_BOT_TOKEN,
    clientOptions,
    logger: slackLog,
    // One workspace, one token: no auth.test round trip before the first ack.
    tokenVerificationEnabled: false,
  });
  return {
    app,
    httpListener: guardSlackBody(receiver.requestListener, env.SLACK_SIGNING_SECRET ?? ''),
    socketMode: false,
    deliveryClient,
    start: async () => undefined,
    stop: async () => undefined,
  };
}
