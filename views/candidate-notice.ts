import type { DeploymentCandidate } from '../src/core/candidate-state-machine';

/**
 * The one-off line under a candidate's decision (candidateMessageView `notice`), derived from the
 * record so that every re-render of the message shows it: a trigger failure, a requested rollback.
 * Plain text (the view escapes it).
 */
export function candidateNotice(c: DeploymentCandidate): string | undefined {
  if (c.state === 'pending' && c.lastTriggerError !== undefined) {
    const retry =
      c.reuseRunId === true
        ? ' Deploy can be clicked again; the retry reuses the same run id, so a request that did reach Airflow is not started twice.'
        : ' Deploy can be clicked again.';
    return `The deployment could not be started: ${c.lastTriggerError.message}${retry}`;
  }
  if (c.state === 'deploy_failed' && c.rollback !== undefined) {
    return `A rollback to ${c.rollback.version} was requested: follow it on the rollback request message.`;
  }
  return undefined;
}
