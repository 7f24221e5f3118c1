import type { ApprovalReply } from '../../views/approval-reply-view';
import type { SlackMessage } from '../../views/slack-message';
import { deployConfirmingReplyView, endpointConfirmingBusyView, endpointMismatchReplyView } from '../../views/trigger-confirming-view';
import { approverIds, type DeploymentCandidate } from '../core/candidate-state-machine';
import type { RollbackResult } from './deployment-service';

function confirmingInput(c: DeploymentCandidate, endpoint: string) {
  return {
    model: c.model,
    version: c.version,
    endpoint,
    ...(c.dagRunId !== undefined ? { dagRunId: c.dagRunId } : {}),
    reason: c.triggerDoubt?.error.message ?? 'no answer',
    approvedBy: approverIds(c),
  };
}

/** What the clicking user is told after a Deploy / Rollback click; nothing when the message says it all. */
export function deployResultReply(
  result: RollbackResult,
  lockTimeoutMinutes: number,
  action: 'approve' | 'roll back' = 'approve',
): ApprovalReply | SlackMessage | undefined {
  switch (result.kind) {
    case 'not_found':
      return { kind: 'not_found' };
    case 'not_authorized':
      return { kind: 'not_authorized', action, model: result.model, who: result.who };
    case 'not_configured':
      return { kind: 'not_configured', problem: result.problem };
    case 'refused':
      return { kind: 'refused', refusal: result.refusal, candidate: result.candidate };
    case 'busy':
      if (result.holderCandidate !== undefined) return endpointConfirmingBusyView(confirmingInput(result.holderCandidate, result.endpoint));
      return { kind: 'busy', endpoint: result.endpoint, holder: result.holder, lockTimeoutMinutes };
    case 'recorded':
      return { kind: 'recorded', candidate: result.candidate };
    case 'trigger_failed':
      return { kind: 'trigger_failed', message: result.message };
    case 'no_rollback_target':
      return { kind: 'no_rollback_target', model: result.model, version: result.version };
    case 'confirming':
      return deployConfirmingReplyView(confirmingInput(result.candidate, result.endpoint));
    case 'endpoint_mismatch':
      return endpointMismatchReplyView({ candidate: result.candidate, named: result.named, configured: result.configured });
    case 'deploying':
      return undefined;
  }
}
