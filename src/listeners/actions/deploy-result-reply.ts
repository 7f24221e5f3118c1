import type { ApprovalReply } from '../../../views/approval-reply-view';
import type { RollbackResult } from '../../services/deployment-service';

/** What the clicking user is told after a Deploy / Rollback click; nothing when the message says it all. */
export function deployResultReply(result: RollbackResult, lockTimeoutMinutes: number, action: 'approve' | 'roll back' = 'approve'): ApprovalReply | undefined {
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
      return { kind: 'busy', endpoint: result.endpoint, holder: result.holder, lockTimeoutMinutes };
    case 'recorded':
      return { kind: 'recorded', candidate: result.candidate };
    case 'trigger_failed':
      return { kind: 'trigger_failed', message: result.message };
    case 'no_rollback_target':
      return { kind: 'no_rollback_target', model: result.model, version: result.version };
    case 'deploying':
      return undefined;
  }
}
