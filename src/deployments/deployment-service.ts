import type { BotDeps } from '../bot-deps';
import { approversFor, describePrincipals } from '../core/authorization';
import {
  approve,
  approverIds,
  attachMessage,
  commandCandidate,
  confirmTrigger,
  deploymentConf,
  doubtTrigger,
  failTrigger,
  holdsEndpoint,
  isConfirming,
  isDefinitiveTriggerFailure,
  markDeployFailed,
  decideShadow,
  settleShadowTrigger,
  type ShadowAction,
  noteDoubtCheck,
  reject,
  releaseApproval,
  requestRollback,
  startDeployment,
  type Decision,
  type DeploymentCandidate,
} from '../core/candidate-state-machine';
import { chooseStrategy, DEFAULT_STRATEGY, isGradual, offeredStrategies, type StrategyOption } from '../core/deployment-strategy';
import { ErrorCode, isMlopsError, MlopsError } from '../core/errors';
import { waitAtMost } from '../core/time-limit';
import { activeFreeze, candidateGate } from '../core/approval-gate';
import { childLogger, type Logger } from '../observability/create-logger';
import type { AuditAction } from './audit-log';
import type { CandidateCards } from './candidate-messages';
import type { DeployResult, MessageRef, RejectResult, RollbackResult } from './deployments-api';
import { createEndpointLock, type EndpointLockHolder } from './endpoint-lock';

/** How long the "Deploying…" message update may hold back the trigger (Slack slow or rate limited). */
const MESSAGE_BEFORE_TRIGGER_MS = 2000;

export type { DeployResult, MessageRef, RejectResult, RollbackResult };

/** What the deployment engine reads and writes: the bot's adapters, without the features built from them. */
export type DeploymentDeps = Pick<
  BotDeps,
  'config' | 'store' | 'logger' | 'metrics' | 'clock' | 'trigger' | 'candidates' | 'production' | 'audit' | 'principals'
>;

/**
 * Approve → lock → deploying → trigger, and reject / cancel / rollback: the one path behind the
 * evaluation message's buttons, the command cards and crash recovery. Every state change is a
 * state-machine decision applied with compare-and-set (CandidateRepository.update), so concurrent
 * clicks on several replicas trigger a deployment exactly once. Internal to src/deployments: the
 * rest of the bot uses the narrow `Deployments` of create-deployments.ts. The candidate's card is
 * shown through `cards` (the click path's interactive client, or the outbox in the background).
 */
export function createDeploymentService(deps: DeploymentDeps, cards: CandidateCards) {
  const config = deps.config.file;
  const lockTimeoutMinutes = config.deployments.lockTimeoutMinutes;
  const lock = createEndpointLock({ store: deps.store, ttlMs: lockTimeoutMinutes * 60_000 });
  const now = () => deps.clock.now().toISOString();

  async function get(id: string): Promise<DeploymentCandidate | undefined> {
    return deps.candidates.get(id);
  }

  /** Applies a state-machine decision atomically; returns it with the resulting record. */
  async function transition<O extends string>(
    id: string,
    decide: (c: DeploymentCandidate) => Decision<O>,
  ): Promise<{ decision: Decision<O>; candidate: DeploymentCandidate }> {
    return deps.candidates.update(id, (current: DeploymentCandidate) => {
      const decision = decide(current);
      if (decision.ok && decision.next !== undefined) {
        return { write: decision.next, result: { decision, candidate: { ...decision.next, rev: current.rev + 1 } } };
      }
      return { result: { decision, candidate: current } };
    });
  }

  /**
   * The candidate that puts `target` (an earlier production version) back in place of `from`; its
   * source id makes it one per origin (a failed deployment's button, a degraded bake's button).
   */
  function rollbackCandidate(
    from: DeploymentCandidate,
    target: { version: string; metrics: DeploymentCandidate['metrics']; endpoint?: string },
    sourceId: string,
    requestedBy: string,
  ): DeploymentCandidate {
    const model = config.models[from.model];
    const endpoint = model?.endpoint ?? from.endpoint ?? target.endpoint;
    return commandCandidate({
      origin: 'rollback-command',
      model: from.model,
      version: target.version,
      sourceId,
      metrics: target.metrics,
      requiredApprovals: model?.requiredApprovals ?? 1,
      requestedBy,
      at: now(),
      replacesVersion: from.version,
      ...(endpoint !== undefined ? { endpoint } : {}),
    });
  }

  async function isLive(holder: EndpointLockHolder): Promise<boolean> {
    if (holder.candidateId === '') return false;
    const c = await get(holder.candidateId);
    return c !== undefined && holdsEndpoint(c);
  }

  /**
   * Where a candidate deploys: the model's configured endpoint wins over what an event said (an
   * event must not aim the lock and the DAG's conf at another model's endpoint).
   */
  function targetEndpoint(c: Pick<DeploymentCandidate, 'model' | 'endpoint'>): string | undefined {
    return config.models[c.model]?.endpoint ?? c.endpoint;
  }

  /** The lock's scope: the endpoint, or the model when no endpoint is known. */
  function endpointOf(c: DeploymentCandidate): string {
    return targetEndpoint(c) ?? `model-${c.model}`;
  }

  /** The candidate names another endpoint than its model's configured one (shown on the card, refused). */
  function endpointMismatch(c: Pick<DeploymentCandidate, 'model' | 'endpoint'>): { named: string; configured: string } | undefined {
    const configured = config.models[c.model]?.endpoint;
    if (configured === undefined || c.endpoint === undefined || c.endpoint === configured) return undefined;
    return { named: c.endpoint, configured };
  }

  function prerequisiteProblem(c: Pick<DeploymentCandidate, 'model'>): string | undefined {
    const model = config.models[c.model];
    if (model === undefined) return `${c.model} is not in the configuration (models.${c.model}), so it cannot be deployed.`;
    if (model.deploymentDag === undefined) return `${c.model} has no deployment DAG configured (models.${c.model}.deploymentDag), so it cannot be deployed.`;
    if (deps.trigger === undefined) return 'No DAG trigger is configured (config `trigger`), so deployments cannot start.';
    return undefined;
  }

  /**
   * A Model Registry package of a model without a deployment DAG (contract 10): Deploy approves it in
   * the registry only (the registry sync writes Approved); nothing is locked or triggered.
   */
  function isRegistryOnly(c: Pick<DeploymentCandidate, 'model' | 'registry' | 'origin'>): boolean {
    const model = config.models[c.model];
    return (
      model !== undefined &&
      model.deploymentDag === undefined &&
      c.origin === 'evaluation' &&
      c.registry !== undefined &&
      model.modelPackageGroup === c.registry.group
    );
  }

  async function authorize(userId: string, model: string): Promise<{ ok: true } | { ok: false; who: string }> {
    const principals = approversFor(config, model);
    if (await deps.principals.includes(userId, principals, false)) return { ok: true };
    return { ok: false, who: describePrincipals(principals) };
  }

  /**
   * The candidate a click is about, with a logger carrying it, once the clicker is known to be an
   * approver of its model; otherwise the refusal to return as is.
   */
  async function loadForApprover(
    input: { candidateId: string; userId: string; log: Logger },
    what: string,
  ): Promise<
    { ok: true; c: DeploymentCandidate; log: Logger } | { ok: false; result: { kind: 'not_found' } | { kind: 'not_authorized'; model: string; who: string } }
  > {
    const c = await get(input.candidateId);
    if (c === undefined) return { ok: false, result: { kind: 'not_found' } };
    const log = childLogger(input.log, { model: c.model, version: c.version, candidate: c.id });
    const auth = await authorize(input.userId, c.model);
    if (!auth.ok) {
      deps.metrics.approvals.inc({ outcome: 'refused' });
      log.info(`${what} refused: not an approver`);
      return { ok: false, result: { kind: 'not_authorized', model: c.model, who: auth.who } };
    }
    return { ok: true, c, log };
  }

  /** The strategy a completing approval deploys with: the pick among the model's strategies; rollbacks go all at once. */
  function strategyOf(c: DeploymentCandidate, pick: string | undefined): StrategyOption {
    if (c.origin === 'rollback-command') return DEFAULT_STRATEGY;
    return chooseStrategy(offeredStrategies(config.models[c.model]?.strategies), pick);
  }

  async function audit(action: AuditAction, c: DeploymentCandidate, actor: string, detail?: string): Promise<void> {
    const primary = config.models[c.model]?.primaryMetric;
    const value = primary !== undefined ? c.metrics[primary] : undefined;
    await deps.audit.append({
      at: now(),
      model: c.model,
      version: c.version,
      candidateId: c.id,
      action,
      actor,
      ...(c.dagRunId !== undefined ? { dagRunId: c.dagRunId } : {}),
      ...(detail !== undefined ? { detail } : {}),
      ...(primary !== undefined && value !== undefined ? { primaryMetric: { name: primary, value } } : {}),
    });
  }

  /** Message updates never fail the decision they show. */
  async function refresh(id: string, log: Logger, now: 'now' | 'queued' = 'queued'): Promise<void> {
    await (now === 'now' ? cards.showNow(id, log) : cards.show(id, log)).catch((error: unknown) =>
      childLogger(log, { candidate: id }).warn({ err: error }, 'could not refresh the candidate message'),
    );
  }

  function purposeOf(c: DeploymentCandidate): 'deployment' | 'rollback' {
    return c.origin === 'rollback-command' ? 'rollback' : 'deployment';
  }

  async function attachIfUnknown(c: DeploymentCandidate, message: MessageRef | undefined): Promise<void> {
    if (c.message !== undefined || message === undefined) return;
    await transition(c.id, (x) => attachMessage(x, { ...message, at: now() }));
  }

  /** Starts the trigger of a candidate in `deploying` (first call, or a recovery retry with the same dag_run_id). */
  async function runTrigger(d: DeploymentCandidate, log: Logger, actor: string): Promise<DeployResult> {
    const dagId = config.models[d.model]?.deploymentDag;
    const dagRunId = d.dagRunId;
    const purpose = purposeOf(d);
    if (dagRunId === undefined) return { kind: 'refused', refusal: { code: 'state_conflict', state: d.state }, candidate: d };
    let alreadyTriggered: boolean;
    try {
      if (dagId === undefined || deps.trigger === undefined) {
        throw new MlopsError(ErrorCode.TriggerFailed, prerequisiteProblem(d) ?? 'The deployment DAG is not configured.');
      }
      const result = await deps.trigger.trigger({ dagId, dagRunId, conf: deploymentConf(d, targetEndpoint(d)) });
      alreadyTriggered = result.alreadyTriggered;
    } catch (error) {
      const code = isMlopsError(error) ? error.code : ErrorCode.TriggerFailed;
      const message = isMlopsError(error) || error instanceof Error ? error.message : 'an unexpected error occurred while starting the DAG';
      // Only a proven refusal frees the endpoint; anything else may have started the run.
      // (No DAG or trigger configured: nothing was sent at all.)
      const notSent = dagId === undefined || deps.trigger === undefined;
      const definitive = notSent || (isMlopsError(error) && isDefinitiveTriggerFailure(code, error.details));
      deps.metrics.dagTriggers.inc({ purpose, result: definitive ? 'failed' : 'unclear' });
      log.warn(
        { err: error, code, definitive },
        definitive ? 'the deployment trigger was refused' : 'the deployment trigger outcome is unknown: keeping the endpoint and confirming',
      );
      if (!definitive) {
        const doubted = await transition(d.id, (x) => doubtTrigger(x, { dagRunId, at: now(), error: { code, message } }));
        if (!doubted.decision.ok) {
          // Confirmed meanwhile (deployment.started, recovery), or moved on: report what it is now.
          return doubted.candidate.state === 'deploying' && doubted.candidate.triggerConfirmedAt !== undefined
            ? { kind: 'deploying', candidate: doubted.candidate, alreadyTriggered: true }
            : { kind: 'refused', refusal: doubted.decision.refusal, candidate: doubted.candidate };
        }
        if (d.triggerDoubt === undefined) await audit('trigger_unclear', doubted.candidate, actor, `${code}: ${message}`);
        await refresh(d.id, log);
        return { kind: 'confirming', candidate: doubted.candidate, endpoint: endpointOf(d) };
      }
      const failed = await transition(d.id, (x) => failTrigger(x, { dagRunId, at: now(), error: { code, message }, definitive }));
      if (!failed.decision.ok) {
        // Recovery or deployment.started confirmed the run meanwhile: it exists.
        return { kind: 'deploying', candidate: failed.candidate, alreadyTriggered: true };
      }
      await lock.release(endpointOf(d), d.id);
      await audit('trigger_failed', failed.candidate, actor, `${code}: ${message}`);
      await refresh(d.id, log);
      return { kind: 'trigger_failed', candidate: failed.candidate, code, message };
    }
    deps.metrics.dagTriggers.inc({ purpose, result: alreadyTriggered ? 'already_triggered' : 'ok' });
    const confirmed = await transition(d.id, (x) => confirmTrigger(x, { dagRunId, at: now() }));
    if (confirmed.decision.ok && confirmed.decision.outcome === 'confirmed') {
      deps.metrics.approvals.inc({ outcome: 'deployed' });
      await audit(
        'deploy_triggered',
        confirmed.candidate,
        actor,
        alreadyTriggered
          ? 'the run already existed (retry of the same attempt)'
          : d.triggerDoubt !== undefined
            ? 'started again with the same run id: the run state showed no such run'
            : undefined,
      );
    }
    log.info({ alreadyTriggered, dagId }, 'deployment DAG triggered');
    // A re-trigger after a doubt: the card still says "confirming".
    if (d.triggerDoubt !== undefined) await refresh(d.id, log);
    return { kind: 'deploying', candidate: confirmed.candidate, alreadyTriggered };
  }

  /**
   * approved → (endpoint lock) → deploying → trigger. Used by the last approval (`from: 'click'`:
   * the card says "Deploying…" before the trigger, in the user's own request) and by recovery.
   */
  async function continueDeployment(candidateId: string, log: Logger, actor: string, from: 'click' | 'background' = 'background'): Promise<DeployResult> {
    const c = await get(candidateId);
    if (c === undefined) return { kind: 'not_found' };
    if (c.state !== 'approved') return { kind: 'refused', refusal: { code: 'state_conflict', state: c.state }, candidate: c };
    const mismatch = endpointMismatch(c);
    if (mismatch !== undefined) {
      const released = await transition(c.id, (x) => releaseApproval(x, { at: now() }));
      await refresh(c.id, log);
      return { kind: 'endpoint_mismatch', candidate: released.candidate, ...mismatch };
    }
    const endpoint = endpointOf(c);
    const holder: EndpointLockHolder = { candidateId: c.id, model: c.model, version: c.version, endpoint, since: now(), approvedBy: approverIds(c) };
    const acquired = await lock.acquire(holder, isLive);
    if (!acquired.acquired) {
      await transition(c.id, (x) => releaseApproval(x, { at: now() }));
      deps.metrics.approvals.inc({ outcome: 'refused' });
      log.info({ endpoint, holder: acquired.holder }, 'deployment refused: the endpoint is busy');
      await refresh(c.id, log);
      return { kind: 'busy', endpoint, holder: acquired.holder };
    }
    const started = await transition(c.id, (x) => startDeployment(x, { at: now() }));
    if (!started.decision.ok) {
      if (!holdsEndpoint(started.candidate)) await lock.release(endpoint, c.id);
      return { kind: 'refused', refusal: started.decision.refusal, candidate: started.candidate };
    }
    const d = started.candidate;
    const runLog = childLogger(log, { run: d.dagRunId, attempt: d.attempt });
    // "Deploying 1.4.0 to …" with the buttons gone, before the trigger (so no second click races it);
    // a slow Slack must not hold the trigger back. Recovery has no one waiting: the outbox shows it.
    if (from === 'click') await waitAtMost(refresh(d.id, runLog, 'now'), MESSAGE_BEFORE_TRIGGER_MS);
    else await refresh(d.id, runLog);
    return runTrigger(d, runLog, actor);
  }

  /** A Deploy (or Approve) click. */
  /**
   * What this deployment would have to override (contract 10), plain text, empty when nothing: the
   * non-regression gate's problems (not for rollbacks: going back is the point) and a freeze window.
   */
  async function overrideChecks(c: DeploymentCandidate): Promise<string[]> {
    const checks: string[] = [];
    if (config.approvals.gate !== undefined) {
      const production = (await deps.production.history(c.model)).find((r) => r.version !== c.version);
      const gate = candidateGate(config.approvals.gate, c, config.models[c.model], production);
      checks.push(...(gate?.problems ?? []).map((p) => `non-regression gate: ${p}`));
    }
    const freeze = activeFreeze(config.approvals.freeze, deps.clock.now());
    if (freeze !== undefined) {
      checks.push(`freeze window (${freeze.window.cron}, ${freeze.window.timezone}) until ${freeze.until.toISOString().replace('.000Z', 'Z')}`);
    }
    return checks;
  }

  async function approveClick(input: {
    candidateId: string;
    userId: string;
    message?: MessageRef;
    strategyPick?: string;
    overrideReason?: string;
    log: Logger;
  }): Promise<DeployResult> {
    const loaded = await loadForApprover(input, 'deploy click');
    if (!loaded.ok) return loaded.result;
    const { c, log } = loaded;
    const registryOnly = isRegistryOnly(c);
    const problem = registryOnly ? undefined : prerequisiteProblem(c);
    if (problem !== undefined) return { kind: 'not_configured', problem };
    if (isConfirming(c)) return { kind: 'confirming', candidate: c, endpoint: endpointOf(c) };
    const mismatch = endpointMismatch(c);
    if (mismatch !== undefined) {
      deps.metrics.approvals.inc({ outcome: 'refused' });
      log.warn(mismatch, 'deploy click refused: the evaluation names another endpoint than the configured one');
      // The card then shows the mismatch too (its notice is derived from the record and the config).
      await attachIfUnknown(c, input.message);
      await refresh(c.id, log);
      return { kind: 'endpoint_mismatch', candidate: c, ...mismatch };
    }
    await attachIfUnknown(c, input.message);
    const settings = { userId: input.userId, forbidSelfApproval: config.approvals.forbidSelfApproval, ...(registryOnly ? { registryOnly } : {}) };
    // Refuse a busy endpoint before recording the last approval, so that nothing changes.
    const dryRun = approve(c, { ...settings, at: now() });
    // A failed gate or a freeze window: this approval needs a reason (asked in a form) before anything changes.
    const checks = dryRun.ok ? await overrideChecks(c) : [];
    const reason = input.overrideReason?.trim() ?? '';
    if (checks.length > 0 && reason === '') {
      log.info({ checks }, 'deploy click needs an override reason');
      return { kind: 'override_required', candidate: c, checks };
    }
    const override = checks.length > 0 ? { reason, by: input.userId, at: now(), checks } : undefined;
    if (dryRun.ok && dryRun.outcome === 'complete' && !registryOnly) {
      const endpoint = endpointOf(c);
      const holder = await lock.busyFor(endpoint, c.id, isLive);
      if (holder !== undefined) {
        deps.metrics.approvals.inc({ outcome: 'refused' });
        const holderCandidate = await get(holder.candidateId);
        const confirming = holderCandidate !== undefined && isConfirming(holderCandidate);
        log.info({ endpoint, holder, confirming }, 'deploy click refused: the endpoint is busy');
        return { kind: 'busy', endpoint, holder, ...(confirming ? { holderCandidate } : {}) };
      }
    }
    const strategy = strategyOf(c, input.strategyPick);
    const { decision, candidate } = await transition(c.id, (x) =>
      approve(x, { ...settings, at: now(), strategy, ...(override !== undefined ? { override } : {}) }),
    );
    if (!decision.ok) {
      deps.metrics.approvals.inc({ outcome: decision.refusal.code === 'self_approval' ? 'refused' : 'conflict' });
      log.info({ refusal: decision.refusal }, 'deploy click changed nothing');
      return { kind: 'refused', refusal: decision.refusal, candidate };
    }
    deps.metrics.approvals.inc({ outcome: 'approved' });
    await audit(
      'approved',
      candidate,
      input.userId,
      `${approverIds(candidate).length} of ${candidate.requiredApprovals} approvals${override !== undefined ? `; override of ${override.checks.join('; ')}: ${override.reason}` : ''}`,
    );
    log.info({ approvals: approverIds(candidate), outcome: decision.outcome }, 'approval recorded');
    if (decision.outcome === 'recorded' || registryOnly) {
      await refresh(c.id, log);
      return { kind: 'recorded', candidate };
    }
    return continueDeployment(c.id, log, input.userId, 'click');
  }

  /**
   * Settles a trigger in doubt through the trigger's run state: found => confirmed (deploying, the
   * run is followed); proven absent => the SAME dag_run_id is triggered again (idempotent, and safe
   * against the lost request arriving late); the status call failing too => still confirming,
   * counted, asked again at the next recovery scan. The endpoint lock is renewed each time, so it
   * does not lapse while the doubt lasts.
   */
  async function confirmInDoubt(candidateId: string, log: Logger): Promise<DeployResult> {
    const c = await get(candidateId);
    if (c === undefined) return { kind: 'not_found' };
    const dagRunId = c.dagRunId;
    if (!isConfirming(c) || dagRunId === undefined) return { kind: 'refused', refusal: { code: 'state_conflict', state: c.state }, candidate: c };
    const runLog = childLogger(log, { model: c.model, version: c.version, candidate: c.id, run: dagRunId });
    const dagId = config.models[c.model]?.deploymentDag;
    const endpoint = endpointOf(c);
    if (dagId === undefined || deps.trigger === undefined) {
      runLog.warn('cannot confirm a deployment in doubt: the deployment DAG or the trigger is no longer configured');
      return { kind: 'confirming', candidate: c, endpoint };
    }
    const acquired = await lock.acquire(
      { candidateId: c.id, model: c.model, version: c.version, endpoint, since: c.triggerDoubt?.since ?? c.updatedAt, approvedBy: approverIds(c) },
      isLive,
    );
    let answer: { state: string; raw?: string };
    try {
      answer = await deps.trigger.runState(dagId, dagRunId);
    } catch (error) {
      runLog.warn({ err: error }, 'could not read the run state of a deployment in doubt; asking again later');
      const noted = await transition(c.id, (x) => noteDoubtCheck(x, { dagRunId, at: now() }));
      await refresh(c.id, runLog);
      return { kind: 'confirming', candidate: noted.candidate, endpoint };
    }
    if (answer.state === 'not_found') {
      if (!acquired.acquired) {
        // The run does not exist and the endpoint went to another deployment (our lock lapsed): give up this attempt.
        const message = `${endpoint} was taken by another deployment (${acquired.holder.version}) while this one was being confirmed; its run never started.`;
        const failed = await transition(c.id, (x) =>
          failTrigger(x, { dagRunId, at: now(), error: { code: ErrorCode.EndpointBusy, message }, definitive: false }),
        );
        if (failed.decision.ok) await audit('trigger_failed', failed.candidate, 'recovery', message);
        await refresh(c.id, runLog);
        return { kind: 'busy', endpoint, holder: acquired.holder };
      }
      runLog.warn('the run of a deployment in doubt does not exist: triggering the same dag_run_id again');
      return runTrigger(c, runLog, 'recovery');
    }
    if (answer.state === 'unknown' && answer.raw === undefined) {
      runLog.warn('the trigger named no state for a deployment in doubt; asking again later');
      const noted = await transition(c.id, (x) => noteDoubtCheck(x, { dagRunId, at: now() }));
      return { kind: 'confirming', candidate: noted.candidate, endpoint };
    }
    if (!acquired.acquired)
      runLog.error({ holder: acquired.holder }, 'a deployment in doubt turned out to run while another holds the endpoint (the lock lapsed)');
    const confirmed = await transition(c.id, (x) => confirmTrigger(x, { dagRunId, at: now() }));
    if (confirmed.decision.ok && confirmed.decision.outcome === 'confirmed') {
      deps.metrics.approvals.inc({ outcome: 'deployed' });
      await audit(
        'deploy_triggered',
        confirmed.candidate,
        'recovery',
        `confirmed by the run state (${answer.raw ?? answer.state}) after an unclear trigger answer`,
      );
    }
    runLog.info({ state: answer.state }, 'deployment in doubt confirmed: the run exists');
    await refresh(c.id, runLog);
    return { kind: 'deploying', candidate: confirmed.candidate, alreadyTriggered: true };
  }

  return {
    lock,
    endpointOf,
    targetEndpoint,
    endpointMismatch,
    confirmInDoubt,
    lockTimeoutMinutes,
    transition,
    audit,
    refresh,

    /** A Deploy (or Approve) click. */
    approve: approveClick,

    continueDeployment,
    overrideChecks,

    /** Crash recovery of a `deploying` candidate whose trigger was never confirmed: same dag_run_id. */
    async retrigger(candidateId: string, log: Logger): Promise<DeployResult> {
      const c = await get(candidateId);
      if (c === undefined) return { kind: 'not_found' };
      if (c.state !== 'deploying' || c.triggerConfirmedAt !== undefined || c.dagRunId === undefined || isConfirming(c)) {
        return { kind: 'refused', refusal: { code: 'state_conflict', state: c.state }, candidate: c };
      }
      const runLog = childLogger(log, { model: c.model, version: c.version, candidate: c.id, run: c.dagRunId });
      // Keep (or take back) the endpoint: the recovered deployment still owns it.
      const endpoint = endpointOf(c);
      const acquired = await lock.acquire(
        { candidateId: c.id, model: c.model, version: c.version, endpoint, since: c.updatedAt, approvedBy: approverIds(c) },
        isLive,
      );
      if (!acquired.acquired) {
        runLog.warn({ holder: acquired.holder }, 'recovery found the endpoint taken by another deployment; not re-triggering');
        const dagRunId = c.dagRunId;
        const message = `${endpoint} was taken by another deployment (${acquired.holder.version}) before this one could be confirmed.`;
        const failed = await transition(c.id, (x) =>
          failTrigger(x, { dagRunId, at: now(), error: { code: ErrorCode.EndpointBusy, message }, definitive: false }),
        );
        if (failed.decision.ok) await audit('trigger_failed', failed.candidate, 'recovery', message);
        await refresh(c.id, runLog);
        return { kind: 'busy', endpoint, holder: acquired.holder };
      }
      runLog.warn('re-triggering a deployment whose trigger was never confirmed (same dag_run_id)');
      return runTrigger(c, runLog, 'recovery');
    },

    /** Reject (reason required) or Cancel (command cards). The caller updates the message. */
    async reject(input: { candidateId: string; userId: string; reason?: string; requireReason: boolean; log: Logger }): Promise<RejectResult> {
      const loaded = await loadForApprover(input, 'reject');
      if (!loaded.ok) return loaded.result;
      const { c, log } = loaded;
      const { decision, candidate } = await transition(c.id, (x) =>
        reject(x, { userId: input.userId, at: now(), requireReason: input.requireReason, ...(input.reason !== undefined ? { reason: input.reason } : {}) }),
      );
      if (!decision.ok) {
        deps.metrics.approvals.inc({ outcome: decision.refusal.code === 'state_conflict' ? 'conflict' : 'refused' });
        log.info({ refusal: decision.refusal }, 'reject changed nothing');
        return { kind: 'refused', refusal: decision.refusal, candidate };
      }
      deps.metrics.approvals.inc({ outcome: 'rejected' });
      await audit('rejected', candidate, input.userId, candidate.rejectReason ?? (c.origin === 'evaluation' ? undefined : 'cancelled'));
      log.info({ reason: candidate.rejectReason }, c.origin === 'evaluation' ? 'candidate rejected' : 'deploy request cancelled');
      return { kind: 'rejected', candidate };
    },

    /**
     * The Rollback button of a failed deployment: a rollback candidate for the newest deployed
     * version other than the failed one (one per failed candidate, whoever clicks), approved by
     * the click through the same path as Deploy.
     */
    async rollbackFromFailed(input: { candidateId: string; userId: string; message?: MessageRef; log: Logger }): Promise<RollbackResult> {
      const loaded = await loadForApprover(input, 'rollback');
      if (!loaded.ok) return loaded.result;
      const { c: failed, log } = loaded;
      const problem = prerequisiteProblem(failed);
      if (problem !== undefined) return { kind: 'not_configured', problem };
      if (failed.state !== 'deploy_failed') return { kind: 'refused', refusal: { code: 'state_conflict', state: failed.state }, candidate: failed };
      let rollbackId = failed.rollback?.candidateId;
      if (rollbackId === undefined) {
        const target = (await deps.production.history(failed.model)).find((r) => r.version !== failed.version);
        if (target === undefined) return { kind: 'no_rollback_target', model: failed.model, version: failed.version };
        const candidate = rollbackCandidate(failed, target, `rollback-button:${failed.id}`, input.userId);
        rollbackId = candidate.id;
        // One rollback candidate per failed candidate: the first click creates it and posts its card.
        if (await deps.candidates.create(candidate)) {
          const requested = await transition(failed.id, (x) =>
            requestRollback(x, { candidateId: candidate.id, version: target.version, userId: input.userId, at: now() }),
          );
          log.info({ rollbackCandidate: candidate.id, to: target.version, requested: requested.decision.ok }, 'rollback requested');
          await refresh(failed.id, log);
          const channel = failed.message?.channel ?? input.message?.channel;
          if (channel !== undefined) {
            // The click's logger, not the failed candidate's: this message is the rollback candidate's.
            await cards
              .post(candidate.id, channel, input.log)
              .catch((error: unknown) => log.warn({ err: error }, 'could not post the rollback request message'));
          }
        }
      }
      return approveClick({ candidateId: rollbackId, userId: input.userId, log: input.log });
    },

    /**
     * Promote shadow / Stop shadow on a live shadow deployment (approvers): the deployment DAG is
     * triggered once with `strategy.type` promote-shadow / stop-shadow and the run id fixed per
     * candidate and action (a retried click re-sends the same run id). Refused while another
     * deployment holds the endpoint. A certain refusal of the trigger undoes the decision.
     */
    async shadowDecision(input: { candidateId: string; userId: string; type: ShadowAction; log: Logger }): Promise<DeployResult> {
      const loaded = await loadForApprover(input, input.type);
      if (!loaded.ok) return loaded.result;
      const { c, log } = loaded;
      const problem = prerequisiteProblem(c);
      if (problem !== undefined) return { kind: 'not_configured', problem };
      const dagId = config.models[c.model]?.deploymentDag;
      if (dagId === undefined || deps.trigger === undefined) return { kind: 'not_configured', problem: 'The deployment DAG is not configured.' };
      const endpoint = endpointOf(c);
      const holder = await lock.busyFor(endpoint, c.id, isLive);
      if (holder !== undefined) return { kind: 'busy', endpoint, holder };
      const decided = await transition(c.id, (x) => decideShadow(x, { type: input.type, userId: input.userId, at: now() }));
      if (!decided.decision.ok) return { kind: 'refused', refusal: decided.decision.refusal, candidate: decided.candidate };
      const decision = decided.candidate.shadowDecision;
      if (decision === undefined) return { kind: 'refused', refusal: { code: 'state_conflict', state: decided.candidate.state }, candidate: decided.candidate };
      await refresh(c.id, log);
      const conf = { ...deploymentConf(decided.candidate, targetEndpoint(c)), approved_by: [decision.by], strategy: { type: input.type } };
      try {
        const result = await deps.trigger.trigger({ dagId, dagRunId: decision.dagRunId, conf });
        deps.metrics.dagTriggers.inc({ purpose: 'deployment', result: result.alreadyTriggered ? 'already_triggered' : 'ok' });
      } catch (error) {
        const code = isMlopsError(error) ? error.code : ErrorCode.TriggerFailed;
        const message = isMlopsError(error) || error instanceof Error ? error.message : 'an unexpected error occurred while starting the DAG';
        const definitive = isMlopsError(error) && isDefinitiveTriggerFailure(code, error.details);
        deps.metrics.dagTriggers.inc({ purpose: 'deployment', result: definitive ? 'failed' : 'unclear' });
        log.warn({ err: error, code, definitive }, `the ${input.type} trigger failed`);
        // Unclear: the decision stays, so the next click re-sends the same run id (one run at most).
        if (definitive) await transition(c.id, (x) => settleShadowTrigger(x, { ok: false, at: now() }));
        await refresh(c.id, log);
        return { kind: 'trigger_failed', candidate: decided.candidate, code, message };
      }
      const settled = await transition(c.id, (x) => settleShadowTrigger(x, { ok: true, at: now() }));
      await audit('deploy_triggered', settled.candidate, input.userId, `${input.type} (run ${decision.dagRunId})`);
      await refresh(c.id, log);
      return { kind: 'deploying', candidate: settled.candidate, alreadyTriggered: decided.decision.outcome === 'retry' };
    },

    /**
     * Roll back to <previous version> on a degraded bake report: a rollback candidate for the
     * version live before this one (one per baked candidate, whoever clicks; its card posted beside
     * the candidate's), approved by this click through the same path as Deploy. Refused once
     * another version replaced this one (the button would roll back something else).
     */
    async rollbackFromBake(input: { candidateId: string; userId: string; message?: MessageRef; log: Logger }): Promise<RollbackResult> {
      const loaded = await loadForApprover(input, 'bake rollback');
      if (!loaded.ok) return loaded.result;
      const { c: baked, log } = loaded;
      const problem = prerequisiteProblem(baked);
      if (problem !== undefined) return { kind: 'not_configured', problem };
      const history = await deps.production.history(baked.model);
      if (baked.state !== 'deployed' || history[0]?.version !== baked.version) {
        return { kind: 'refused', refusal: { code: 'state_conflict', state: baked.state }, candidate: baked };
      }
      const target = history.find((r) => r.version !== baked.version);
      if (target === undefined) return { kind: 'no_rollback_target', model: baked.model, version: baked.version };
      const candidate = rollbackCandidate(baked, target, `rollback-bake:${baked.id}`, input.userId);
      if (await deps.candidates.create(candidate)) {
        log.info({ rollbackCandidate: candidate.id, to: target.version }, 'rollback requested from the bake report');
        const channel = baked.message?.channel ?? input.message?.channel;
        if (channel !== undefined) {
          await cards.post(candidate.id, channel, input.log).catch((error: unknown) => log.warn({ err: error }, 'could not post the rollback request message'));
        }
      }
      return approveClick({ candidateId: candidate.id, userId: input.userId, log: input.log });
    },

    /**
     * Abort and roll back, on the card of a canary / linear rollout: the rollout is marked failed
     * ("aborted"), its endpoint lock released, and a rollback to the newest other deployed version
     * is requested and approved by this click through the Rollback button's path (one rollback
     * candidate per aborted candidate, the same lock rules, exactly one trigger however many click).
     */
    async abortAndRollback(input: { candidateId: string; userId: string; message?: MessageRef; log: Logger }): Promise<RollbackResult> {
      const loaded = await loadForApprover(input, 'abort');
      if (!loaded.ok) return loaded.result;
      const { c, log } = loaded;
      const problem = prerequisiteProblem(c);
      if (problem !== undefined) return { kind: 'not_configured', problem };
      const abortable = c.state === 'deploying' && c.origin !== 'rollback-command' && isGradual(c.strategy);
      // A second click after the first aborted it: the rollback path answers (one rollback, already on its way).
      if (!abortable && !(c.state === 'deploy_failed' && c.abortedBy !== undefined)) {
        return { kind: 'refused', refusal: { code: 'state_conflict', state: c.state }, candidate: c };
      }
      if (c.state === 'deploying') {
        const target = (await deps.production.history(c.model)).find((r) => r.version !== c.version);
        if (target === undefined) return { kind: 'no_rollback_target', model: c.model, version: c.version };
        const reason = `aborted from Slack during the ${c.strategy?.type ?? 'gradual'} rollout; rolling back to ${target.version}`;
        const aborted = await transition(c.id, (x) =>
          x.state === 'deploying'
            ? markDeployFailed({ ...x, abortedBy: input.userId }, { at: now(), reason })
            : { ok: true as const, outcome: 'already_failed' as const },
        );
        if (!aborted.decision.ok) return { kind: 'refused', refusal: aborted.decision.refusal, candidate: aborted.candidate };
        if (aborted.decision.outcome === 'deploy_failed') {
          await lock.release(endpointOf(c), c.id);
          await audit('deploy_aborted', aborted.candidate, input.userId, reason);
          log.warn({ to: target.version }, 'rollout aborted from Slack');
        }
      }
      return this.rollbackFromFailed(input);
    },

    /**
     * A `/mlops deploy|rollback` request: posts its card in `channel`, then stores the candidate
     * with the card's location. Posting first means a failed post leaves no orphan request behind
     * (a crash in between leaves a card whose buttons answer "no longer known").
     */
    async createCommandRequest(candidate: DeploymentCandidate, channel: string, log: Logger): Promise<MessageRef> {
      const message = await cards.postNew(candidate, channel);
      await deps.candidates.create({ ...candidate, message });
      childLogger(log, { candidate: candidate.id }).debug({ messageChannel: message.channel, messageTs: message.ts }, 'deploy request card posted');
      return message;
    },

    authorize,
    prerequisiteProblem,
  };
}
export type DeploymentService = ReturnType<typeof createDeploymentService>;
