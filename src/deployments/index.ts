/**
 * The deployments feature's public API: the rest of the bot (commands/, home/, pipeline-events/, the
 * composition root) imports deployments only from here. Inside: the engine (deployment-service),
 * the endpoint lock, crash recovery, the outcome of deployment.* events and the card's rendering.
 */
export { createDeployments } from './create-deployments';
export type {
  CardDecision,
  DeployRecoveryJob,
  DeployResult,
  Deployments,
  MessageRef,
  RejectFormCheck,
  RejectResult,
  RequestCheck,
  RollbackResult,
} from './deployments-api';
export { registerDeploymentListeners } from './deployment-listeners';
export { findDeploymentCandidate } from './pipeline-event-outcome';
export { createCandidateRepository, type CandidateRepository } from './candidate-repository';
export { createProductionRegistry, type ProductionRecord, type ProductionRegistry } from './production-registry';
export { createAuditLog, type AuditAction, type AuditEntry, type AuditLog } from './audit-log';
