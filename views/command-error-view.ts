import { ErrorCode } from '../src/core/errors';
import { errorView } from './error-view';
import { truncate, type SlackMessage } from './slack-message';
import { escapeMrkdwn } from './format';

export interface CommandErrorViewInput {
  command: string; // '/mlops'
  /** The subcommand's usage and example, shown for invalid input. */
  usage?: string;
  example?: string;
  code?: string;
  message: string;
  /** The failed call was meant to start something (a DAG run). */
  starting?: boolean;
}

/** An ephemeral answer to a failed `/mlops` subcommand: what went wrong, then usage or what to do. */
export function commandErrorView(input: CommandErrorViewInput): SlackMessage {
  const message = /[.!?]$/.test(input.message) ? input.message : `${input.message}.`;
  if (input.code === ErrorCode.CommandInvalid && input.usage !== undefined) {
    const example = input.example !== undefined ? ` — for example \`${escapeMrkdwn(`${input.command} ${input.example}`)}\`` : '';
    // Parser messages start in lower case ("missing <model>"): a sentence here.
    return errorView({ message: capitalize(message), hint: `Usage: \`${escapeMrkdwn(`${input.command} ${input.usage}`)}\`${example}` });
  }
  if (input.code === ErrorCode.NotAuthorized) {
    // Built by the bot from configured ids only: its <@U…> and <!subteam^…> mentions must render.
    return {
      text: message,
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `:lock: ${truncate(message, 2900)}` } }],
    };
  }
  const hint = errorHint(input.code, input.starting ?? false);
  // Other messages may start with a name ("fraud-detector has no…"), kept as written.
  return errorView({ message, ...(hint !== undefined ? { hint } : {}) });
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * What the user can do about a failure, by error code. `starting` is true when the failed call
 * was meant to start something (a DAG run), where "did it start?" is the first question.
 */
function errorHint(code: string | undefined, starting = false): string | undefined {
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
