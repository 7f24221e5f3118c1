import { z } from 'zod';
import type { Store } from '../core/store';
import type { TrainingOrigin } from './run-registry';
import { storeKeys } from '../store/store-keys';

/**
 * What training keeps in the store between requests: the duplicate guard (the model's latest
 * requested run) and the "start another?" questions waiting for Confirm / Cancel.
 */

/** A `train` that asked "start another?" and waits for Confirm / Cancel. */
export interface PendingTraining {
  id: string;
  model: string;
  retrain: boolean;
  params: Record<string, string>;
  requestedBy: string;
  channelId: string;
  /** Chosen when asked, so a confirmed request keeps its run id. */
  runId: string;
  createdAt: string;
  origin?: TrainingOrigin;
}

/** The question expires with its key: a stale Confirm starts nothing. */
export const PENDING_TRAINING_TTL_MS = 15 * 60 * 1000;

const pendingSchema = z.object({
  id: z.string(),
  model: z.string(),
  retrain: z.boolean(),
  params: z.record(z.string(), z.string()),
  requestedBy: z.string(),
  channelId: z.string(),
  runId: z.string(),
  createdAt: z.string(),
  origin: z
    .union([
      z.object({ reason: z.literal('drift'), driftAlertId: z.string(), signal: z.string().optional() }),
      z.object({ reason: z.literal('schedule'), slot: z.string() }),
    ])
    .optional(),
});

/** Pending training questions in the store, shared by replicas; `take` is atomic (first click wins). */
export function pendingTraining(store: Store) {
  return {
    async save(pending: PendingTraining): Promise<void> {
      await store.set(storeKeys.pendingTraining(pending.id), JSON.stringify(pending), PENDING_TRAINING_TTL_MS);
    },
    /** Removes and returns the request; undefined when it expired or another click took it. */
    async take(id: string): Promise<PendingTraining | undefined> {
      const key = storeKeys.pendingTraining(id);
      const raw = await store.get(key);
      if (raw === null) return undefined;
      if (!(await store.deleteIfEquals(key, raw))) return undefined;
      try {
        const parsed = pendingSchema.safeParse(JSON.parse(raw));
        return parsed.success ? parsed.data : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

/** The latest requested training run of a model (storeKeys.trainingRequest): the duplicate guard. */
export interface TrainingRequestRecord {
  runId: string;
  dagId: string;
  requestedBy: string;
  /** ISO time of the request. */
  at: string;
  retrain: boolean;
}

const recordSchema = z.object({
  runId: z.string().min(1),
  dagId: z.string().min(1),
  requestedBy: z.string().min(1),
  at: z.string().min(1),
  retrain: z.boolean().catch(false),
});

/** Reads a stored record; anything unreadable counts as no record (the guard must not block training). */
export function parseTrainingRequestRecord(raw: string | null): TrainingRequestRecord | undefined {
  if (raw === null) return undefined;
  try {
    const parsed = recordSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
