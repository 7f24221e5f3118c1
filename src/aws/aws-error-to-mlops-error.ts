import type { MiddlewareStack } from '@smithy/types';
import { ErrorCode, MlopsError, isMlopsError } from '../core/errors';

/** What the failed call was, so the message can name the IAM action and the resource. */
export interface AwsCallContext {
  /** IAM action, e.g. 'sagemaker:DescribeEndpoint' or 'lambda:InvokeFunction'. */
  action: string;
  /** Plain-words resource, e.g. 'endpoint fraud-detector-prod'. */
  resource?: string;
  /**
   * Every failed attempt of the call (recordFailedAttempts). When one of them may have reached the
   * service (timeout, reset, 5xx), the error carries `details.outcomeUnknown: true`, whatever the
   * last attempt said: a throttle after a timed-out attempt does not prove that nothing happened.
   */
  failedAttempts?: readonly unknown[];
}

/** Errors proving that the request never reached the service (nothing can have happened). */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * True when a failed attempt leaves it open whether the service acted: no answer (timeout, reset,
 * socket hang up) or a server error. A client error (4xx: throttled, denied, invalid, not found)
 * and a connection that never opened are clear: the service did nothing.
 */
export function isUnclearAttempt(error: unknown): boolean {
  const { code, status } = describe(error);
  if (status !== undefined) return status >= 500;
  if (code !== undefined && NOT_SENT_CODES.has(code)) return false;
  return true;
}

/**
 * Records every failed attempt of one SDK command: the retry strategy (finalizeRequest step)
 * reports only the last one, so this sits in the deserialize step, which runs once per attempt.
 * Returns the live list, filled while the command runs.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any input/output of any command
export function recordFailedAttempts(command: { middlewareStack: MiddlewareStack<any, any> }): unknown[] {
  const failures: unknown[] = [];
  command.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        failures.push(error);
        throw error;
      }
    },
    { step: 'deserialize', priority: 'high', name: 'mlopsRecordFailedAttempts' },
  );
  return failures;
}

// Error names as the SDK reports them. Query-compatible services (CloudWatch) report the
// legacy query code ('AccessDenied', 'Throttling'), JSON services the exception name.
const ACCESS_DENIED = new Set(['AccessDeniedException', 'AccessDenied', 'UnauthorizedOperation', 'AuthorizationError']);
const THROTTLED = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
  'RequestLimitExceeded',
  'SlowDown',
]);
const TIMEOUT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'ECONNRESET_TIMEOUT']);
// SageMaker's own not-found exception is 'ResourceNotFound' (no suffix); most others use the suffix.
const NOT_FOUND = new Set(['ResourceNotFoundException', 'ResourceNotFound', 'NotFoundException', 'NoSuchEntity']);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH']);

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  Code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: unknown; requestId?: unknown };
  $response?: { statusCode?: unknown };
}

function field(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function describe(error: unknown): { name: string; code?: string; status?: number; message: string; requestId?: string } {
  if (typeof error !== 'object' || error === null) {
    return { name: 'Error', message: String(error) };
  }
  const e = error as SdkErrorShape;
  const rawStatus = e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
  return {
    name: field(e.name) ?? 'Error',
    code: field(e.Code) ?? field(e.code),
    status: typeof rawStatus === 'number' ? rawStatus : undefined,
    message: field(e.message) ?? '',
    requestId: field(e.$metadata?.requestId),
  };
}

/**
 * Maps an error thrown by an AWS SDK v3 client (or by the hand-signed MWAA call, which raises
 * errors of the same shape) to an MlopsError with a stable code and a message in plain words.
 * An MlopsError passes through unchanged.
 */
export function awsErrorToMlopsError(error: unknown, context: AwsCallContext): MlopsError {
  if (isMlopsError(error)) return error;
  const { name, code, status, message, requestId } = describe(error);
  const what = context.resource ? `${context.action} on ${context.resource}` : context.action;
  const details: Record<string, unknown> = { action: context.action, awsError: name };
  if (context.resource) details.resource = context.resource;
  if (status !== undefined) details.httpStatus = status;
  if (requestId) details.requestId = requestId;
  if (message) details.awsMessage = message;
  if (context.failedAttempts !== undefined) {
    details.attempts = context.failedAttempts.length;
    if (context.failedAttempts.some(isUnclearAttempt)) details.outcomeUnknown = true;
  }
  const options = { cause: error };
  const said = message ? ` AWS said: ${message}` : '';

  if (ACCESS_DENIED.has(name) || (code !== undefined && ACCESS_DENIED.has(code)) || status === 403) {
    return new MlopsError(
      ErrorCode.AwsAccessDenied,
      `The bot's AWS role is not allowed to call ${what}. Grant the IAM action ${context.action} to the role the bot runs as.${said}`,
      details,
      options,
    );
  }
  if (THROTTLED.has(name) || (code !== undefined && THROTTLED.has(code)) || status === 429) {
    return new MlopsError(
      ErrorCode.AwsThrottled,
      `AWS is limiting the rate of ${context.action} calls right now (throttled, even after retries). Try again in a minute.`,
      details,
      options,
    );
  }
  if (TIMEOUT_NAMES.has(name) || (code !== undefined && (TIMEOUT_CODES.has(code) || TIMEOUT_NAMES.has(code))) || /timed out|timeout/i.test(message)) {
    return new MlopsError(ErrorCode.AwsTimeout, `AWS did not answer ${what} in time. It may be slow or unreachable; try again shortly.`, details, options);
  }
  if (NOT_FOUND.has(name) || (name === 'ValidationException' && /could not find|not found|does not exist/i.test(message)) || status === 404) {
    const subject = context.resource ?? 'The requested resource';
    return new MlopsError(
      ErrorCode.AwsNotFound,
      `${subject.charAt(0).toUpperCase()}${subject.slice(1)} does not exist in this AWS account and region.${said}`,
      details,
      options,
    );
  }
  if (code !== undefined && NETWORK_CODES.has(code)) {
    return new MlopsError(ErrorCode.AwsFailed, `Could not reach AWS for ${what} (${code}). Check the network and the endpoint settings.`, details, options);
  }
  return new MlopsError(ErrorCode.AwsFailed, `AWS call ${what} failed (${name}${status !== undefined ? `, HTTP ${status}` : ''}).${said}`, details, options);
}
