import type { DeploymentCandidate, Refusal } from '../core/candidate-state-machine';
import type { PipelineEvent } from '../core/pipeline-event';
import type { BackgroundJob } from '../jobs/leased-job';
import type { Logger } from '../observability/create-logger';
import type { EndpointLockHolder } from './endpoint-lock';

/*
 * The deployments feature's interface and the results it returns, types only, in a file that
 * imports nothing of the bot's wiring (BotDeps names `Deployments` without an import cycle).
 * create-deployments.ts builds it.
 */

export interface MessageRef {
  channel: string;
  ts: string;
}

export type DeployResult =
  | { kind: 'not_found' }
  | { kind: 'not_authorized'; model: string; who: string }
  | { kind: 'not_configured'; problem: string }
  | { kind: 'refused'; refusal: Refusal; candidate: DeploymentCandidate }
  /** `holderCandidate`: set when the holder's own trigger is in doubt (being confirmed). */
  | { kind: 'busy'; endpoint: string; holder: EndpointLockHolder; holderCandidate?: DeploymentCandidate }
  | { kind: 'recorded'; candidate: DeploymentCandidate }
  | { kind: 'deploying'; candidate: DeploymentCandidate; alreadyTriggered: boolean }
  /** The trigger's outcome is unknown: the candidate keeps the endpoint and its run id until the run state settles it. */
  | { kind: 'confirming'; candidate: DeploymentCandidate; endpoint: string }
  /** The evaluation named another endpoint than the configured one: refused, nothing changed. */
  | { kind: 'endpoint_mismatch'; candidate: DeploymentCandidate; named: string; configured: string }
  | { kind: 'trigger_failed'; candidate: DeploymentCandidate; code: string; message: string }
  /** The deployment fails the non-regression gate or falls in a freeze window: ask the approver for a reason (nothing changed). */
  | { kind: 'override_required'; candidate: DeploymentCandidate; checks: string[] };

export type RejectResult =
  | { kind: 'not_found' }
  | { kind: 'not_authorized'; model: string; who: string }
  | { kind: 'refused'; refusal: Refusal; candidate: DeploymentCandidate }
  | { kind: 'rejected'; candidate: DeploymentCandidate };

export type RollbackResult = DeployResult | { kind: 'no_rollback_target'; model: string; version: string };

export interface DeployRecoveryJob extends BackgroundJob {
  /** One scan now (tests, tooling). */
  runOnce(): Promise<void>;
}

/** A decision someone took on a candidate's card (Deploy, Rollback, Cancel). */
export interface CardDecision {
  candidateId: string;
  userId: string;
  /** The message the button is on, when Slack says (remembered if the record does not know it). */
  message?: MessageRef;
  /** The strategy select's value sent with a Deploy click (an index into the model's strategies). */
  strategyPick?: string;
  /** The approver's reason to deploy past a failed gate or inside a freeze window (the override form). */
  overrideReason?: string;
  log: Logger;
}

/** May the Reject form open? (The submission authorizes again.) */
export type RejectFormCheck =
  | { kind: 'ok'; candidate: DeploymentCandidate }
  | { kind: 'not_found' }
  | { kind: 'not_authorized'; model: string; who: string }
  | { kind: 'refused'; refusal: Refusal; candidate: DeploymentCandidate };

/** May this user ask for a deployment of this model by command? */
export type RequestCheck = { kind: 'ok' } | { kind: 'not_authorized'; who: string } | { kind: 'not_configured'; problem: string };

/**
 * The deployments feature, as the rest of the bot sees it: decisions in, a typed result out.
 * Built once by the composition root; the state machine, endpoint lock, audit and card updates
 * stay inside.
 */
export interface Deployments {
  /** Deploy / Approve on an evaluation message or a command card. */
  deploy(input: CardDecision): Promise<DeployResult>;
  /** Rollback on a failed deployment's message: a rollback request approved by this click. */
  rollback(input: CardDecision): Promise<RollbackResult>;
  /** Abort and roll back on the card of a canary / linear rollout (approvers; the Rollback path follows). */
  abort(input: CardDecision): Promise<RollbackResult>;
  /** Promote shadow / Stop shadow on a live shadow deployment (approvers; the deployment DAG with that strategy.type). */
  shadowDecision(input: CardDecision & { type: 'promote-shadow' | 'stop-shadow' }): Promise<DeployResult>;
  /** The bake report of a deployed candidate was posted: its card says "live, baked" (or degraded). Idempotent. */
  noteBake(candidateId: string, verdict: 'healthy' | 'degraded' | 'inconclusive', log: Logger): Promise<void>;
  /** Roll back to <previous version> on a degraded bake report (approvers; the Rollback path). */
  rollbackFromBake(input: CardDecision): Promise<RollbackResult>;
  /** Cancel on a `/mlops deploy|rollback` card (no reason needed); the card shows it. */
  cancel(input: CardDecision): Promise<RejectResult>;
  /** Reject on an evaluation message: whether its form may open, the authorization bounded by `budgetMs` (undecided = allowed). */
  checkRejectForm(input: { candidateId: string; userId: string; budgetMs: number }): Promise<RejectFormCheck>;
  /** The Reject form's submission (reason required). Answer the user, then call `showRejection`. */
  reject(input: CardDecision & { reason: string }): Promise<RejectResult>;
  /** Shows a rejection on its card (after the form closed): remembers `message` if the record did not know it. */
  showRejection(result: RejectResult, message: Partial<MessageRef>, log: Logger): Promise<void>;
  /** `/mlops deploy|rollback`: is the user an approver of `model`, and can deployments start? */
  checkRequest(userId: string, model: string): Promise<RequestCheck>;
  /** `/mlops deploy|rollback`: posts the request's card in `channel`, then stores the request. */
  request(candidate: DeploymentCandidate, channel: string, log: Logger): Promise<MessageRef>;
  /**
   * A recorded `deployment.*` pipeline event: the production baseline, the candidate's state, the
   * endpoint lock, superseded candidates and their cards. Idempotent (at-least-once delivery).
   */
  applyPipelineEvent(event: PipelineEvent): Promise<void>;
  /**
   * A candidate approved outside Slack (a Model Registry approval, contract 10): the Deploy path from
   * the endpoint lock on (deterministic run id, exactly once; crash recovery finishes it too).
   */
  continueApproved(candidateId: string, log: Logger, actor: string): Promise<DeployResult>;
  /** What deploying this candidate now would override (the non-regression gate, a freeze window), plain text; empty when nothing. */
  overrideChecks(candidateId: string): Promise<string[]>;
  /** Queues a re-render of a candidate's card through the outbox (a change made outside this feature: expiry). */
  showCard(candidateId: string, log: Logger): Promise<void>;
  /** Crash recovery of interrupted deployments (a background job). */
  recovery: DeployRecoveryJob;
}
