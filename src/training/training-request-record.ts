import { z } from 'zod';

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
