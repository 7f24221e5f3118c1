import type { Store } from '../core/store';
import { storeKeys } from '../store/store-keys';
import { updateJsonWith } from '../store/update-json';

export type RunStage = 'requested' | 'started' | 'trained' | 'evaluated' | 'deploying' | 'live' | 'failed';

/** Why a run the bot started was started, beyond a person asking (contract 9: conf `reason`). */
export type TrainingOrigin = { reason: 'drift'; driftAlertId: string; signal?: string } | { reason: 'schedule'; slot: string };

export interface RunRecord {
  /** runKeyOf(event): `run:<runId>` (or model@version when the pipeline sent no run id). */
  runKey: string;
  model: string;
  dagId?: string;
  runId?: string;
  /** The run's page in Airflow, when an event gave one (watchdog alerts link to it). */
  runUrl?: string;
  /** The run's top-level Slack message, once posted (replies thread under it). */
  channel?: string;
  ts?: string;
  stage: RunStage;
  /** Slack user who started it from Slack (`/mlops train`), when known. */
  startedBy?: string;
  startedAt: string;
  updatedAt: string;
  /** Set once the run has an outcome; open runs are watched by the watchdog. */
  outcome?: 'succeeded' | 'failed';
  /** A drift alert's Retrain or a retraining schedule started it (shown on its evaluation card and in lineage). */
  origin?: TrainingOrigin;
  /** The watchdog's last note, so it does not repeat itself. */
  lastWatchdogNoteAt?: string;
  /** The bake's verdict on the deployment that made the run live (issue 14); dropped when the stage changes. */
  baked?: 'healthy' | 'degraded' | 'inconclusive';
}

/** Runs older than 30 days are forgotten. */
const RUN_TTL_MS = 30 * 24 * 60 * 60 * 1000;

/** Run → Slack message mapping and stage, shared by delivery, `/mlops train` and the watchdog. */
export function createRunRegistry(store: Store) {
  return {
    async get(runKey: string): Promise<RunRecord | undefined> {
      const raw = await store.get(storeKeys.run(runKey));
      return raw === null ? undefined : (JSON.parse(raw) as RunRecord);
    },
    /** Creates the record only if absent (first writer wins); returns the stored record. */
    async createIfAbsent(record: RunRecord): Promise<{ created: boolean; record: RunRecord }> {
      const created = await store.compareAndSet(storeKeys.run(record.runKey), null, JSON.stringify(record), RUN_TTL_MS);
      if (created) {
        if (record.outcome === undefined) await store.setAdd(storeKeys.openRuns(), record.runKey);
        return { created, record };
      }
      const existing = await this.get(record.runKey);
      return { created, record: existing ?? record };
    },
    /** Read-modify-write with compare-and-set; `change` returns undefined to leave it as is. */
    async update(runKey: string, change: (current: RunRecord) => RunRecord | undefined): Promise<RunRecord | undefined> {
      const updated = await updateJsonWith<RunRecord, { record: RunRecord | undefined; written: boolean }>(
        store,
        storeKeys.run(runKey),
        { ttlMs: RUN_TTL_MS, tooFast: () => new Error(`run ${runKey} is changing too fast`) },
        (current) => {
          if (current === undefined) return { result: { record: undefined, written: false } };
          const next = change(current);
          return next === undefined ? { result: { record: current, written: false } } : { write: next, result: { record: next, written: true } };
        },
      );
      if (updated.written && updated.record?.outcome !== undefined) await store.setRemove(storeKeys.openRuns(), runKey);
      return updated.record;
    },
    /** A run started from Slack: its events thread under the reply that started it. */
    async registerSlackStartedRun(opts: {
      runId: string;
      dagId: string;
      model: string;
      channel: string;
      ts: string;
      requestedBy: string;
      at: Date;
      origin?: TrainingOrigin;
    }) {
      const at = opts.at.toISOString();
      return this.createIfAbsent({
        runKey: `run:${opts.runId}`,
        model: opts.model,
        dagId: opts.dagId,
        runId: opts.runId,
        channel: opts.channel,
        ts: opts.ts,
        stage: 'requested',
        startedBy: opts.requestedBy,
        startedAt: at,
        updatedAt: at,
        ...(opts.origin !== undefined ? { origin: opts.origin } : {}),
      });
    },
    async openRunKeys(): Promise<string[]> {
      return store.setMembers(storeKeys.openRuns());
    },
  };
}
export type RunRegistry = ReturnType<typeof createRunRegistry>;
