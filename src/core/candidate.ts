import { createHash } from 'node:crypto';

/**
 * A candidate is one evaluated model version that may be deployed. Created from an
 * `evaluation.completed` event (or a `/mlops deploy|rollback` command), acted on by the
 * Deploy / Reject buttons. Stored as JSON under storeKeys.candidate(id) and changed only by
 * compare-and-set, so every transition is atomic across replicas.
 */
// `registry_approved` (contract 10): approved for a Model Registry package whose model has no deployment
// DAG; the bot writes Approved to the registry and deploys nothing (SageMaker's side deploys, if anything).
export const CANDIDATE_STATES = [
  'pending',
  'approved',
  'deploying',
  'deployed',
  'deploy_failed',
  'rejected',
  'superseded',
  'expired',
  'registry_approved',
] as const;
export type CandidateState = (typeof CANDIDATE_STATES)[number];

export interface Approval {
  userId: string;
  at: string; // ISO time
}

export interface Candidate {
  id: string;
  model: string;
  version: string;
  state: CandidateState;
  /** Why this candidate exists: an evaluation, or a deploy/rollback command. */
  origin: 'evaluation' | 'deploy-command' | 'rollback-command';
  metrics: Record<string, number>;
  confusionMatrix?: { labels: string[]; matrix: number[][] };
  endpoint?: string;
  trainingJob?: string;
  run?: { dagId?: string; runId?: string; url?: string };
  lineage?: { commit?: string; image?: string; data?: string };
  links?: Record<string, string>;
  /** When the evaluation happened (event timestamp). */
  evaluatedAt?: string;
  /** The pipeline event that created it, when any. */
  sourceEventId?: string;
  /** Who asked for it with `/mlops deploy|rollback` (command candidates). */
  requestedBy?: string;
  /** The version that superseded it. */
  supersededBy?: string;
  /** For rollback candidates: the version being replaced. */
  replacesVersion?: string;
  /** Slack user who started the run (self-approval rule), when known. */
  startedBy?: string;
  /** What started its training run besides a person (issue 15): a drift alert's Retrain or a retraining schedule. */
  startedFrom?: { reason: 'drift'; driftAlertId: string; signal?: string } | { reason: 'schedule'; slot: string };
  /** The message that shows this candidate and its buttons. */
  message?: { channel: string; ts: string };
  requiredApprovals: number;
  approvals: Approval[];
  /** Deployment attempts so far; part of the deterministic dag_run_id. */
  attempt: number;
  dagRunId?: string;
  decidedBy?: string;
  decidedAt?: string;
  rejectReason?: string;
  failureReason?: string;
  /** When its one reminder was sent (approvals.remindAfterMinutes). */
  remindedAt?: string;
  /** When it expired without a decision (approvals.expireAfterHours). */
  expiredAt?: string;
  /** The SageMaker Model Registry package it stands for (models.<m>.modelPackageGroup), and the sync both ways. */
  registry?: RegistryLink;
  createdAt: string;
  updatedAt: string;
  /** Monotonic revision, bumped by every transition (makes CAS values unique). */
  rev: number;
}

/** A decided ModelApprovalStatus (PendingManualApproval is the undecided one). */
export type RegistryStatus = 'Approved' | 'Rejected';

/** A decision about a package made in SageMaker (Studio, the console, the API), as its event or DescribeModelPackage said. */
export interface RegistryDecision {
  status: RegistryStatus;
  /** The Studio user profile or IAM identity that changed it, when SageMaker says. */
  by?: string;
  at: string;
  description?: string;
}

export interface RegistryLink {
  packageArn: string;
  group: string;
  packageVersion: number;
  /**
   * The latest decision made in SageMaker outside the bot. `applied`: it decided this candidate
   * (pending → approved / rejected); otherwise the bot had decided already and it is only shown.
   */
  external?: RegistryDecision & {
    applied: boolean;
    /** An approval that would have to override the gate or a freeze window: not deployed; an approver decides in Slack with a reason. */
    held?: string[];
  };
  /** The bot's own status is in SageMaker (its UpdateModelPackage landed, or SageMaker said so already). */
  synced?: { status: RegistryStatus; at: string };
  /** The bot's UpdateModelPackage failed so far (retried by the registry sync job; shown on the card). */
  syncFailure?: { status: RegistryStatus; message: string; at: string; attempts: number };
}

/** Airflow run ids allow only `[A-Za-z0-9_.~:+-]`; candidate ids are built to fit. */
export function candidateIdFor(model: string, version: string, sourceId: string): string {
  const digest = createHash('sha256').update(sourceId).digest('hex').slice(0, 10);
  return `${model}_${version}_${digest}`.replace(/[^A-Za-z0-9_.~:+-]/g, '-');
}

/** The deterministic deployment run id: a retried trigger of the same attempt is the same run. */
export function deploymentRunIdFor(candidateId: string, attempt: number): string {
  return `mlops_deploy__${candidateId}__${attempt}`;
}
