import { candidateIdFor, deploymentRunIdFor, type Candidate, type CandidateState } from './candidate';
import { DEFAULT_STRATEGY, type DeploymentStrategy, type RolloutProgress } from './deployment-strategy';
import { ErrorCode } from './errors';

/**
 * The candidate state machine (issue 4). Pure: every function takes the current record and the
 * facts of the decision (who, when) and returns the next record or a typed refusal. The
 * repository applies the result with compare-and-set, so two replicas deciding at once
 * serialise on the store and exactly one of them wins each transition.
 *
 *   pending ──approve (k of N distinct approvers)──▶ approved ──endpoint lock──▶ deploying
 *   deploying ──trigger accepted──▶ deploying (triggerConfirmedAt)
 *   deploying ──trigger refused (definitive)──▶ pending (approvals kept; Deploy can be clicked again)
 *   deploying ──trigger outcome unknown──▶ deploying (triggerDoubt: "confirming"; lock and dag_run_id kept)
 *   deploying (confirming) ──run state: found──▶ deploying (triggerConfirmedAt)
 *   deploying (confirming) ──run state: no such run──▶ same dag_run_id triggered again (see below)
 *   approved ──endpoint busy──▶ pending (approvals kept)
 *   deploying ──deployment.succeeded──▶ deployed     deploying ──deployment.failed──▶ deploy_failed
 *   pending ──reject / cancel──▶ rejected            pending ──newer version deployed──▶ superseded
 *   pending ──remindAfter──▶ pending (remindedAt, once)   pending ──expireAfter──▶ expired (no buttons)
 *   pending ──approve, a registry package without a deployment DAG──▶ registry_approved (no lock, no trigger)
 *
 * `approved` is short-lived: it means "won the race for this deployment, taking the endpoint lock".
 * It exists so that the lock holder is always a candidate in `approved` or `deploying`: a lock
 * naming a candidate in any other state is stale and may be replaced (see holdsEndpoint).
 *
 * Attempts and dag_run_id: entering `deploying` picks the attempt number, and the dag_run_id is
 * deploymentRunIdFor(id, attempt). The attempt is persisted BEFORE the trigger is called, so a
 * retry of the same approval (crash recovery, a second replica) re-sends the same dag_run_id and
 * Airflow refuses to start it twice. After a trigger failure the next Deploy click starts a new
 * attempt only when the failure was definitive (AWS or Airflow refused the request, so no run can
 * exist); after an ambiguous one (timeout, network error, the function crashed) it reuses the same
 * dag_run_id, because the first request may have started the run.
 *
 * Exactly once under doubt: a timeout, a reset connection, a 5xx or a crashed function after the
 * request was sent may have started the run. Falling back to `pending` would release the endpoint
 * lock and let another deployment start beside it, so the candidate stays `deploying` with
 * `triggerDoubt` set ("confirming"): it keeps the lock and the dag_run_id until the trigger's run
 * state finds the run (confirmTrigger) or proves it absent. When absent, the SAME dag_run_id is
 * triggered again rather than going back to pending: the request that was in doubt may still be on
 * its way (a slow Lambda), and only the same run id makes the two requests one run (Airflow 409 /
 * `already_triggered`); releasing the lock instead would leave a window in which a late run and
 * another candidate's deployment overlap. Only a definitive refusal of that trigger returns the
 * candidate to pending.
 *
 * Approvals survive a trigger failure or a busy endpoint: they are people's decisions about this
 * version, not about the infrastructure. The next click by any approver (even one who already
 * approved) retries the deployment; the self-approval rule still applies to that click.
 */

/** Deployment bookkeeping stored on the candidate record beside the fields of Candidate. */
export interface DeploymentFields {
  /** The trigger accepted the current attempt's run (or said it existed). Unset while deploying = not confirmed. */
  triggerConfirmedAt?: string;
  /** The last trigger failure, shown on the message until the next attempt. */
  lastTriggerError?: { code: string; message: string; at: string; dagRunId?: string };
  /** The last trigger failure was ambiguous: the next attempt must reuse the current dag_run_id. */
  reuseRunId?: boolean;
  /**
   * Set while `deploying` when the trigger's outcome is unknown ("confirming"): the run may exist.
   * Cleared by confirmTrigger (the run was found or the trigger accepted it) or a definitive failure.
   */
  triggerDoubt?: TriggerDoubt;
  /** When the pipeline reported the deployment live. */
  deployedAt?: string;
  /** A rollback requested from this (failed) candidate's message. */
  rollback?: { candidateId: string; version: string; requestedBy: string; at: string };
  /** The strategy picked by the approval that completed it (contract 9); unset = all-at-once. */
  strategy?: DeploymentStrategy;
  /** A failed gate or a freeze window overridden by an approver, with their reason (contract 10: conf `override_reason`). */
  override?: Override;
  /** Who stopped this canary / linear rollout with Abort and roll back (then deploy_failed). */
  abortedBy?: string;
  /** The latest deployment.progress of the current rollout (shown as a progress bar on the card). */
  progress?: RolloutProgress;
  /** The bake report's verdict once posted (the card then says "live, baked" or degraded). */
  baked?: { verdict: 'healthy' | 'degraded' | 'inconclusive'; at: string };
  /** A shadow deployment's follow-up (Promote shadow / Stop shadow): once per candidate, its own run id. */
  shadowDecision?: { type: ShadowAction; by: string; at: string; dagRunId: string; triggeredAt?: string };
}

export type ShadowAction = 'promote-shadow' | 'stop-shadow';

/** The bake's verdict on a deployed candidate (once; a repeat changes nothing). */
export function noteBake(c: DeploymentCandidate, input: { verdict: 'healthy' | 'degraded' | 'inconclusive'; at: string }): Decision<'noted'> {
  if (c.state !== 'deployed' || c.baked !== undefined) return conflict(c);
  return write('noted', { ...c, baked: { verdict: input.verdict, at: input.at }, updatedAt: input.at });
}

/** The run id of a shadow follow-up: fixed per candidate and action, so a retried click never starts a second run. */
export function shadowRunIdFor(candidateId: string, type: ShadowAction): string {
  return `mlops_deploy__${candidateId}__${type}`;
}

/** A shadow that is not (yet) promoted: it serves no production traffic (no production baseline, no bake). */
export function isUnpromotedShadow(c: Pick<DeploymentCandidate, 'strategy' | 'shadowDecision'> | undefined): boolean {
  return c?.strategy?.type === 'shadow' && c.shadowDecision?.type !== 'promote-shadow';
}

/**
 * Promote shadow / Stop shadow on a live shadow deployment: the first decision wins; the same
 * decision again before its trigger was confirmed is a retry (same run id).
 */
export function decideShadow(c: DeploymentCandidate, input: { type: ShadowAction; userId: string; at: string }): Decision<'decided' | 'retry'> {
  if (c.state !== 'deployed' || c.strategy?.type !== 'shadow') return conflict(c);
  if (c.shadowDecision !== undefined) {
    return c.shadowDecision.type === input.type && c.shadowDecision.triggeredAt === undefined ? { ok: true, outcome: 'retry' } : conflict(c);
  }
  const shadowDecision = { type: input.type, by: input.userId, at: input.at, dagRunId: shadowRunIdFor(c.id, input.type) };
  return write('decided', { ...c, shadowDecision, updatedAt: input.at });
}

/** The shadow follow-up's trigger was accepted (triggeredAt), or refused for certain (the decision is undone). */
export function settleShadowTrigger(c: DeploymentCandidate, input: { ok: boolean; at: string }): Decision<'settled'> {
  if (c.shadowDecision === undefined || c.shadowDecision.triggeredAt !== undefined) return conflict(c);
  if (input.ok) return write('settled', { ...c, shadowDecision: { ...c.shadowDecision, triggeredAt: input.at }, updatedAt: input.at });
  const next: DeploymentCandidate = { ...c, updatedAt: input.at };
  delete next.shadowDecision;
  return write('settled', next);
}
export type DeploymentCandidate = Candidate & DeploymentFields;

/** An approver's reason to deploy past a failed non-regression gate or inside a freeze window. */
export interface Override {
  reason: string;
  by: string;
  at: string;
  /** What was overridden, plain text (the gate's problems, the freeze window). */
  checks: string[];
}

/** Why and since when a deploying candidate's trigger outcome is unknown, and how often it was checked. */
export interface TriggerDoubt {
  since: string;
  error: { code: string; message: string };
  /** Run-state checks that could not decide (the trigger did not answer them either). */
  checks: number;
  lastCheckAt?: string;
}

export type Refusal =
  /** The candidate is not in a state where this decision applies (already deployed, rejected…). */
  | { code: 'state_conflict'; state: CandidateState }
  /** forbidSelfApproval: the user started the run. */
  | { code: 'self_approval' }
  /** The same person clicking twice counts once; more approvers are needed. */
  | { code: 'already_approved'; approvals: number; required: number }
  /** A trigger answer for an attempt that is no longer the current one. */
  | { code: 'stale_attempt'; dagRunId?: string }
  | { code: 'reason_required' };

/** `next` is the record to write; absent when the decision changes nothing (idempotent repeat). */
export type Decision<O extends string> = { ok: true; outcome: O; next?: DeploymentCandidate } | { ok: false; refusal: Refusal };

/** States in which a candidate holds (or is taking) its endpoint's deploy lock. */
export function holdsEndpoint(c: Pick<Candidate, 'state'>): boolean {
  return c.state === 'approved' || c.state === 'deploying';
}

/** Distinct approvers, in the order they approved. */
export function approverIds(c: Pick<Candidate, 'approvals'>): string[] {
  return [...new Set(c.approvals.map((a) => a.userId))];
}

function conflict(c: Candidate): { ok: false; refusal: Refusal } {
  return { ok: false, refusal: { code: 'state_conflict', state: c.state } };
}

function write<O extends string>(outcome: O, next: DeploymentCandidate): Decision<O> {
  return { ok: true, outcome, next };
}

/**
 * A Deploy click by an (already authorised) approver. `recorded`: one more approval, more needed.
 * `complete`: the approvals are complete and the candidate moves to `approved` (the caller takes
 * the endpoint lock next). Only `pending` accepts approvals.
 */
export function approve(
  c: DeploymentCandidate,
  input: { userId: string; at: string; forbidSelfApproval: boolean; strategy?: DeploymentStrategy; override?: Override; registryOnly?: boolean },
): Decision<'recorded' | 'complete'> {
  if (c.state !== 'pending') return conflict(c);
  if (input.forbidSelfApproval && c.startedBy !== undefined && c.startedBy === input.userId) return { ok: false, refusal: { code: 'self_approval' } };
  const already = c.approvals.some((a) => a.userId === input.userId);
  const approvals = already ? c.approvals : [...c.approvals, { userId: input.userId, at: input.at }];
  const distinct = approverIds({ approvals }).length;
  // The latest reason given is the one the deployment carries.
  const override = input.override !== undefined ? { override: input.override } : {};
  if (distinct < c.requiredApprovals) {
    if (already) return { ok: false, refusal: { code: 'already_approved', approvals: distinct, required: c.requiredApprovals } };
    return write('recorded', { ...c, approvals, updatedAt: input.at, ...override });
  }
  // The completing click's pick is persisted with the approval, so recovery and retries send the same conf.
  const strategy = input.strategy ?? c.strategy;
  return write('complete', {
    ...c,
    // Nothing to deploy here: the decision goes to the Model Registry only (contract 10).
    state: input.registryOnly === true ? 'registry_approved' : 'approved',
    approvals,
    decidedBy: input.userId,
    decidedAt: input.at,
    updatedAt: input.at,
    ...(strategy !== undefined ? { strategy } : {}),
    ...override,
  });
}

/** approved → deploying with the attempt's dag_run_id, persisted before the trigger is called. */
export function startDeployment(c: DeploymentCandidate, input: { at: string }): Decision<'deploying'> {
  if (c.state !== 'approved') return conflict(c);
  const attempt = c.reuseRunId === true && c.attempt > 0 ? c.attempt : c.attempt + 1;
  const next: DeploymentCandidate = { ...c, state: 'deploying', attempt, dagRunId: deploymentRunIdFor(c.id, attempt), updatedAt: input.at };
  delete next.triggerConfirmedAt;
  delete next.lastTriggerError;
  delete next.reuseRunId;
  return write('deploying', next);
}

/** approved → pending when the endpoint is busy with another deployment (approvals kept). */
export function releaseApproval(c: DeploymentCandidate, input: { at: string }): Decision<'pending'> {
  if (c.state !== 'approved') return conflict(c);
  return write('pending', { ...c, state: 'pending', updatedAt: input.at });
}

/** The trigger accepted the run (or it existed already): recovery will leave it alone. */
export function confirmTrigger(c: DeploymentCandidate, input: { dagRunId: string; at: string }): Decision<'confirmed' | 'already_confirmed'> {
  if (c.dagRunId !== input.dagRunId) return { ok: false, refusal: { code: 'stale_attempt', ...(c.dagRunId !== undefined ? { dagRunId: c.dagRunId } : {}) } };
  if (c.state !== 'deploying') return conflict(c);
  if (c.triggerConfirmedAt !== undefined) return { ok: true, outcome: 'already_confirmed' };
  const next: DeploymentCandidate = { ...c, triggerConfirmedAt: input.at, updatedAt: input.at };
  delete next.triggerDoubt;
  return write('confirmed', next);
}

/** True while a deploying candidate's trigger outcome is unknown and being confirmed. */
export function isConfirming(c: Pick<DeploymentCandidate, 'state' | 'triggerDoubt' | 'triggerConfirmedAt'>): boolean {
  return c.state === 'deploying' && c.triggerDoubt !== undefined && c.triggerConfirmedAt === undefined;
}

/**
 * The trigger's outcome is unknown (timeout, reset, 5xx, crashed function after the request was
 * sent): stays `deploying`, keeping the lock and the dag_run_id, and records the doubt so that the
 * run state is asked before anything else happens. A repeat (a re-trigger in doubt again) keeps
 * the first `since` and adds up the checks.
 */
export function doubtTrigger(
  c: DeploymentCandidate,
  input: { dagRunId: string; at: string; error: { code: string; message: string } },
): Decision<'confirming'> {
  if (c.dagRunId !== input.dagRunId) return { ok: false, refusal: { code: 'stale_attempt', ...(c.dagRunId !== undefined ? { dagRunId: c.dagRunId } : {}) } };
  if (c.state !== 'deploying' || c.triggerConfirmedAt !== undefined) return conflict(c);
  const doubt: TriggerDoubt = { since: c.triggerDoubt?.since ?? input.at, error: input.error, checks: c.triggerDoubt?.checks ?? 0, lastCheckAt: input.at };
  return write('confirming', { ...c, triggerDoubt: doubt, updatedAt: input.at });
}

/** A run-state check that could not decide (the status call failed too): counted, still confirming. */
export function noteDoubtCheck(c: DeploymentCandidate, input: { dagRunId: string; at: string }): Decision<'still_confirming'> {
  if (c.dagRunId !== input.dagRunId) return { ok: false, refusal: { code: 'stale_attempt', ...(c.dagRunId !== undefined ? { dagRunId: c.dagRunId } : {}) } };
  if (!isConfirming(c) || c.triggerDoubt === undefined) return conflict(c);
  return write('still_confirming', {
    ...c,
    triggerDoubt: { ...c.triggerDoubt, checks: c.triggerDoubt.checks + 1, lastCheckAt: input.at },
    updatedAt: input.at,
  });
}

/**
 * The trigger failed: deploying → pending so Deploy can be clicked again, keeping approvals.
 * `definitive`: the request was refused, no run can exist, so the next attempt gets a new run id.
 */
export function failTrigger(
  c: DeploymentCandidate,
  input: { dagRunId: string; at: string; error: { code: string; message: string }; definitive: boolean },
): Decision<'pending'> {
  if (c.dagRunId !== input.dagRunId) return { ok: false, refusal: { code: 'stale_attempt', ...(c.dagRunId !== undefined ? { dagRunId: c.dagRunId } : {}) } };
  if (c.state !== 'deploying') return conflict(c);
  // Another path (recovery, the deployment.started event) already saw the run: it exists.
  if (c.triggerConfirmedAt !== undefined) return conflict(c);
  const next: DeploymentCandidate = {
    ...c,
    state: 'pending',
    lastTriggerError: { code: input.error.code, message: input.error.message, at: input.at, dagRunId: input.dagRunId },
    updatedAt: input.at,
  };
  delete next.triggerDoubt;
  if (input.definitive) delete next.reuseRunId;
  else next.reuseRunId = true;
  return write('pending', next);
}

/** Reject (evaluation candidates, reason required) or cancel (command candidates): pending only. */
export function reject(c: DeploymentCandidate, input: { userId: string; at: string; reason?: string; requireReason: boolean }): Decision<'rejected'> {
  const reason = input.reason?.trim();
  if (input.requireReason && (reason === undefined || reason === '')) return { ok: false, refusal: { code: 'reason_required' } };
  if (c.state !== 'pending') return conflict(c);
  const next: DeploymentCandidate = { ...c, state: 'rejected', decidedBy: input.userId, decidedAt: input.at, updatedAt: input.at };
  if (reason !== undefined && reason !== '') next.rejectReason = reason;
  return write('rejected', next);
}

/**
 * deployment.succeeded. The pipeline reports a fact, so besides `deploying` it is accepted from
 * `approved`, `pending` or `expired` (an ambiguous trigger failure whose run did start) and `deploy_failed`
 * (a late success after a guessed failure). A rejected or superseded candidate is never marked
 * deployed by the bot; the event is refused and logged.
 */
export function markDeployed(c: DeploymentCandidate, input: { at: string }): Decision<'deployed' | 'already_deployed'> {
  if (c.state === 'deployed') return { ok: true, outcome: 'already_deployed' };
  if (c.state === 'rejected' || c.state === 'superseded') return conflict(c);
  // An approver aborted this rollout (Abort and roll back): a late success does not make it live; the rollback decides.
  if (c.abortedBy !== undefined) return conflict(c);
  const next: DeploymentCandidate = { ...c, state: 'deployed', deployedAt: input.at, updatedAt: input.at };
  delete next.lastTriggerError;
  delete next.reuseRunId;
  delete next.triggerDoubt;
  return write('deployed', next);
}

/** deployment.progress while deploying: kept when newer than the one stored (events may repeat or cross). */
export function noteProgress(c: DeploymentCandidate, input: { progress: RolloutProgress; at: string }): Decision<'noted' | 'stale'> {
  if (c.state !== 'deploying') return conflict(c);
  if (c.progress !== undefined && Date.parse(c.progress.reportedAt) >= Date.parse(input.progress.reportedAt)) return { ok: true, outcome: 'stale' };
  return write('noted', { ...c, progress: input.progress, updatedAt: input.at });
}

/** deployment.failed: from a candidate whose deployment was requested at least once. */
export function markDeployFailed(c: DeploymentCandidate, input: { at: string; reason: string }): Decision<'deploy_failed' | 'already_failed'> {
  if (c.state === 'deploy_failed') return { ok: true, outcome: 'already_failed' };
  const requested = c.state === 'deploying' || c.state === 'approved' || ((c.state === 'pending' || c.state === 'expired') && c.attempt > 0);
  if (!requested) return conflict(c);
  const next: DeploymentCandidate = { ...c, state: 'deploy_failed', failureReason: input.reason, updatedAt: input.at };
  delete next.lastTriggerError;
  delete next.reuseRunId;
  delete next.triggerDoubt;
  return write('deploy_failed', next);
}

/** pending → superseded when `by` (the same or a newer version of the model) is deployed. */
export function supersede(c: DeploymentCandidate, input: { by: string; at: string }): Decision<'superseded'> {
  if (c.state !== 'pending') return conflict(c);
  return write('superseded', { ...c, state: 'superseded', supersededBy: input.by, updatedAt: input.at });
}

/**
 * The approval timers (contract 10, approvals.remindAfterMinutes / expireAfterHours), in
 * milliseconds from the candidate's creation; unset = off. Their refusals are their own type:
 * nobody clicks them, so they never reach the click replies.
 */
export interface ApprovalTimerPolicy {
  remindAfterMs?: number;
  expireAfterMs?: number;
}

export type TimerRefusal =
  | { code: 'state_conflict'; state: CandidateState }
  /** The timer is not configured, or its time has not come yet (`dueAt` then says when). */
  | { code: 'not_due'; dueAt?: string }
  | { code: 'already_reminded'; at: string };

export type TimerDecision<O extends string> = { ok: true; outcome: O; next: DeploymentCandidate } | { ok: false; refusal: TimerRefusal };

function dueAt(c: Pick<Candidate, 'createdAt'>, afterMs: number | undefined): Date | undefined {
  return afterMs === undefined ? undefined : new Date(Date.parse(c.createdAt) + afterMs);
}

/**
 * Which timer a candidate owes now, if any: only pending candidates have timers (approved,
 * deploying, decided or superseded ones stop reminding); expiry wins over a reminder not sent yet.
 */
export function approvalTimerDue(
  c: Pick<Candidate, 'state' | 'createdAt' | 'remindedAt'>,
  now: Date,
  policy: ApprovalTimerPolicy,
): 'expire' | 'remind' | undefined {
  if (c.state !== 'pending') return undefined;
  const expireAt = dueAt(c, policy.expireAfterMs);
  if (expireAt !== undefined && now >= expireAt) return 'expire';
  const remindAt = dueAt(c, policy.remindAfterMs);
  if (remindAt !== undefined && c.remindedAt === undefined && now >= remindAt) return 'remind';
  return undefined;
}

/** pending → pending with remindedAt: claims the one reminder (the messages are recorded before, by key). */
export function remind(c: DeploymentCandidate, input: { now: Date; policy: ApprovalTimerPolicy }): TimerDecision<'reminded'> {
  if (c.state !== 'pending') return { ok: false, refusal: { code: 'state_conflict', state: c.state } };
  if (c.remindedAt !== undefined) return { ok: false, refusal: { code: 'already_reminded', at: c.remindedAt } };
  const at = dueAt(c, input.policy.remindAfterMs);
  if (at === undefined || input.now < at) return { ok: false, refusal: { code: 'not_due', ...(at !== undefined ? { dueAt: at.toISOString() } : {}) } };
  const iso = input.now.toISOString();
  return { ok: true, outcome: 'reminded', next: { ...c, remindedAt: iso, updatedAt: iso } };
}

/** pending → expired once expireAfter has passed: the card loses its buttons (`/mlops deploy` makes a fresh one). */
export function expire(c: DeploymentCandidate, input: { now: Date; policy: ApprovalTimerPolicy }): TimerDecision<'expired'> {
  if (c.state !== 'pending') return { ok: false, refusal: { code: 'state_conflict', state: c.state } };
  const at = dueAt(c, input.policy.expireAfterMs);
  if (at === undefined || input.now < at) return { ok: false, refusal: { code: 'not_due', ...(at !== undefined ? { dueAt: at.toISOString() } : {}) } };
  const iso = input.now.toISOString();
  return { ok: true, outcome: 'expired', next: { ...c, state: 'expired', expiredAt: iso, updatedAt: iso } };
}

/** Records on a failed candidate that a rollback was requested from its message (once). */
export function requestRollback(
  c: DeploymentCandidate,
  input: { candidateId: string; version: string; userId: string; at: string },
): Decision<'requested' | 'already_requested'> {
  if (c.state !== 'deploy_failed') return conflict(c);
  if (c.rollback !== undefined) return { ok: true, outcome: 'already_requested' };
  return write('requested', {
    ...c,
    rollback: { candidateId: input.candidateId, version: input.version, requestedBy: input.userId, at: input.at },
    updatedAt: input.at,
  });
}

/** Remembers where the candidate's message is, when it was not known yet (a command card). */
export function attachMessage(c: DeploymentCandidate, input: { channel: string; ts: string; at: string }): Decision<'attached' | 'unchanged'> {
  if (c.message !== undefined) return { ok: true, outcome: 'unchanged' };
  return write('attached', { ...c, message: { channel: input.channel, ts: input.ts }, updatedAt: input.at });
}

/** The candidate id inside a deployment dag_run_id (deploymentRunIdFor), when the pipeline echoes it as its run id. */
export function candidateIdOfRunId(runId: string | undefined): string | undefined {
  const match = /^mlops_deploy__(.+)__\d+$/.exec(runId ?? '');
  return match?.[1];
}

/**
 * The deployment DAG's conf (contract section 6). `endpoint`: the configured endpoint of the model
 * when there is one (it wins over what an event said), else the candidate's.
 */
export function deploymentConf(
  c: DeploymentCandidate,
  endpoint: string | undefined = c.endpoint,
): {
  model: string;
  version: string;
  endpoint?: string;
  approved_by: string[];
  candidate_id: string;
  strategy: DeploymentStrategy;
  override_reason?: string;
} {
  return {
    model: c.model,
    version: c.version,
    ...(endpoint !== undefined ? { endpoint } : {}),
    approved_by: approverIds(c),
    candidate_id: c.id,
    strategy: c.strategy ?? DEFAULT_STRATEGY,
    ...(c.override !== undefined ? { override_reason: c.override.reason } : {}),
  };
}

/**
 * True when a trigger error proves that no run was started: AWS refused the call (access denied,
 * throttled after retries, function or environment not found) or the function / Airflow answered
 * with a client error. Timeouts, network errors, server errors and a crashed function are
 * ambiguous: the run may exist, so the next attempt must reuse its dag_run_id.
 */
export function isDefinitiveTriggerFailure(code: string, details: Readonly<Record<string, unknown>> = {}): boolean {
  // An earlier attempt of the same call was unclear (timed out, reset, 5xx): whatever the last
  // attempt said (a throttle, say), that earlier request may have started the run.
  if (details['outcomeUnknown'] === true) return false;
  switch (code) {
    case ErrorCode.AwsAccessDenied:
    case ErrorCode.AwsThrottled:
    case ErrorCode.AwsNotFound:
      return true;
    case ErrorCode.TriggerFailed: {
      if (details['functionError'] !== undefined) return false;
      const status =
        typeof details['statusCode'] === 'number' ? details['statusCode'] : typeof details['airflowStatus'] === 'number' ? details['airflowStatus'] : undefined;
      return status !== undefined && status >= 400 && status < 500;
    }
    default:
      return false;
  }
}

/**
 * What crash recovery should do with a candidate, if anything: `confirm` a trigger in doubt (at
 * every scan, no grace: nothing else may deploy there until it is settled), else, after `graceMs`
 * without progress, `continue` an approval or `retrigger` an unconfirmed deployment.
 */
export function recoveryActionFor(c: DeploymentCandidate, now: Date, graceMs: number): 'continue' | 'retrigger' | 'confirm' | undefined {
  if (isConfirming(c) && c.dagRunId !== undefined) return 'confirm';
  const idleMs = now.getTime() - Date.parse(c.updatedAt);
  if (!(idleMs >= graceMs)) return undefined;
  if (c.state === 'approved') return 'continue';
  if (c.state === 'deploying' && c.triggerConfirmedAt === undefined && c.dagRunId !== undefined) return 'retrigger';
  return undefined;
}

/** A candidate created by `/mlops deploy|rollback` or a Rollback button: pending, no approvals. */
export function commandCandidate(input: {
  origin: 'deploy-command' | 'rollback-command';
  model: string;
  version: string;
  /** Makes the id: the same source (a button's failed candidate, a command's trigger id) gives the same candidate. */
  sourceId: string;
  metrics: Record<string, number>;
  requiredApprovals: number;
  requestedBy: string;
  at: string;
  endpoint?: string;
  replacesVersion?: string;
  /** From the version's evaluation candidate, so the self-approval rule cannot be bypassed with a command. */
  from?: Pick<Candidate, 'startedBy' | 'trainingJob' | 'run' | 'lineage' | 'links' | 'confusionMatrix' | 'evaluatedAt'>;
}): DeploymentCandidate {
  const from = input.from ?? {};
  return {
    id: candidateIdFor(input.model, input.version, `${input.origin}:${input.sourceId}`),
    model: input.model,
    version: input.version,
    state: 'pending',
    origin: input.origin,
    metrics: { ...input.metrics },
    ...(from.confusionMatrix !== undefined ? { confusionMatrix: from.confusionMatrix } : {}),
    ...(input.endpoint !== undefined ? { endpoint: input.endpoint } : {}),
    ...(from.trainingJob !== undefined ? { trainingJob: from.trainingJob } : {}),
    ...(from.run !== undefined ? { run: from.run } : {}),
    ...(from.lineage !== undefined ? { lineage: from.lineage } : {}),
    ...(from.links !== undefined ? { links: from.links } : {}),
    ...(from.evaluatedAt !== undefined ? { evaluatedAt: from.evaluatedAt } : {}),
    ...(from.startedBy !== undefined ? { startedBy: from.startedBy } : {}),
    requestedBy: input.requestedBy,
    ...(input.replacesVersion !== undefined ? { replacesVersion: input.replacesVersion } : {}),
    requiredApprovals: input.requiredApprovals,
    approvals: [],
    attempt: 0,
    createdAt: input.at,
    updatedAt: input.at,
    rev: 0,
  };
}
