import type { DeploymentCandidate } from '../../src/core/candidate-state-machine';
import { parsePipelineEvent } from '../../src/core/pipeline-event';
import { createCandidateRepository, findDeploymentCandidate } from '../../src/deployments';
import { MemoryStore } from '../../src/store/memory-store';

/**
 * The one lookup of the candidate behind a deployment event (outcome, baseline and placement use
 * it). Before it, placement and the baseline took "the latest candidate of that version" whatever
 * its state, and a named candidate of another version; these cases pin the stricter ranking.
 */
function candidate(id: string, overrides: Partial<DeploymentCandidate>): DeploymentCandidate {
  return {
    id,
    model: 'fraud-detector',
    version: '1.4.0',
    state: 'pending',
    origin: 'evaluation',
    metrics: {},
    requiredApprovals: 1,
    approvals: [],
    attempt: 0,
    createdAt: '2026-11-24T10:00:00Z',
    updatedAt: '2026-11-24T10:00:00Z',
    rev: 0,
    ...overrides,
  };
}

function event(type: 'deployment.started' | 'deployment.succeeded' | 'deployment.failed', extra: Record<string, unknown> = {}) {
  const parsed = parsePipelineEvent({
    id: `e-${Math.random()}`,
    type,
    model: 'fraud-detector',
    version: '1.4.0',
    timestamp: '2026-11-24T11:00:00Z',
    ...(type === 'deployment.failed' ? { error: { message: 'health checks failed' } } : {}),
    ...extra,
  });
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  return parsed.value;
}

describe('findDeploymentCandidate', () => {
  it('prefers the candidate being deployed over a newer one of the same version that was rejected', async () => {
    const candidates = createCandidateRepository(new MemoryStore());
    await candidates.create(candidate('fd_1.4.0_deploying', { state: 'deploying', attempt: 1, createdAt: '2026-11-24T10:00:00Z' }));
    await candidates.create(candidate('fd_1.4.0_rejected', { state: 'rejected', createdAt: '2026-11-24T10:30:00Z', updatedAt: '2026-11-24T10:30:00Z' }));
    expect((await findDeploymentCandidate(candidates, event('deployment.succeeded')))?.id).toBe('fd_1.4.0_deploying');
  });

  it('does not take a named candidate of another version, nor guess one never taken to a deployment', async () => {
    const candidates = createCandidateRepository(new MemoryStore());
    await candidates.create(candidate('fd_1.3.0_named', { version: '1.3.0', state: 'deploying', attempt: 1 }));
    await candidates.create(candidate('fd_1.4.0_untouched', {}));
    expect(await findDeploymentCandidate(candidates, event('deployment.started', { candidate_id: 'fd_1.3.0_named' }))).toBeUndefined();
  });

  it('takes the named candidate (candidate_id, candidateId or our dag_run_id) in any state, and the end state of the event last', async () => {
    const candidates = createCandidateRepository(new MemoryStore());
    await candidates.create(candidate('fd_1.4.0_failed', { state: 'deploy_failed', attempt: 1 }));
    await candidates.create(candidate('fd_1.4.0_retry', { state: 'pending', attempt: 1, createdAt: '2026-11-24T10:05:00Z' }));
    expect((await findDeploymentCandidate(candidates, event('deployment.failed', { candidateId: 'fd_1.4.0_failed' })))?.id).toBe('fd_1.4.0_failed');
    const run = { dagId: 'fraud_detector_deployment', runId: 'mlops_deploy__fd_1.4.0_failed__1' };
    expect((await findDeploymentCandidate(candidates, event('deployment.succeeded', { run })))?.id).toBe('fd_1.4.0_failed');
    // Unnamed: a pending candidate after a failed attempt ranks before one already in the end state.
    expect((await findDeploymentCandidate(candidates, event('deployment.failed')))?.id).toBe('fd_1.4.0_retry');
  });
});
