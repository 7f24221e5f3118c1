/**
 * The deployments feature's public API: the rest of the bot (commands/, home/, pipeline-events/, the
 * composition root) imports deployments only from here. Inside: the engine (deployment-service),
 * the endpoint lock, crash recovery, the outcome of deployment.* events and the card's rendering.
 */
export { createDeployments, type CardDecision, type Deployments, type RejectFormCheck, type RequestCheck } from './create-deployments';
export type { DeployResult, RejectResult, RollbackResult } from './deployment-service';
export type { MessageRef } from './candidate-messages';
export type { DeployRecoveryJob } from './deploy-recovery';
export { registerDeploymentListeners } from './deployment-listeners';
export { findDeploymentCandidate } from './pipeline-event-outcome';
export { createCandidateRepository, type CandidateRepository } from './candidate-repository';
export { createProductionRegistry, type ProductionRecord, type ProductionRegistry } from './production-registry';
export { createAuditLog, type AuditAction, type AuditEntry, type AuditLog } from './audit-log';
