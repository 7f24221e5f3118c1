import {
  candidateIdOfRunId,
  confirmTrigger,
  markDeployed,
  isUnpromotedShadow,
  markDeployFailed,
  noteProgress,
  supersede,
  type DeploymentCandidate,
} from '../core/candidate-state-machine';
import { compareVersions } from '../core/compare-versions';
import type { PipelineEvent } from '../core/pipeline-event';
import type { Logger } from '../observability/create-logger';
import type { CandidateRepository } from './candidate-repository';
import type { DeploymentDeps, DeploymentService } from './deployment-service';
import type { ProductionRegistry } from './production-registry';

const MAX_FAILURE_REASON = 2000;
/** Longer than any candidate id (model + version + hash): an echoed id beyond it is not ours. */
const MAX_ECHOED_ID = 300;

/**
 * The candidate a deployment event is about, the one lookup used by the outcome, the production
 * baseline and the event's placement in Slack: the candidate the pipeline names (conf's
 * `candidate_id`, or our dag_run_id echoed as its run id) when it is of the event's model and
 * version; else the in-flight candidate of that version (deploying, approved, pending after a
 * failed attempt, then one already in the event's end state), newest first. A candidate never
 * taken to a deployment (pending without an attempt, rejected, superseded) is not guessed.
 */
export async function findDeploymentCandidate(
  candidates: Pick<CandidateRepository, 'get' | 'listByModel'>,
  event: PipelineEvent,
): Promise<DeploymentCandidate | undefined> {
  const version = event.version;
  if (version === undefined) return undefined;
  const echoed = event['candidate_id'] ?? event['candidateId'];
  for (const id of [typeof echoed === 'string' && echoed !== '' ? echoed : undefined, candidateIdOfRunId(event.run?.runId)]) {
    if (id === undefined || id.length > MAX_ECHOED_ID) continue;
    const c = await candidates.get(id);
    if (c?.model === event.model && c.version === version) return c;
  }
  const done = event.type === 'deployment.failed' ? 'deploy_failed' : 'deployed';
  const rank = (c: DeploymentCandidate): number =>
    c.state === 'deploying' ? 0 : c.state === 'approved' ? 1 : c.state === 'pending' && c.attempt > 0 ? 2 : c.state === done ? 3 : 9;
  const matches = ((await candidates.listByModel(event.model)) as DeploymentCandidate[])
    .filter((c) => c.version === version && rank(c) < 9)
    .sort((a, b) => rank(a) - rank(b) || b.updatedAt.localeCompare(a.updatedAt));
  return matches[0];
}

/**
 * deployment.succeeded makes its version the model's production baseline: the metrics come from
 * the event when given, else from its candidate. Idempotent: the same version twice changes nothing.
 */
export async function recordProductionBaseline(
  deps: { production: ProductionRegistry },
  event: PipelineEvent,
  candidate: DeploymentCandidate | undefined,
): Promise<void> {
  if (event.type !== 'deployment.succeeded' || event.version === undefined) return;
  // A shadow serves no production traffic until it is promoted.
  if (isUnpromotedShadow(candidate)) return;
  const current = await deps.production.current(event.model);
  if (current?.version === event.version) return;
  await deps.production.recordDeployed({
    model: event.model,
    version: event.version,
    ...(candidate !== undefined ? { candidateId: candidate.id } : {}),
    metrics: event.metrics ?? candidate?.metrics ?? {},
    ...(event.endpoint !== undefined ? { endpoint: event.endpoint } : candidate?.endpoint !== undefined ? { endpoint: candidate.endpoint } : {}),
    deployedAt: event.timestamp,
    ...(candidate !== undefined && candidate.approvals.length > 0 ? { approvedBy: candidate.approvals.map((a) => a.userId) } : {}),
  });
}

/**
 * deployment.started / succeeded / failed → the production baseline, then the candidate's state,
 * the endpoint lock, superseded candidates, the audit and the candidates' cards (issue 4). The
 * delivery planner routes every deployment.* event here before it queues the event's own
 * messages, so those render the new baseline and states. At-least-once, so idempotent: each
 * transition is a state-machine decision (a repeat changes nothing and is not audited twice);
 * the baseline, lock release and card update are safe to repeat.
 */
export function pipelineEventOutcome(deps: DeploymentDeps, deployments: DeploymentService): (event: PipelineEvent) => Promise<void> {
  const baseLog = deps.logger.child({ component: 'deployment-outcome' });

  async function apply(event: PipelineEvent): Promise<void> {
    if (!event.type.startsWith('deployment.') || event.version === undefined) return;
    const version = event.version;
    const log = baseLog.child({ model: event.model, version, eventId: event.id, type: event.type });
    // Looked up once, before any change: the baseline and the outcome agree on the candidate.
    const candidate = await findDeploymentCandidate(deps.candidates, event);
    await recordProductionBaseline(deps, event, candidate);
    const clog = candidate !== undefined ? log.child({ candidate: candidate.id, run: candidate.dagRunId }) : log;
    const at = deps.clock.now().toISOString();

    if (event.type === 'deployment.started' || event.type === 'deployment.progress') {
      // The pipeline started the run: the trigger is confirmed, recovery must not re-send it.
      const dagRunId = candidate?.dagRunId;
      if (candidate?.state === 'deploying' && dagRunId !== undefined && candidate.triggerConfirmedAt === undefined) {
        const confirmed = await deployments.transition(candidate.id, (c) => confirmTrigger(c, { dagRunId, at }));
        // A trigger in doubt is settled by the pipeline itself: the message drops "confirming".
        if (candidate.triggerDoubt !== undefined && confirmed.decision.ok && confirmed.decision.outcome === 'confirmed') {
          await deployments.audit('deploy_triggered', confirmed.candidate, 'pipeline', 'confirmed by deployment.started after an unclear trigger answer');
          await deployments.refresh(candidate.id, clog);
        }
      }
      if (event.type === 'deployment.progress' && candidate !== undefined && event.progress !== undefined) {
        const { trafficPercent, step, steps, bakingUntil } = event.progress;
        const progress = {
          trafficPercent,
          ...(step !== undefined ? { step } : {}),
          ...(steps !== undefined ? { steps } : {}),
          ...(bakingUntil !== undefined ? { bakingUntil } : {}),
          reportedAt: event.timestamp,
        };
        const noted = await deployments.transition(candidate.id, (c) => noteProgress(c, { progress, at }));
        if (noted.decision.ok && noted.decision.outcome === 'noted') await deployments.refresh(candidate.id, clog);
        else if (!noted.decision.ok) clog.info({ state: noted.candidate.state }, 'deployment.progress for a candidate not being deployed: ignored');
      }
      return;
    }

    if (candidate === undefined) {
      clog.info('deployment outcome without a known candidate (deployed outside the bot?)');
      await releaseLockOfVersion(event, version);
    } else if (event.type === 'deployment.succeeded') {
      // The run is over whatever the record says: the endpoint is free before the candidate shows
      // its outcome (so no one sees "deployed" while the lock still names it).
      await deployments.lock.release(deployments.endpointOf(candidate), candidate.id);
      const { decision, candidate: after } = await deployments.transition(candidate.id, (c) => markDeployed(c, { at }));
      if (!decision.ok) {
        clog.warn({ state: candidate.state }, 'deployment.succeeded for a candidate that was rejected or superseded: left as it is');
      } else if (decision.outcome === 'deployed') {
        const rollback = after.origin === 'rollback-command';
        await deployments.audit(
          rollback ? 'rolled_back' : 'deployed',
          after,
          'pipeline',
          `live on ${deployments.endpointOf(after)}${rollback && after.replacesVersion !== undefined ? ` (replacing ${after.replacesVersion})` : ''}`,
        );
        clog.info('candidate deployed');
      }
      await deployments.refresh(candidate.id, clog);
    } else if (event.type === 'deployment.failed') {
      const reason = failureReason(event);
      await deployments.lock.release(deployments.endpointOf(candidate), candidate.id);
      const { decision, candidate: after } = await deployments.transition(candidate.id, (c) => markDeployFailed(c, { at, reason }));
      if (!decision.ok) {
        clog.warn({ state: candidate.state }, 'deployment.failed for a candidate that was not being deployed: left as it is');
      } else if (decision.outcome === 'deploy_failed') {
        await deployments.audit('deploy_failed', after, 'pipeline', reason);
        clog.warn({ reason }, 'candidate deployment failed');
      }
      await deployments.refresh(candidate.id, clog);
    }

    if (event.type === 'deployment.succeeded') await supersedeOlder(event.model, version, candidate?.id, at, log);
  }

  async function releaseLockOfVersion(event: PipelineEvent, version: string): Promise<void> {
    const endpoint = event.endpoint ?? deps.config.file.models[event.model]?.endpoint;
    if (endpoint === undefined) return;
    const holder = await deployments.lock.read(endpoint);
    if (holder?.model === event.model && holder.version === version) await deployments.lock.release(endpoint, holder.candidateId);
  }

  /** Pending candidates of the same or an older version cannot be worth deploying any more. */
  async function supersedeOlder(model: string, version: string, deployedId: string | undefined, at: string, log: Logger): Promise<void> {
    const candidates = (await deps.candidates.listByModel(model)) as DeploymentCandidate[];
    for (const c of candidates) {
      if (c.state !== 'pending' || c.id === deployedId || compareVersions(c.version, version) > 0) continue;
      const { decision, candidate } = await deployments.transition(c.id, (x) => supersede(x, { by: version, at }));
      if (!decision.ok) continue;
      await deployments.audit('superseded', candidate, 'pipeline', `superseded by ${version}`);
      log.info({ candidate: c.id, supersededVersion: c.version }, 'candidate superseded');
      await deployments.refresh(c.id, log);
    }
  }

  return apply;
}

function failureReason(event: PipelineEvent): string {
  const error = event.error;
  if (error === undefined) return 'the deployment DAG reported a failure';
  const text = error.task !== undefined ? `${error.task}: ${error.message}` : error.message;
  return text.length > MAX_FAILURE_REASON ? `${text.slice(0, MAX_FAILURE_REASON - 1)}…` : text;
}
