import type { Store } from '../core/store';
import { storeKeys } from '../store/store-keys';

export type AuditAction =
  | 'approved'
  | 'rejected'
  | 'deploy_triggered'
  | 'trigger_failed'
  /** The trigger's outcome is unknown (timeout, reset, 5xx): the run id and the endpoint are kept while it is confirmed. */
  | 'trigger_unclear'
  | 'deployed'
  | 'deploy_failed'
  /** An approver stopped a canary / linear rollout (Abort and roll back); the rollback follows. */
  | 'deploy_aborted'
  | 'rolled_back'
  | 'superseded'
  /** Approval timers (src/approvals): the one reminder was sent; the candidate expired without a decision. */
  | 'reminded'
  | 'expired'
  | 'training_requested'
  /** An operator paused / resumed a model's retraining schedule (src/schedules), with the reason. */
  | 'schedule_paused'
  | 'schedule_resumed';

export interface AuditEntry {
  at: string;
  model: string;
  version?: string;
  candidateId?: string;
  action: AuditAction;
  /** Slack user id, or 'pipeline' for outcomes reported by the pipeline. */
  actor: string;
  dagRunId?: string;
  detail?: string;
  primaryMetric?: { name: string; value: number };
}

const MAX_PER_MODEL = 500;
const MAX_ALL = 1000;

/** Append-only audit of every decision; feeds `/mlops history` and the Home tab. */
export function createAuditLog(store: Store) {
  return {
    async append(entry: AuditEntry): Promise<void> {
      const raw = JSON.stringify(entry);
      await store.pushBounded(storeKeys.audit(entry.model), raw, MAX_PER_MODEL);
      await store.pushBounded(storeKeys.auditAll(), raw, MAX_ALL);
    },
    /** The newest `limit` entries of a model (or of all models), newest first. */
    async recent(model: string | undefined, limit: number): Promise<AuditEntry[]> {
      const key = model === undefined ? storeKeys.auditAll() : storeKeys.audit(model);
      const raws = await store.listRange(key, -limit, -1);
      return raws.map((r) => JSON.parse(r) as AuditEntry).reverse();
    },
  };
}
export type AuditLog = ReturnType<typeof createAuditLog>;
