import { App, AuthorizationError, HTTPReceiver, SocketModeReceiver, type Authorize } from '@slack/bolt';
import { WebClient, type WebClientOptions } from '@slack/web-api';
import type { EnvConfig } from '../config/config-schema';
import type { Logger } from '../observability/create-logger';
import { boltLogger } from './bolt-logger';
import { guardSlackBody } from './guard-slack-body';
import { SlackSetupError, tokenRefusal, verifyBotToken, type RetryPolicy, type TokenVerification } from './verify-bot-token';

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
  /** The bot token's Web API client for work outside listeners (Bolt's own `app.client` has no token: see authorize). */
  client: WebClient;
  /** Bolt's request listener for /slack/events (HTTP mode only). */
  httpListener?: HTTPReceiver['requestListener'];
  socketMode: boolean;
  /** Client for background delivery (outbox): 429s are returned, not waited out. */
  deliveryClient: WebClient;
  /** The startup token check (auth.test once); set by start(). */
  verification(): TokenVerification | undefined;
  /**
   * Verifies SLACK_BOT_TOKEN (rejects with SlackSetupError when Slack refuses it; returns while
   * Slack is unreachable, retrying in the background) and, in Socket Mode, connects.
   * `onFatal` hears of a refusal that arrives only after retries (or of the app token's).
   */
  start(onFatal?: (error: Error) => void): Promise<void>;
  stop(): Promise<void>;
}

export function createSlackApp(opts: {
  env: EnvConfig;
  logger: Logger;
  /** Extra per-request properties for listeners' context (e.g. request id). */
  customPropertiesExtractor?: (req: import('node:http').IncomingMessage) => Record<string, unknown>;
  /** Backoff of the startup token check while Slack is unreachable (tests shorten it). */
  tokenRetry?: RetryPolicy;
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
  const client = new WebClient(env.SLACK_BOT_TOKEN, clientOptions);
  // No retries inside the client: verifyBotToken retries itself, with backoff, and logs each one.
  const verifyClient = new WebClient(env.SLACK_BOT_TOKEN, { ...clientOptions, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, timeout: 5_000 });
  const startupLog = opts.logger.child({ component: 'slack-startup' });
  let verification: TokenVerification | undefined;
  /**
   * Bolt 5.1 given `token` calls auth.test before every request's listener (or, verifying at
   * construction, caches even a failed answer forever), so every ack would wait for Slack. The
   * bot verifies its token once at start() instead and hands Bolt the ids through `authorize`,
   * which never calls out: before the check has succeeded (Slack unreachable at startup) requests
   * are still served, only Bolt's ignoreSelf filter lacks the ids (the bot subscribes to no
   * message events, so nothing of its own can come back).
   */
  const authorize: Authorize<boolean> = async () => {
    const id = verification?.current();
    return { botToken: env.SLACK_BOT_TOKEN, ...(id !== undefined ? { botId: id.botId, botUserId: id.botUserId, teamId: id.teamId } : {}) };
  };
  const verify = async (onFatal: ((error: Error) => void) | undefined): Promise<TokenVerification> => {
    verification = verifyBotToken({ client: verifyClient, logger: startupLog, ...(opts.tokenRetry !== undefined ? { retry: opts.tokenRetry } : {}) });
    const current = verification;
    const outcome = await current.first; // rejects with SlackSetupError: start() fails
    if (outcome === 'retrying') current.identity.catch((error: unknown) => onFatal?.(error as Error));
    return current;
  };

  if (env.SLACK_APP_TOKEN !== undefined) {
    const appToken = env.SLACK_APP_TOKEN;
    const receiver = new SocketModeReceiver({
      appToken,
      logger: slackLog,
      // apps.connections.open goes to the same Web API as everything else (SLACK_API_URL).
      installerOptions: { clientOptions: { ...(env.SLACK_API_URL !== undefined ? { slackApiUrl: env.SLACK_API_URL } : {}) } },
    });
    // extendedErrorHandler: app.error gets the request's context (listener-kit.ts).
    const app = new App({ receiver, authorize, clientOptions, logger: slackLog, extendedErrorHandler: true });
    const connect = async (): Promise<void> => {
      try {
        await receiver.start();
      } catch (error) {
        throw tokenRefusal(error, 'SLACK_APP_TOKEN') ?? error;
      }
    };
    return {
      app,
      client,
      socketMode: true,
      deliveryClient,
      verification: () => verification,
      start: async (onFatal) => {
        const check = await verify(onFatal);
        if (check.current() !== undefined) {
          await connect();
          return;
        }
        // Slack unreachable: connect once the token check gets through, without holding up startup.
        // (A refused bot token reaches onFatal through verify.)
        check.identity
          .then(connect, () => undefined)
          .catch((error: unknown) => {
            if (error instanceof SlackSetupError) onFatal?.(error);
            else startupLog.error({ err: error }, 'Socket Mode could not connect');
          });
      },
      stop: async () => {
        verification?.stop();
        // Bolt's receiver.stop() does not wait for the socket to close; the client's disconnect() does.
        await receiver.client.disconnect();
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
    // Bolt's default answers 500 when processing fails before any ack. Our listeners ack first, and
    // app.error (listener-kit.ts) handles what fails after an ack, so what arrives here is a failure
    // before the ack: signed payloads Slack never sends (`actions` not an array, `channel: null`…)
    // on which Bolt itself throws: a bad request, not a server error.
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
  const app = new App({ receiver, authorize, clientOptions, logger: slackLog, extendedErrorHandler: true });
  return {
    app,
    client,
    httpListener: guardSlackBody(receiver.requestListener, env.SLACK_SIGNING_SECRET ?? ''),
    socketMode: false,
    deliveryClient,
    verification: () => verification,
    start: async (onFatal) => {
      await verify(onFatal);
    },
    stop: async () => {
      verification?.stop();
    },
  };
}
