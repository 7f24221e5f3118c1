import { attachMessage, noteBake } from '../core/candidate-state-machine';
import { waitAtMost } from '../core/time-limit';
import { createCandidateMessages } from './candidate-messages';
import { deployRecovery } from './deploy-recovery';
import { createDeploymentService, type DeploymentDeps } from './deployment-service';
import type { Deployments } from './deployments-api';
import { pipelineEventOutcome } from './pipeline-event-outcome';

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
    abort: (input) => service.abortAndRollback(input),
    rollbackFromBake: (input) => service.rollbackFromBake(input),
    shadowDecision: (input) => service.shadowDecision(input),
    async noteBake(candidateId, verdict, log) {
      const noted = await service.transition(candidateId, (c) => noteBake(c, { verdict, at: at() }));
      if (noted.decision.ok) await service.refresh(candidateId, log);
    },
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
    continueApproved: (candidateId, log, actor) => service.continueDeployment(candidateId, log, actor),
    async overrideChecks(candidateId) {
      const c = await deps.candidates.get(candidateId);
      return c === undefined ? [] : service.overrideChecks(c);
    },
    showCard: (candidateId, log) => service.refresh(candidateId, log),
    recovery,
  };
}
