import type { Candidate } from '../src/core/candidate';
import { escapeTruncate, inlineCode } from './format';
import type { SlackMessage } from './slack-message';

/**
 * What people see while a trigger's outcome is unknown ("confirming") and when an evaluation names
 * another endpoint than the configured one. Pure; outside text (error messages, endpoint names
 * from events) is escaped, never interpreted.
 */

export interface ConfirmingInput {
  model: string;
  version: string;
  endpoint: string;
  dagRunId?: string;
  /** Why the outcome is unknown (the trigger's error, plain text). */
  reason: string;
  approvedBy: readonly string[];
}

const mentions = (ids: readonly string[]) => (ids.length > 0 ? ids.map((id) => `<@${id}>`).join(', ') : 'nobody');
const run = (id: string | undefined) => (id !== undefined ? ` ${inlineCode(id, 300)}` : '');

function section(text: string): SlackMessage {
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}

/** To the approver whose click sent the trigger: nothing failed, nothing may start twice, the card follows. */
export function deployConfirmingReplyView(input: ConfirmingInput): SlackMessage {
  return section(
    `:hourglass_flowing_sand: The deployment of ${escapeTruncate(input.model, 100)} ${escapeTruncate(input.version, 100)} was sent, but the trigger's answer did not come back clearly ` +
      `(${escapeTruncate(input.reason, 600)}). Run${run(input.dagRunId)} may have started, so ${escapeTruncate(input.endpoint, 100)} stays reserved for it and I am confirming with Airflow. ` +
      'The message shows the result; nothing else can deploy there meanwhile and nothing will be started twice.',
  );
}

/** To an approver who clicks Deploy on an endpoint whose current deployment is being confirmed. */
export function endpointConfirmingBusyView(input: ConfirmingInput): SlackMessage {
  return section(
    `:no_entry: ${escapeTruncate(input.endpoint, 100)} is reserved: the deployment of ${escapeTruncate(input.version, 100)} (approved by ${mentions(input.approvedBy)}) is being confirmed. ` +
      `Its trigger's answer was lost, so run${run(input.dagRunId)} may have started. Nothing changed: try again once its message shows it deploying, or back to waiting.`,
  );
}

/** The line under a confirming candidate's decision (candidateMessageView `notice`, plain text). */
export function confirmingNotice(input: ConfirmingInput & { checks: number }): string {
  const checked = input.checks > 0 ? ` (asked ${input.checks} time${input.checks === 1 ? '' : 's'} so far without an answer)` : '';
  return (
    `Confirming the start: the trigger did not answer clearly (${input.reason}). Asking Airflow whether run ${input.dagRunId ?? '?'} exists${checked}; ` +
    `${input.endpoint} stays reserved for this deployment until then, and a missing run is started with the same run id.`
  );
}

export interface EndpointMismatchInput {
  candidate: Pick<Candidate, 'model' | 'version'>;
  /** The endpoint the evaluation event named. */
  named: string;
  /** The model's configured endpoint (wins). */
  configured: string;
}

/** Card notice: the event named another endpoint; the configured one wins and the deploy is refused. */
export function endpointMismatchNotice(input: EndpointMismatchInput): string {
  return (
    `This evaluation names endpoint ${input.named}, but ${input.candidate.model} is configured to deploy to ${input.configured} (models.${input.candidate.model}.endpoint). ` +
    'Deploying it is refused: fix the pipeline (or the configuration) and evaluate again.'
  );
}

/** To the approver who clicked Deploy on such a candidate. */
export function endpointMismatchReplyView(input: EndpointMismatchInput): SlackMessage {
  return section(
    `:no_entry: ${escapeTruncate(input.candidate.model, 100)} ${escapeTruncate(input.candidate.version, 100)} cannot be deployed: its evaluation names endpoint ${inlineCode(input.named, 100)}, ` +
      `but ${escapeTruncate(input.candidate.model, 100)} is configured to deploy to ${inlineCode(input.configured, 100)} (\`models.${escapeTruncate(input.candidate.model, 100)}.endpoint\`). ` +
      'Nothing changed: fix the pipeline (or the configuration) and evaluate again.',
  );
}

/** In the thread of a `/mlops train` request whose trigger answer was lost. */
export function trainingConfirmingView(input: {
  model: string;
  dagId: string;
  runId: string;
  reason: string;
  outcome: 'confirming' | 'confirmed' | 'retriggered';
}): SlackMessage {
  const what = `${escapeTruncate(input.model, 100)} (DAG ${inlineCode(input.dagId, 250)}, run ${inlineCode(input.runId, 250)})`;
  switch (input.outcome) {
    case 'confirmed':
      return section(
        `:white_check_mark: Training of ${what} did start: Airflow knows the run, although the trigger's answer was lost (${escapeTruncate(input.reason, 600)}).`,
      );
    case 'retriggered':
      return section(
        `:white_check_mark: Training of ${what} started: the first trigger's answer was lost and Airflow had no such run, so it was started again with the same run id.`,
      );
    case 'confirming':
      return section(
        `:hourglass_flowing_sand: Training of ${what} was sent, but the trigger's answer did not come back clearly (${escapeTruncate(input.reason, 600)}). ` +
          'The run may have started: it is kept as requested (a second `train` asks first) and the watchdog keeps asking Airflow about it.',
      );
  }
}
