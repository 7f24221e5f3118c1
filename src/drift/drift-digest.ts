import { z } from 'zod';
import { DRIFT_SIGNALS, type DriftSignal, type PipelineEvent } from '../core/pipeline-event';
import type { Store } from '../core/store';
import type { RunRegistry } from '../training';
import { storeKeys } from '../store/store-keys';
import { activeSnooze, loadDriftEvent, readDriftActions } from './drift-alerts';

/** Enough for a day of a noisy monitor per model; the digest says how many it saw, not every one. */
const MAX_RECENT = 200;

const noteSchema = z.object({ id: z.string(), at: z.string(), snoozed: z.boolean().optional() });

/**
 * Notes a drift event of a model as delivery plans it (posted, or silenced by a snooze), so the
 * daily digest can find the day's drift without scanning recorded events. Planning is retried
 * after a crash, so a note may repeat: readers count ids once.
 */
export async function noteDriftEvent(store: Store, event: PipelineEvent, receivedAt: string, snoozed: boolean): Promise<void> {
  await store.pushBounded(
    storeKeys.driftRecent(event.model),
    JSON.stringify({ id: event.id, at: receivedAt, ...(snoozed ? { snoozed: true } : {}) }),
    MAX_RECENT,
  );
}

/** A model + signal's drift since a time, as the daily digest shows it. */
export interface DriftSummary {
  model: string;
  signal: DriftSignal;
  /** The latest event's measurement. */
  metric: string;
  value: number;
  threshold: number;
  feature?: string;
  /** high when any of them was. */
  severity?: 'low' | 'high';
  /** Events received (the silenced ones included), and when the latest was. */
  count: number;
  silenced: number;
  lastAt: string;
  retrain?: { by: string; runId: string };
  snooze?: { until: string; by: string };
}

/**
 * The drift of a model received at or after `since`, one summary per signal (oldest signal
 * first): what the monitor measured last, how often, and what was done about it: a Retrain
 * from one of the alerts, a snooze still in force.
 */
export async function summarizeDrift(ctx: { store: Store; runs: RunRegistry }, model: string, since: Date, now: Date): Promise<DriftSummary[]> {
  const raw = await ctx.store.listRange(storeKeys.driftRecent(model), 0, -1);
  const notes = new Map<string, z.infer<typeof noteSchema>>();
  for (const line of raw) {
    const parsed = noteSchema.safeParse(safeJson(line));
    if (parsed.success && Date.parse(parsed.data.at) >= since.getTime() && !notes.has(parsed.data.id)) notes.set(parsed.data.id, parsed.data);
  }
  const bySignal = new Map<DriftSignal, { events: { event: PipelineEvent; at: string; snoozed: boolean }[] }>();
  for (const note of notes.values()) {
    const event = await loadDriftEvent(ctx.store, note.id);
    if (event?.drift === undefined) continue; // expired with its record
    const group = bySignal.get(event.drift.signal) ?? { events: [] };
    group.events.push({ event, at: note.at, snoozed: note.snoozed === true });
    bySignal.set(event.drift.signal, group);
  }
  const summaries: DriftSummary[] = [];
  for (const signal of DRIFT_SIGNALS) {
    const events = bySignal.get(signal)?.events.sort((a, b) => a.at.localeCompare(b.at));
    const last = events?.[events.length - 1];
    if (events === undefined || last?.event.drift === undefined) continue;
    const drift = last.event.drift;
    let retrain: DriftSummary['retrain'];
    for (const { event } of events) {
      const actions = await readDriftActions(ctx.store, event.id);
      const started =
        actions.retrain ??
        (actions.askedRetrain !== undefined && (await ctx.runs.get(`run:${actions.askedRetrain.runId}`)) !== undefined ? actions.askedRetrain : undefined);
      if (started !== undefined) retrain = { by: started.by, runId: started.runId };
    }
    const snooze = await activeSnooze(ctx.store, model, signal, now);
    summaries.push({
      model,
      signal,
      metric: drift.metric,
      value: drift.value,
      threshold: drift.threshold,
      ...(drift.feature !== undefined ? { feature: drift.feature } : {}),
      ...(events.some((e) => e.event.drift?.severity === 'high')
        ? { severity: 'high' as const }
        : drift.severity !== undefined
          ? { severity: drift.severity }
          : {}),
      count: events.length,
      silenced: events.filter((e) => e.snoozed).length,
      lastAt: last.at,
      ...(retrain !== undefined ? { retrain } : {}),
      ...(snooze !== undefined ? { snooze: { until: snooze.until, by: snooze.by } } : {}),
    });
  }
  return summaries;
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
