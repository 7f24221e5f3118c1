import type { Candidate } from '../core/candidate';
import type { PipelineEvent } from '../core/pipeline-event';
import type { CandidateRepository } from './candidate-repository';

/** Deployment runs started from Slack are named by deploymentRunIdFor(candidateId, attempt). */
const DEPLOY_RUN_ID = /^mlops_deploy__(.+)__\d+$/;

/**
 * The candidate a deployment event is about: named by the event (`candidate_id`, which the
 * deployment DAG gets in its conf), else from its run id when the bot started it, else the
 * latest candidate of that model version.
 */
export async function findDeploymentCandidate(candidates: CandidateRepository, event: PipelineEvent): Promise<Candidate | undefined> {
  const named = (event as Record<string, unknown>)['candidate_id'];
  const fromRun = DEPLOY_RUN_ID.exec(event.run?.runId ?? '')?.[1];
  for (const id of [typeof named === 'string' ? named : undefined, fromRun]) {
    if (id === undefined || id.length > 300) continue;
    const candidate = await candidates.get(id);
    if (candidate?.model === event.model) return candidate;
  }
  if (event.version === undefined) return undefined;
  return (await candidates.listByModel(event.model)).filter((c) => c.version === event.version).at(-1);
}
