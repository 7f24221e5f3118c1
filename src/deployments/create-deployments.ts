import type { DeploymentCandidate, Refusal } from '../core/candidate-state-machine';
import { attachMessage } from '../core/candidate-state-machine';
import type { PipelineEvent } from '../core/pipeline-event';
import { waitAtMost } from '../core/time-limit';
import type { Logger } from '../observability/create-logger';
import { createCandidateMessages, type MessageRef } from './candidate-messages';
import { deployRecovery, type DeployRecoveryJob } from './deploy-recovery';
import { createDeploymentService, type DeployResult, type DeploymentDeps, type RejectResult, type RollbackResult } from './deployment-service';
import { pipelineEventOutcome } from './pipeline-event-outcome';

/** A decision someone took on a candidate's card (Deploy, Rollback, Cancel). */
export interface CardDecision {
  candidateId: string;
  userId: string;
  /** The message the button is on, when Slack says (remembered if the record does not know it). */
  message?: MessageRef;
  log: Logger;
}

/** May the Reject form open? (The submission authorizes again.) */
export type RejectFormCheck =
  | { kind: 'ok'; candidate: DeploymentCandidate }
  | { kind: 'not_found' }
  | { kind: 'not_authorized'; model: string; who: string }
  | { kind: 'refused'; refusal: Refusal; candidate: DeploymentCandidate };

/** May this user ask for a deployment of this model by command? */
export type RequestCheck = { kind: 'ok' } | { kind: 'not_authorized'; who: string } | { kind: 'not_configured'; problem: string };

/**
 * The deployments feature, as the rest of the bot sees it: decisions in, a typed result out.
 * Built once by the composition root; the state machine, endpoint lock, audit and card updates
 * stay inside.
 */
export interface Deployments {
  /** Deploy / Approve on an evaluation message or a command card. */
  deploy(input: CardDecision): Promise<DeployResult>;
  /** Rollback on a failed deployment's message: a rollback request approved by this click. */
  rollback(input: CardDecision): Promise<RollbackResult>;
  /** Cancel on a `/mlops deploy|rollback` card (no reason needed); the card shows it. */
  cancel(input: CardDecision): Promise<RejectResult>;
  /** Reject on an evaluation message: whether its form may open, the authorization bounded by `budgetMs` (undecided = allowed). */
  checkRejectForm(input: { candidateId: string; userId: string; budgetMs: number }): Promise<RejectFormCheck>;
  /** The Reject form's submission (reason required). Answer the user, then call `showRejection`. */
  reject(input: CardDecision & { reason: string }): Promise<RejectResult>;
  /** Shows a rejection on its card (after the form closed): remembers `message` if the record did not know it. */
  showRejection(result: RejectResult, message: Partial<MessageRef>, log: Logger): Promise<void>;
  /** `/mlops deploy|rollback`: is the user an approver of `model`, and can deployments start? */
  checkRequest(userId: string, model: string): Promise<RequestCheck>;
  /** `/mlops deploy|rollback`: posts the request's card in `channel`, then stores the request. */
  request(candidate: DeploymentCandidate, channel: string, log: Logger): Promise<MessageRef>;
  /**
   * A recorded `deployment.*` pipeline event: the production baseline, the candidate's state, the
   * endpoint lock, superseded candidates and their cards. Idempotent (at-least-once delivery).
   */
  applyPipelineEvent(event: PipelineEvent): Promise<void>;
  /** Crash recovery of interrupted deployments (a background job). */
  recovery: DeployRecoveryJob;
}

/** Builds the deployments feature once (the composition root hands it to listeners, commands and the planner). */
export function createDeployments(deps: DeploymentDeps & Parameters<typeof createCandidateMessages>[0]): Deployments {
  const cards = createCandidateMessages({ ...deps, logger: deps.logger.child({ component: 'candidate-messages' }) });
  const service = createDeploymentService(deps, cards);
  const applyPipelineEvent = pipelineEventOutcome(deps, service);
  const recovery = deployRecovery(
    deps,
    {
      graceMs: deps.config.file.deployments.recoveryGraceSeconds * 1000,
      intervalMs: deps.config.file.deployments.recoveryIntervalSeconds * 1000,
    },
    service,
  );
  const at = () => deps.clock.now().toISOString();

  return {
    deploy: (input) => service.approve(input),
    rollback: (input) => service.rollbackFromFailed(input),
    async cancel(input) {
      const result = await service.reject({ candidateId: input.candidateId, userId: input.userId, requireReason: false, log: input.log });
      if (result.kind === 'rejected') await service.refresh(result.candidate.id, input.log);
      return result;
    },
    async checkRejectForm({ candidateId, userId, budgetMs }) {
      const candidate = await deps.candidates.get(candidateId);
      if (candidate === undefined) return { kind: 'not_found' };
      if (candidate.state !== 'pending') return { kind: 'refused', refusal: { code: 'state_conflict', state: candidate.state }, candidate };
      const auth = await waitAtMost(service.authorize(userId, candidate.model), budgetMs);
      if (auth !== undefined && !auth.ok) {
        deps.metrics.approvals.inc({ outcome: 'refused' });
        return { kind: 'not_authorized', model: candidate.model, who: auth.who };
      }
      return { kind: 'ok', candidate };
    },
    reject: (input) => service.reject({ candidateId: input.candidateId, userId: input.userId, reason: input.reason, requireReason: true, log: input.log }),
    async showRejection(result, message, log) {
      if (result.kind !== 'rejected') return;
      const { channel, ts } = message;
      if (result.candidate.message === undefined && channel !== undefined && ts !== undefined) {
        await service.transition(result.candidate.id, (c) => attachMessage(c, { channel, ts, at: at() }));
      }
      await service.refresh(result.candidate.id, log);
    },
    async checkRequest(userId, model) {
      const auth = await service.authorize(userId, model);
      if (!auth.ok) return { kind: 'not_authorized', who: auth.who };
      const problem = service.prerequisiteProblem({ model });
      return problem !== undefined ? { kind: 'not_configured', problem } : { kind: 'ok' };
    },
    request: (candidate, channel, log) => service.createCommandRequest(candidate, channel, log),
    applyPipelineEvent,
    recovery,
  };
}
