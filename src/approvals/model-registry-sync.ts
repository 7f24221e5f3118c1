import type { BotDeps } from '../bot-deps';
import type { DeploymentCandidate, Decision } from '../core/candidate-state-machine';
import { isMlopsError } from '../core/errors';
import type { RegistryDecision } from '../core/candidate';
import type { ModelPackageDecision } from '../core/map-model-package-event';
import {
  applyRegistryDecision,
  approvalDescriptionFor,
  isOwnRegistryChange,
  noteRegistrySynced,
  noteRegistrySyncFailure,
  registryRetryDelayMs,
  registryWriteDue,
} from '../core/registry-sync';
import type { ModelPackageState } from '../core/ports';
import { leasedJob, type LeasedJob, type LeaseTurn } from '../jobs/leased-job';
import { childLogger, type Logger } from '../observability/create-logger';

export const MODEL_REGISTRY_SYNC_JOB = 'model-registry-sync';
/** A Slack decision reaches SageMaker within about this long (a failed write waits longer: registryRetryDelayMs). */
const DEFAULT_INTERVAL_MS = 10_000;
/**
 * A pending package's status is read at most this often (DescribeModelPackage): a decision whose
 * event was lost, or came before its PendingManualApproval (EventBridge does not order), is found.
 */
const RECONCILE_MS = 60_000;
const STOP_WAIT_MS = 5000;

export type PackageDecisionOutcome =
  | 'echo'
  | 'approved'
  | 'rejected'
  | 'noted'
  | 'conflict'
  | 'unchanged'
  | 'unknown_package'
  /** SageMaker does not show a decision for the package (a stale or forged event): nothing applied. */
  | 'not_confirmed'
  /** SageMaker could not be asked: nothing applied now; the reconcile pass reads the package again. */
  | 'unverified';

export interface ModelRegistrySyncReport {
  leader: boolean;
  synced: number;
  /** Decisions found in SageMaker without their event (lost or out of order), applied. */
  reconciled: number;
  conflicts: number;
  /** Writes that failed this pass (retried later). */
  failed: number;
}

export interface ModelRegistrySync {
  /** An Approved / Rejected package event of a followed group (the SNS route): applied to its candidate once. */
  applyDecision(decision: ModelPackageDecision, log: Logger): Promise<PackageDecisionOutcome>;
  /** Writes Slack decisions to SageMaker (UpdateModelPackage), retried until they land. */
  job: LeasedJob<ModelRegistrySyncReport>;
}

/**
 * The SageMaker Model Registry, both ways (contract 10; decisions in core/registry-sync.ts).
 * Inbound: a decision made in SageMaker is applied to the package's candidate by compare-and-set;
 * a Studio approval of a pending candidate continues through the deployments feature's Deploy path
 * (endpoint lock, deterministic run id: crash recovery finishes it too), so it deploys exactly once;
 * the bot's own writes coming back are echoes and change nothing. Outbound: this job writes the
 * bot's decisions (Reject in Slack; a deployment whose trigger was confirmed) with UpdateModelPackage,
 * reading the package first so that a person's decision in SageMaker is never overwritten.
 * A failed write is recorded on the candidate (the card says so) and retried with a backoff;
 * the record is the queue, so restarts and replicas lose nothing.
 */
export function createModelRegistrySync(deps: BotDeps, options: { intervalMs?: number; instanceId?: string } = {}): ModelRegistrySync {
  const config = deps.config.file;
  const log = deps.logger.child({ component: MODEL_REGISTRY_SYNC_JOB });
  const now = () => deps.clock.now().toISOString();

  async function transition<O extends string>(
    id: string,
    decide: (c: DeploymentCandidate) => Decision<O>,
  ): Promise<{ decision: Decision<O>; candidate: DeploymentCandidate }> {
    return deps.candidates.update(id, (current: DeploymentCandidate) => {
      const decision = decide(current);
      if (decision.ok && decision.next !== undefined) return { write: decision.next, result: { decision, candidate: decision.next } };
      return { result: { decision, candidate: current } };
    });
  }

  function deployable(model: string): boolean {
    return config.models[model]?.deploymentDag !== undefined && deps.trigger !== undefined;
  }

  async function findCandidate(model: string, packageArn: string): Promise<DeploymentCandidate | undefined> {
    const all = (await deps.candidates.listByModel(model)) as DeploymentCandidate[];
    return all.find((c) => c.registry?.packageArn === packageArn);
  }

  async function applyDecision(d: ModelPackageDecision, requestLog: Logger): Promise<PackageDecisionOutcome> {
    const c = await findCandidate(d.model, d.package.arn);
    const plog = childLogger(requestLog, { model: d.model, modelPackage: d.package.arn, status: d.status });
    if (c === undefined) {
      // EventBridge does not order events: when the pending one comes later, the reconcile pass finds this decision.
      plog.warn('model package decision for a package without a candidate (its PendingManualApproval not seen yet, or never); ignored');
      return 'unknown_package';
    }
    const clog = childLogger(plog, { candidate: c.id, version: c.version });
    // Whoever may publish to the topic could send this event, and an approval deploys: the bot acts on
    // what SageMaker itself says about the package now (who, when, why), never on the message's word.
    const registry = deps.modelRegistry;
    if (registry === undefined) return 'unverified';
    let pkg: ModelPackageState;
    try {
      pkg = await registry.describePackage(d.package.arn);
    } catch (error) {
      clog.warn({ err: error }, 'model package decision: could not read the package from SageMaker; the reconcile pass will');
      return 'unverified';
    }
    if (pkg.status !== 'Approved' && pkg.status !== 'Rejected') {
      clog.warn({ registryStatus: pkg.status }, 'model package decision not confirmed by SageMaker (stale or forged event); nothing applied');
      return 'not_confirmed';
    }
    if (pkg.status !== d.status) clog.info({ registryStatus: pkg.status }, 'SageMaker shows a newer decision than the event; applying what it shows');
    return applyToCandidate(c, fromPackage(c.model, { ...pkg, status: pkg.status }, d.at), clog);
  }

  /** The decision DescribeModelPackage shows (its time, else `fallbackAt`). */
  function fromPackage(model: string, pkg: ModelPackageState & { status: 'Approved' | 'Rejected' }, fallbackAt: string): RegistryDecision & { model: string } {
    return {
      model,
      status: pkg.status,
      at: pkg.modifiedAt ?? fallbackAt,
      ...(pkg.modifiedBy !== undefined ? { by: pkg.modifiedBy } : {}),
      ...(pkg.description !== undefined ? { description: pkg.description } : {}),
    };
  }

  /** A decision SageMaker shows (its event, or DescribeModelPackage in the reconcile pass), applied to the package's candidate. */
  async function applyToCandidate(c: DeploymentCandidate, d: RegistryDecision & { model: string }, clog: Logger): Promise<PackageDecisionOutcome> {
    // A Studio approval deploys only as a Slack click could without a reason: a failed gate or a freeze holds it.
    const held = d.status === 'Approved' && c.state === 'pending' && deployable(d.model) ? await deps.deployments.overrideChecks(c.id) : [];
    const { decision, candidate } = await transition(c.id, (x) =>
      applyRegistryDecision(x, {
        status: d.status,
        at: d.at,
        ...(d.by !== undefined ? { by: d.by } : {}),
        ...(d.description !== undefined ? { description: d.description } : {}),
        deployable: deployable(d.model),
        now: now(),
        held,
      }),
    );
    if (!decision.ok) return 'unknown_package';
    if (held.length > 0 && decision.outcome === 'noted')
      clog.warn({ held }, 'approved in SageMaker, but deploying needs an override: held for an approver in Slack');
    const outcome = decision.outcome;
    const actor = `sagemaker:${d.by ?? 'unknown'}`;
    if (outcome === 'echo' || outcome === 'unchanged') {
      clog.info({ outcome }, 'model package event: nothing to do (the bot’s own change, or seen before)');
      if (decision.next !== undefined) await deps.deployments.showCard(c.id, clog);
      return outcome;
    }
    if (outcome === 'conflict')
      clog.warn({ state: candidate.state, by: d.by }, 'SageMaker shows another decision than the bot took: shown on the card, not overwritten');
    else clog.info({ outcome, by: d.by }, 'model package decision made in SageMaker applied');
    if (outcome === 'approved' || outcome === 'rejected') {
      await deps.audit.append({
        at: now(),
        model: candidate.model,
        version: candidate.version,
        candidateId: candidate.id,
        action: outcome,
        actor,
        detail: `in SageMaker${d.description !== undefined ? `: ${d.description.slice(0, 500)}` : ''}`,
      });
    }
    if (outcome === 'approved' && candidate.state === 'approved') {
      // The Deploy path from the endpoint lock on: same run id rules, recovery finishes it after a crash.
      const result = await deps.deployments.continueApproved(c.id, clog, actor);
      clog.info({ result: result.kind }, 'deployment after the SageMaker approval');
      return outcome;
    }
    await deps.deployments.showCard(c.id, clog);
    return outcome;
  }

  /** One candidate's write: read the package, then write only if SageMaker does not say so (or otherwise) already. */
  async function syncOne(c: DeploymentCandidate, want: 'Approved' | 'Rejected', clog: Logger): Promise<'synced' | 'conflict' | 'failed'> {
    const registry = deps.modelRegistry;
    const arn = c.registry?.packageArn;
    if (registry === undefined || arn === undefined) return 'failed';
    try {
      const pkg = await registry.describePackage(arn);
      if ((pkg.status === 'Approved' || pkg.status === 'Rejected') && pkg.status !== want && !isOwnRegistryChange(pkg.description)) {
        // A person decided otherwise in SageMaker (its event may still be on its way): shown, never overwritten.
        await transition(c.id, (x) =>
          applyRegistryDecision(x, {
            status: pkg.status as 'Approved' | 'Rejected',
            at: pkg.modifiedAt ?? now(),
            ...(pkg.modifiedBy !== undefined ? { by: pkg.modifiedBy } : {}),
            ...(pkg.description !== undefined ? { description: pkg.description } : {}),
            deployable: false,
            now: now(),
          }),
        );
        clog.warn({ registryStatus: pkg.status, by: pkg.modifiedBy }, 'model registry sync: SageMaker shows another decision; not overwritten');
        return 'conflict';
      }
      if (pkg.status !== want) await registry.setApproval(arn, want, approvalDescriptionFor(c, want));
      await transition(c.id, (x) => noteRegistrySynced(x, { status: want, at: now() }));
      clog.info({ status: want, written: pkg.status !== want }, 'model registry sync: the package shows the decision');
      return 'synced';
    } catch (error) {
      const message = isMlopsError(error) || error instanceof Error ? error.message : 'the SageMaker call failed';
      const failed = await transition(c.id, (x) => noteRegistrySyncFailure(x, { status: want, message, at: now() }));
      clog.warn({ err: error, attempts: failed.candidate.registry?.syncFailure?.attempts }, 'model registry sync: UpdateModelPackage failed; will retry');
      return 'failed';
    }
  }

  async function pass(turn: LeaseTurn): Promise<ModelRegistrySyncReport> {
    const report: ModelRegistrySyncReport = { leader: true, synced: 0, reconciled: 0, conflicts: 0, failed: 0 };
    const seen = new Set<string>();
    for (const [model, m] of Object.entries(config.models)) {
      if (m.modelPackageGroup === undefined) continue;
      for (const c of (await deps.candidates.listByModel(model)) as DeploymentCandidate[]) {
        if (turn.stopping()) return report;
        seen.add(c.id);
        if (await reconcile(c, turn)) report.reconciled++;
        const want = registryWriteDue(c);
        if (want === undefined) continue;
        const failure = c.registry?.syncFailure;
        if (failure !== undefined && deps.clock.now().getTime() - Date.parse(failure.at) < registryRetryDelayMs(failure.attempts)) continue;
        if (!(await turn.keep())) return report;
        const clog = log.child({ model, candidate: c.id, version: c.version, modelPackage: c.registry?.packageArn });
        const outcome = await syncOne(c, want, clog);
        deps.metrics.modelRegistryWrites.inc({ result: outcome === 'synced' ? 'ok' : outcome });
        if (outcome === 'synced') report.synced++;
        else if (outcome === 'conflict') report.conflicts++;
        else report.failed++;
        await deps.deployments.showCard(c.id, clog);
      }
    }
    for (const id of lastRead.keys()) if (!seen.has(id)) lastRead.delete(id);
    return report;
  }

  /** When this replica last read each pending package (a new leader reads them all once, which is cheap). */
  const lastRead = new Map<string, number>();

  /** A pending package's status in SageMaker, read every RECONCILE_MS: a decision made there is applied as its event would be. */
  async function reconcile(c: DeploymentCandidate, turn: LeaseTurn): Promise<boolean> {
    const registry = deps.modelRegistry;
    const arn = c.registry?.packageArn;
    if (registry === undefined || arn === undefined || c.state !== 'pending' || c.registry?.external !== undefined) return false;
    const at = deps.clock.now().getTime();
    if (at - (lastRead.get(c.id) ?? Number.NEGATIVE_INFINITY) < RECONCILE_MS) return false;
    if (!(await turn.keep())) return false;
    lastRead.set(c.id, at);
    const clog = log.child({ model: c.model, candidate: c.id, version: c.version, modelPackage: arn });
    let pkg: Awaited<ReturnType<typeof registry.describePackage>>;
    try {
      pkg = await registry.describePackage(arn);
    } catch (error) {
      clog.warn({ err: error }, 'model registry sync: could not read a pending package; will read it again');
      return false;
    }
    if ((pkg.status !== 'Approved' && pkg.status !== 'Rejected') || isOwnRegistryChange(pkg.description)) return false;
    clog.warn({ status: pkg.status, by: pkg.modifiedBy }, 'model registry sync: SageMaker shows a decision whose event did not arrive; applying it');
    const outcome = await applyToCandidate(c, fromPackage(c.model, { ...pkg, status: pkg.status }, new Date(at).toISOString()), clog);
    return outcome !== 'unchanged';
  }

  const job = leasedJob<ModelRegistrySyncReport>({
    name: MODEL_REGISTRY_SYNC_JOB,
    store: deps.store,
    logger: deps.logger,
    ...(options.instanceId !== undefined ? { holder: options.instanceId } : {}),
    intervalMs: options.intervalMs ?? DEFAULT_INTERVAL_MS,
    runAtStart: true,
    stopWaitMs: STOP_WAIT_MS,
    // A successor must not write beside a write still in flight here (harmless, but logged twice).
    releaseAtStop: 'after-wait',
    idle: () => ({ leader: false, synced: 0, reconciled: 0, conflicts: 0, failed: 0 }),
    pass,
  });

  return { applyDecision, job };
}
