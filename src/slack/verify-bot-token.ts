import { WebAPIPlatformError, WebAPIRateLimitedError, WebAPIHTTPError, WebAPIRequestError, type WebClient } from '@slack/web-api';
import { backoffDelayMs, type BackoffPolicy } from '../core/backoff-delay';
import type { Logger } from '../observability/create-logger';

/** Who the bot is in its workspace: what Bolt needs to skip its per-request auth.test. */
export interface BotIdentity {
  botId: string;
  botUserId: string;
  teamId: string | undefined;
}

/**
 * A Slack token Slack itself refused: retrying cannot fix it, a person must change a setting.
 * The message is one line naming the setting and what to do (main prints it, no stack trace).
 */
export class SlackSetupError extends Error {
  constructor(
    readonly setting: 'SLACK_BOT_TOKEN' | 'SLACK_APP_TOKEN',
    readonly slackError: string,
    reason: string,
  ) {
    super(`${setting}: ${reason}`);
    this.name = 'SlackSetupError';
  }
}

/** Slack's answers that mean "this token is wrong" (auth.test and apps.connections.open). */
const TOKEN_REFUSALS: Record<string, string> = {
  invalid_auth: 'Slack refused the token (invalid_auth): copy it again from the app settings page',
  not_authed: 'Slack received no token (not_authed): set it',
  account_inactive: 'the token belongs to a deactivated account or an uninstalled app (account_inactive): reinstall the app and copy the new token',
  token_revoked: 'the token was revoked (token_revoked): reinstall the app and copy the new token',
  token_expired: 'the token has expired (token_expired): reinstall the app or turn off token rotation',
  not_allowed_token_type: 'Slack refused this kind of token (not_allowed_token_type)',
};
const WHICH_TOKEN = {
  SLACK_BOT_TOKEN: 'the Bot User OAuth Token, xoxb-…, under OAuth & Permissions',
  SLACK_APP_TOKEN: 'an app-level token, xapp-…, with connections:write, under Basic Information',
} as const;

/** The refusal behind `error`, as a SlackSetupError for `setting`; undefined when retrying may help. */
export function tokenRefusal(error: unknown, setting: SlackSetupError['setting']): SlackSetupError | undefined {
  if (!(error instanceof WebAPIPlatformError)) return undefined;
  const code = error.data.error;
  const reason = TOKEN_REFUSALS[code];
  return reason === undefined ? undefined : new SlackSetupError(setting, code, `${reason} (${WHICH_TOKEN[setting]})`);
}

/** A short, token-free description of why Slack could not be asked. */
function describeUnreachable(error: unknown): string {
  if (error instanceof WebAPIRateLimitedError) return `rate limited, Retry-After ${error.retryAfter} s`;
  if (error instanceof WebAPIHTTPError) return `HTTP ${error.statusCode}`;
  if (error instanceof WebAPIPlatformError) return `Slack answered ${error.data.error}`;
  // fetch wraps the socket error ("fetch failed", cause ECONNREFUSED…), the client may wrap that
  // again: name the innermost. Duck-typed, as errors from another realm fail instanceof Error.
  let inner: unknown = error instanceof WebAPIRequestError ? error.original : error;
  const isObject = (v: unknown): v is { cause?: unknown; code?: unknown; message?: unknown } => typeof v === 'object' && v !== null;
  while (isObject(inner) && isObject(inner.cause)) inner = inner.cause;
  if (!isObject(inner)) return String(inner);
  return typeof inner.code === 'string' ? `${inner.code}: ${String(inner.message)}` : String(inner.message);
}

export interface TokenVerification {
  /** The first attempt: 'verified', or 'retrying' (Slack unreachable; retries continue in the background). Rejects with SlackSetupError. */
  first: Promise<'verified' | 'retrying'>;
  /** Settles once: the identity, or a SlackSetupError (also after retries). Never rejects while Slack is merely unreachable. */
  identity: Promise<BotIdentity>;
  /** The identity once known. */
  current(): BotIdentity | undefined;
  /** Stops retrying (shutdown). */
  stop(): void;
}

/** First retry after about baseMs; doubles each time (with jitter) up to maxMs. */
export type RetryPolicy = BackoffPolicy;
export const DEFAULT_RETRY: RetryPolicy = { baseMs: 1000, maxMs: 60_000 };

/**
 * Calls auth.test once at startup (the only auth.test the bot makes) and retries, with exponential
 * backoff and jitter, while Slack cannot be reached (connection refused, timeout, 5xx, 429). A
 * refused token ends it with a SlackSetupError. `client` must not retry on its own, so that each
 * retry is logged here. Not p-retry (v4): the loop must settle `first` after one attempt, wait at
 * least a 429's Retry-After, and stop mid-wait at shutdown, none of which it offers.
 */
export function verifyBotToken(opts: { client: WebClient; logger: Logger; retry?: RetryPolicy; random?: () => number }): TokenVerification {
  const retry = opts.retry ?? DEFAULT_RETRY;
  const random = opts.random ?? Math.random;
  let identity: BotIdentity | undefined;
  // Aborted by stop(), which runs while the loop below waits (a `let` flag would look constant to the type checker).
  const stopping = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  let settleFirst!: (outcome: 'verified' | 'retrying') => void;
  let failFirst!: (error: Error) => void;
  const first = new Promise<'verified' | 'retrying'>((resolve, reject) => {
    settleFirst = resolve;
    failFirst = reject;
  });

  const attemptOnce = async (): Promise<BotIdentity | { retryInMs: number; why: string } | SlackSetupError> => {
    try {
      const answer = await opts.client.auth.test();
      if (typeof answer.bot_id !== 'string' || typeof answer.user_id !== 'string') {
        return new SlackSetupError(
          'SLACK_BOT_TOKEN',
          'not_a_bot_token',
          `this token is not a bot token (auth.test names no bot): use ${WHICH_TOKEN.SLACK_BOT_TOKEN}`,
        );
      }
      return { botId: answer.bot_id, botUserId: answer.user_id, teamId: answer.team_id };
    } catch (error) {
      const refusal = tokenRefusal(error, 'SLACK_BOT_TOKEN');
      if (refusal !== undefined) return refusal;
      return { retryInMs: error instanceof WebAPIRateLimitedError ? error.retryAfter * 1000 : 0, why: describeUnreachable(error) };
    }
  };

  const identityPromise = (async (): Promise<BotIdentity> => {
    for (let attempt = 1; ; attempt++) {
      const outcome = await attemptOnce();
      if (outcome instanceof SlackSetupError) {
        failFirst(outcome);
        throw outcome;
      }
      if ('botId' in outcome) {
        identity = outcome;
        if (attempt > 1) opts.logger.info({ attempts: attempt }, `SLACK_BOT_TOKEN verified after ${attempt} attempts: Slack is reachable again`);
        settleFirst('verified');
        return outcome;
      }
      settleFirst('retrying');
      if (stopping.signal.aborted) return new Promise<never>(() => undefined);
      // Jittered: replicas restarted together do not retry in step.
      const waitMs = Math.max(outcome.retryInMs, backoffDelayMs(attempt, retry, random));
      opts.logger.warn(
        { attempt, retryInMs: waitMs, cause: outcome.why },
        `cannot verify SLACK_BOT_TOKEN: Slack is unreachable (auth.test: ${outcome.why}); attempt ${attempt} failed, retrying in ${(waitMs / 1000).toFixed(1)} s. Slack requests are still acked meanwhile`,
      );
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, waitMs);
      });
      // stop() may have run during the wait; TypeScript keeps the narrowing from the check above across the await.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
      if (stopping.signal.aborted) return new Promise<never>(() => undefined);
    }
  })();
  // Whoever needs the outcome attaches to it; an unobserved refusal must not crash the process.
  identityPromise.catch(() => undefined);
  first.catch(() => undefined);

  return {
    first,
    identity: identityPromise,
    current: () => identity,
    stop: () => {
      stopping.abort();
      if (timer !== undefined) clearTimeout(timer);
      wake?.();
    },
  };
}
