import { findDeploymentCandidate } from './find-deployment-candidate';
import type { PipelineEventHook } from '../pipeline-events/pipeline-event-hook';
import type { CandidateRepository } from './candidate-repository';
import type { ProductionRegistry } from './production-registry';

/**
 * deployment.succeeded makes its version the model's production baseline: the metrics come
 * from the event when given, else from the candidate of that version. Idempotent: recording
 * the same version twice changes nothing.
 */
export function productionBaselineHook(deps: { candidates: CandidateRepository; production: ProductionRegistry }): PipelineEventHook {
  return async (event) => {
    if (event.type !== 'deployment.succeeded' || event.version === undefined) return;
    const current = await deps.production.current(event.model);
    if (current?.version === event.version) return;
    // The candidate the pipeline names (candidate_id, or our dag_run_id), else the latest of that version.
    const found = await findDeploymentCandidate(deps.candidates, event);
    const candidate = found?.version === event.version ? found : undefined;
    await deps.production.recordDeployed({
      model: event.model,
      version: event.version,
      ...(candidate !== undefined ? { candidateId: candidate.id } : {}),
      metrics: event.metrics ?? candidate?.metrics ?? {},
      ...(event.endpoint !== undefined ? { endpoint: event.endpoint } : candidate?.endpoint !== undefined ? { endpoint: candidate.endpoint } : {}),
      deployedAt: event.timestamp,
      ...(candidate !== undefined && candidate.approvals.length > 0 ? { approvedBy: candidate.approvals.map((a) => a.userId) } : {}),
    });
  };
}
