import type { Candidate } from '../../src/core/candidate';
import { parsePipelineEvent } from '../../src/core/pipeline-event';
import { createCandidateRepository, createProductionRegistry, type CandidateRepository, type ProductionRegistry } from '../../src/deployments';
import { findDeploymentCandidate, recordProductionBaseline } from '../../src/deployments/pipeline-event-outcome';

/** What applyPipelineEvent does for the baseline: one candidate lookup, then the record. */
function productionBaselineHook(deps: { candidates: CandidateRepository; production: ProductionRegistry }) {
  return async (event: Parameters<typeof findDeploymentCandidate>[1]) =>
    recordProductionBaseline(deps, event, await findDeploymentCandidate(deps.candidates, event));
}
import { MemoryStore } from '../../src/store/memory-store';

function candidate(id: string, metrics: Record<string, number>, createdAt: string): Candidate {
  return {
    id,
    model: 'fraud-detector',
    version: '1.4.0',
    state: 'deploying',
    origin: 'evaluation',
    metrics,
    requiredApprovals: 1,
    approvals: [{ userId: 'U0ALICE', at: createdAt }],
    attempt: 1,
    createdAt,
    updatedAt: createdAt,
    rev: 0,
  };
}

function succeeded(extra: Record<string, unknown>) {
  const parsed = parsePipelineEvent({
    id: `e-${Math.random()}`,
    type: 'deployment.succeeded',
    model: 'fraud-detector',
    version: '1.4.0',
    timestamp: '2026-11-24T11:00:00Z',
    ...extra,
  });
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  return parsed.value;
}

describe('productionBaselineHook', () => {
  it('records the metrics of the candidate the pipeline names, not merely the latest of that version', async () => {
    const store = new MemoryStore();
    const candidates = createCandidateRepository(store);
    const production = createProductionRegistry(store);
    await candidates.create(candidate('fraud-detector_1.4.0_named', { f1: 0.91 }, '2026-11-24T10:00:00Z'));
    await candidates.create({ ...candidate('fraud-detector_1.4.0_later', { f1: 0.5 }, '2026-11-24T10:30:00Z'), origin: 'deploy-command' });
    await productionBaselineHook({ candidates, production })(succeeded({ candidate_id: 'fraud-detector_1.4.0_named', endpoint: 'fraud-detector-prod' }));
    expect(await production.current('fraud-detector')).toMatchObject({
      version: '1.4.0',
      candidateId: 'fraud-detector_1.4.0_named',
      metrics: { f1: 0.91 },
      approvedBy: ['U0ALICE'],
    });
  });

  it('finds the candidate from the bot-made dag_run_id, and is idempotent', async () => {
    const store = new MemoryStore();
    const candidates = createCandidateRepository(store);
    const production = createProductionRegistry(store);
    await candidates.create(candidate('fraud-detector_1.4.0_run', { f1: 0.92 }, '2026-11-24T10:00:00Z'));
    await candidates.create(candidate('fraud-detector_1.4.0_other', { f1: 0.1 }, '2026-11-24T10:30:00Z'));
    const hook = productionBaselineHook({ candidates, production });
    const event = succeeded({ run: { dagId: 'fraud_detector_deployment', runId: 'mlops_deploy__fraud-detector_1.4.0_run__1' } });
    await hook(event);
    await hook(event);
    expect((await production.current('fraud-detector'))?.metrics).toEqual({ f1: 0.92 });
    expect(await production.history('fraud-detector')).toHaveLength(1);
  });
});
