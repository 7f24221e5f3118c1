import type { BotDeps } from '../bot-deps';
import type { DeploymentService } from './deployment-service';
import { rejectModalView } from '../../views/reject-modal-view';
import { clickListener } from './click-listener';

/**
 * Slack's trigger_id lives 3 s: the authorization check may take only this long before the modal
 * is opened anyway (the submit authorizes again, so a slow user-group lookup cannot let anyone in).
 */
const AUTHORIZE_BUDGET_MS = 1200;

/** Reject on an evaluation message: opens the reason modal; the submit does the rejecting. */
export function rejectAction(deps: BotDeps, deployments: DeploymentService) {
  return clickListener(deps, 'reject', async ({ click, args, log, reply }) => {
    if (click.triggerId === undefined) {
      await reply({ kind: 'not_configured', problem: 'Slack did not send what is needed to open the form.' });
      return 'invalid';
    }
    const candidate = await deps.candidates.get(click.value);
    if (candidate === undefined) {
      await reply({ kind: 'not_found' });
      return 'not_found';
    }
    if (candidate.state !== 'pending') {
      await reply({ kind: 'refused', refusal: { code: 'state_conflict', state: candidate.state }, candidate });
      return 'refused';
    }
    const auth = await Promise.race([
      deployments.authorize(click.userId, candidate.model),
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), AUTHORIZE_BUDGET_MS).unref()),
    ]);
    if (auth !== undefined && !auth.ok) {
      deps.metrics.approvals.inc({ outcome: 'refused' });
      await reply({ kind: 'not_authorized', action: 'reject', model: candidate.model, who: auth.who });
      return 'not_authorized';
    }
    const message = candidate.message ?? click.message;
    try {
      await args.client.views.open({
        trigger_id: click.triggerId,
        view: rejectModalView({
          candidate,
          metadata: { candidateId: candidate.id, ...(message !== undefined ? { channel: message.channel, ts: message.ts } : {}) },
        }),
      });
    } catch (error) {
      log.warn({ err: error }, 'could not open the reject modal');
      await reply({ kind: 'not_configured', problem: 'The rejection form could not be opened in time; click Reject again.' });
      return 'modal_failed';
    }
    return 'modal_opened';
  });
}
