import { ErrorCode } from '../src/core/errors';

/**
 * What the user can do about a failure, by error code. `starting` is true when the failed call
 * was meant to start something (a DAG run), where "did it start?" is the first question.
 */
export function errorHint(code: string | undefined, starting = false): string | undefined {
  switch (code) {
    // The AWS messages already say what to do (grant X, try again in a minute): only whether
    // something started is added.
    case ErrorCode.AwsAccessDenied:
    case ErrorCode.AwsThrottled:
      return starting ? 'Nothing was started.' : undefined;
    case ErrorCode.AwsTimeout:
      return starting ? 'The run may have started anyway: check Airflow before trying again (a new request gets a new run id).' : undefined;
    case ErrorCode.AwsNotFound:
      return starting ? 'Nothing was started. Check the `trigger` section of the config file.' : 'Check the names in the config file.';
    case ErrorCode.TriggerFailed:
      return 'Nothing was started.';
    case ErrorCode.StoreUnavailable:
      return 'The bot cannot reach its store right now; try again in a moment.';
    case ErrorCode.UnknownModel:
      return '`/mlops models` lists the configured models.';
    default:
      return undefined;
  }
}
