import { z } from 'zod';
import type { Store } from '../core/store';
import { storeKeys } from '../store/store-keys';
import { updateJson } from '../store/update-json';

/**
 * A model's retraining schedule in the store (storeKeys.schedule): `cursor` is the time up to
 * which due slots were handled (slots in (cursor, now] are the next pass's), `paused` who
 * paused it and why, `last` what the latest slot did. Shared by replicas, survives restarts.
 */
const stateSchema = z.object({
  cursor: z.string(),
  paused: z.object({ by: z.string(), at: z.string(), reason: z.string() }).optional(),
  last: z
    .object({
      slot: z.string(),
      runId: z.string().optional(),
      outcome: z.enum(['started', 'confirming', 'skipped', 'missed', 'failed']),
      note: z.string().optional(),
    })
    .optional(),
});
export type ScheduleState = z.infer<typeof stateSchema>;

/** Kept while the schedule is configured; refreshed by every pass. */
const STATE_TTL_MS = 90 * 24 * 60 * 60 * 1000;

function parse(value: unknown): ScheduleState | undefined {
  const parsed = stateSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

export async function readScheduleState(store: Store, model: string): Promise<ScheduleState | undefined> {
  const raw = await store.get(storeKeys.schedule(model));
  if (raw === null) return undefined;
  try {
    return parse(JSON.parse(raw));
  } catch {
    return undefined;
  }
}

/** Compare-and-set change; an unreadable record counts as absent. `change` returns undefined to leave it. */
export async function updateScheduleState(
  store: Store,
  model: string,
  change: (current: ScheduleState | undefined) => ScheduleState | undefined,
): Promise<ScheduleState | undefined> {
  return updateJson<ScheduleState>(store, storeKeys.schedule(model), STATE_TTL_MS, (current) => change(parse(current)));
}
