/**
 * Errors with stable codes. Handlers map codes to HTTP statuses and user-facing text;
 * tests assert on codes, never on message wording.
 */
export const ErrorCode = {
  ConfigInvalid: 'MLOPS_CONFIG_INVALID',
  SignatureInvalid: 'MLOPS_SIGNATURE_INVALID',
  EventInvalid: 'MLOPS_EVENT_INVALID',
  EventUnroutable: 'MLOPS_EVENT_UNROUTABLE',
  BodyTooLarge: 'MLOPS_BODY_TOO_LARGE',
  StoreUnavailable: 'MLOPS_STORE_UNAVAILABLE',
  NotAuthorized: 'MLOPS_NOT_AUTHORIZED',
  UnknownModel: 'MLOPS_UNKNOWN_MODEL',
  UnknownCommand: 'MLOPS_UNKNOWN_COMMAND',
  CommandInvalid: 'MLOPS_COMMAND_INVALID',
  CandidateNotFound: 'MLOPS_CANDIDATE_NOT_FOUND',
  CandidateStateConflict: 'MLOPS_CANDIDATE_STATE_CONFLICT',
  EndpointBusy: 'MLOPS_ENDPOINT_BUSY',
  TriggerFailed: 'MLOPS_TRIGGER_FAILED',
  AwsAccessDenied: 'MLOPS_AWS_ACCESS_DENIED',
  AwsThrottled: 'MLOPS_AWS_THROTTLED',
  AwsTimeout: 'MLOPS_AWS_TIMEOUT',
  AwsNotFound: 'MLOPS_AWS_NOT_FOUND',
  AwsFailed: 'MLOPS_AWS_FAILED',
  SnsInvalid: 'MLOPS_SNS_INVALID',
  SlackFailed: 'MLOPS_SLACK_FAILED',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class MlopsError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MlopsError';
  }
}

export function isMlopsError(error: unknown, code?: ErrorCode): error is MlopsError {
  return error instanceof MlopsError && (code === undefined || error.code === code);
}
