import type { RegistryDecision, RegistryStatus } from './candidate';
import { approverIds, type Decision, type DeploymentCandidate } from './candidate-state-machine';

/**
 * The SageMaker Model Registry, both ways (contract 10). Pure decisions on a candidate that stands
 * for a model package (`candidate.registry`), applied by compare-and-set like every transition:
 *
 *   SageMaker → bot (a package event or DescribeModelPackage):
 *     our own UpdateModelPackage coming back (ApprovalDescription starts with REGISTRY_MARK) → echo, no change
 *     pending  ──Approved in SageMaker (deployment DAG configured)──▶ approved (then the Deploy path: lock, same run id)
 *     pending  ──Approved in SageMaker (no deployment DAG)──▶ registry_approved (nothing deployed by the bot)
 *     pending  ──Approved, but the gate fails or a freeze window is on──▶ pending (held: an approver decides in Slack, with a reason)
 *     pending  ──Rejected in SageMaker──▶ rejected
 *     any other state ──Approved / Rejected──▶ same state, the decision kept and shown (a conflict when it differs)
 *   bot → SageMaker (the registry sync job, after the decision):
 *     rejected in Slack → Rejected; deployment triggered (confirmed), live or failed, or registry_approved → Approved
 *
 * Where the write sits: AFTER the deployment trigger is confirmed, never before. The trigger is the
 * exactly-once step (deterministic run id, confirmed under doubt); a registry status written
 * first would say Approved for a deployment that a definitive trigger refusal returns to pending,
 * and teams often hang their own automation on Approved. The write is idempotent (the same status
 * twice changes nothing), so it is retried until it lands.
 *
 * One outcome: the candidate's state is decided once, by whichever decision's compare-and-set
 * lands first. A later decision the other way (Studio approval after a Slack Reject, or the
 * reverse) never changes it and is never overwritten in SageMaker either: both are shown.
 */

/** Starts every ApprovalDescription the bot writes: its own change coming back as an event is recognised by it. */
export const REGISTRY_MARK = '[mlops-chatops]';
/** UpdateModelPackage ApprovalDescription: at most 1024 characters (SageMaker API reference). */
export const APPROVAL_DESCRIPTION_MAX = 1024;

/** The registry status the bot's own decision stands for, once it is final enough to write. */
export function registryStatusOf(c: Pick<DeploymentCandidate, 'state' | 'triggerConfirmedAt'>): RegistryStatus | undefined {
  switch (c.state) {
    case 'rejected':
      return 'Rejected';
    case 'deploying':
      // Not before the trigger is confirmed: a definitive refusal returns it to pending.
      return c.triggerConfirmedAt !== undefined ? 'Approved' : undefined;
    case 'deployed':
    case 'deploy_failed':
    case 'registry_approved':
      return 'Approved';
    default:
      return undefined;
  }
}

/** The status the bot has decided, final or not (for telling a conflict): approved in any form, or rejected. */
function decidedStatusOf(c: Pick<DeploymentCandidate, 'state'>): RegistryStatus | undefined {
  if (c.state === 'rejected') return 'Rejected';
  if (c.state === 'approved' || c.state === 'deploying' || c.state === 'deployed' || c.state === 'deploy_failed' || c.state === 'registry_approved') {
    return 'Approved';
  }
  return undefined;
}

/** What the bot still has to write to SageMaker for this candidate, if anything. */
export function registryWriteDue(c: DeploymentCandidate): RegistryStatus | undefined {
  const r = c.registry;
  if (r === undefined || r.external?.applied === true) return undefined;
  const want = registryStatusOf(c);
  if (want === undefined || r.synced?.status === want) return undefined;
  // SageMaker says so already, or a person there decided otherwise (never overwritten; shown as a conflict).
  if (r.external !== undefined) return undefined;
  return want;
}

/** A decision the registry shows that differs from the bot's: both are shown on the card. */
export function registryConflict(c: DeploymentCandidate): RegistryDecision | undefined {
  const external = c.registry?.external;
  if (external === undefined || external.applied) return undefined;
  const ours = decidedStatusOf(c);
  return ours !== undefined && ours !== external.status ? external : undefined;
}

/** The ApprovalDescription of the bot's write: who decided in Slack and why, marked as the bot's, within SageMaker's limit. */
export function approvalDescriptionFor(c: DeploymentCandidate, status: RegistryStatus): string {
  const text =
    status === 'Rejected'
      ? `${REGISTRY_MARK} Rejected in Slack by ${c.decidedBy ?? 'an approver'}${c.rejectReason !== undefined ? `: ${c.rejectReason}` : ''}`
      : `${REGISTRY_MARK} Approved in Slack by ${approverIds(c).join(', ') || 'an approver'}${c.dagRunId !== undefined ? `; deployment run ${c.dagRunId}` : ''}${
          c.override !== undefined ? `; override: ${c.override.reason}` : ''
        }`;
  // Control characters out (the reason is typed by a person); cut at the limit with a mark that it was cut.
  // eslint-disable-next-line no-control-regex -- stripping them is the point
  const clean = text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return clean.length <= APPROVAL_DESCRIPTION_MAX ? clean : `${clean.slice(0, APPROVAL_DESCRIPTION_MAX - 1)}…`;
}

export function isOwnRegistryChange(description: string | undefined): boolean {
  return description?.startsWith(REGISTRY_MARK) === true;
}

/**
 * A decision SageMaker reports (event or DescribeModelPackage). `deployable`: the model has a
 * deployment DAG and a trigger, so a Studio approval deploys through the Deploy path (the bot is
 * the deployer); without one the candidate becomes registry_approved (nothing deployed).
 */
export function applyRegistryDecision(
  c: DeploymentCandidate,
  input: RegistryDecision & { deployable: boolean; now: string; held?: readonly string[] },
): Decision<'echo' | 'approved' | 'rejected' | 'noted' | 'conflict' | 'unchanged'> {
  const r = c.registry;
  if (r === undefined) return { ok: false, refusal: { code: 'state_conflict', state: c.state } };
  if (isOwnRegistryChange(input.description)) {
    // The bot's write came back: it landed. Nothing else changes (nothing is triggered twice).
    if (r.synced?.status === input.status) return { ok: true, outcome: 'echo' };
    const next: DeploymentCandidate = { ...c, registry: { ...r, synced: { status: input.status, at: input.at } }, updatedAt: input.now };
    delete next.registry?.syncFailure;
    return { ok: true, outcome: 'echo', next };
  }
  const seen = {
    status: input.status,
    at: input.at,
    ...(input.by !== undefined ? { by: input.by } : {}),
    ...(input.description !== undefined ? { description: input.description } : {}),
  };
  const known = r.external;
  if (known?.status === seen.status && known.at === seen.at && known.by === seen.by) return { ok: true, outcome: 'unchanged' };
  const held = input.status === 'Approved' && input.held !== undefined && input.held.length > 0 ? [...input.held] : undefined;
  if (c.state === 'pending' && (input.status === 'Rejected' || held === undefined)) {
    const next: DeploymentCandidate = { ...c, registry: { ...r, external: { ...seen, applied: true } }, decidedAt: input.at, updatedAt: input.now };
    delete next.registry?.syncFailure;
    if (input.status === 'Rejected') {
      next.state = 'rejected';
      if (input.description !== undefined) next.rejectReason = input.description;
      return { ok: true, outcome: 'rejected', next };
    }
    // Studio approval: no Slack approvals needed; the strategy is the model's default (the first offered).
    // Without a deployment DAG the bot deploys nothing: the decision is only recorded.
    next.state = input.deployable ? 'approved' : 'registry_approved';
    return { ok: true, outcome: 'approved', next };
  }
  // A held approval (gate or freeze) stays pending: the reason an override needs can only be given in Slack.
  const next: DeploymentCandidate = {
    ...c,
    registry: { ...r, external: { ...seen, applied: false, ...(c.state === 'pending' && held !== undefined ? { held } : {}) } },
    updatedAt: input.now,
  };
  return { ok: true, outcome: registryConflict(next) !== undefined ? 'conflict' : 'noted', next };
}

/** The bot's write landed (or SageMaker already showed that status). */
export function noteRegistrySynced(c: DeploymentCandidate, input: { status: RegistryStatus; at: string }): Decision<'synced'> {
  if (c.registry === undefined) return { ok: false, refusal: { code: 'state_conflict', state: c.state } };
  if (c.registry.synced?.status === input.status) return { ok: true, outcome: 'synced' };
  const registry = { ...c.registry, synced: { status: input.status, at: input.at } };
  delete registry.syncFailure;
  return { ok: true, outcome: 'synced', next: { ...c, registry, updatedAt: input.at } };
}

/** The bot's write failed: counted and shown; the sync job tries again. */
export function noteRegistrySyncFailure(c: DeploymentCandidate, input: { status: RegistryStatus; message: string; at: string }): Decision<'failed'> {
  if (c.registry === undefined) return { ok: false, refusal: { code: 'state_conflict', state: c.state } };
  const attempts = (c.registry.syncFailure?.attempts ?? 0) + 1;
  const syncFailure = { status: input.status, message: input.message.slice(0, 500), at: input.at, attempts };
  return { ok: true, outcome: 'failed', next: { ...c, registry: { ...c.registry, syncFailure }, updatedAt: input.at } };
}

/** Time before the next write attempt after `attempts` failures: 15 s doubling, at most 10 minutes. */
export function registryRetryDelayMs(attempts: number): number {
  return Math.min(15_000 * 2 ** Math.max(0, attempts - 1), 10 * 60_000);
}
