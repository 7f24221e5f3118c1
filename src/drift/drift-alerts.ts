import { z } from 'zod';
import type { AlertGroup } from '../core/alert-group';
import type { Config } from '../config/config-schema';
import type { PipelineEvent } from '../core/pipeline-event';
import type { Clock } from '../core/ports';
import type { Store } from '../core/store';
import type { RunRegistry } from '../training';
import { loadRecordedItem, type UpdateMessage } from '../outbox';
import { storeKeys } from '../store/store-keys';
import { updateJson } from '../store/update-json';
import { driftAlertView, type DriftAlertActions } from '../../views/drift-alert-view';
import type { SlackMessage } from '../../views/slack-message';

/** Kept as long as the outbox keeps deliveries' items (the alert is re-rendered from them). */
const DRIFT_ALERT_TTL_MS = 30 * 24 * 60 * 60 * 1000;

/** Drift alerts group by model + signal (failure alerts by model + DAG, alarms by alarm). */
export function driftGroupKey(model: string, signal: string): string {
  return storeKeys.alertGroup(model, `drift:${signal}`);
}

const snoozeSchema = z.object({ until: z.string(), by: z.string() });
export type DriftSnooze = z.infer<typeof snoozeSchema>;

const actionsSchema = z.object({
  retrain: z
    .object({
      by: z.string(),
      at: z.string(),
      runId: z.string(),
      dagId: z.string().optional(),
      confirming: z.boolean().optional(),
    })
    .optional(),
  snooze: snoozeSchema.optional(),
  /** Retrain asked "start another?" (duplicate guard): the run id it will have if confirmed. */
  askedRetrain: z.object({ by: z.string(), at: z.string(), runId: z.string() }).optional(),
});
export type StoredDriftActions = z.infer<typeof actionsSchema>;

/** The snooze of a model + signal while it lasts (the key expires when it ends; the time is checked too). */
export async function activeSnooze(store: Store, model: string, signal: string, now: Date): Promise<DriftSnooze | undefined> {
  const raw = await store.get(storeKeys.driftSnooze(model, signal));
  const parsed = raw === null ? undefined : snoozeSchema.safeParse(safeJson(raw));
  if (parsed?.success !== true) return undefined;
  return Date.parse(parsed.data.until) > now.getTime() ? parsed.data : undefined;
}

/** Silences model + signal until `until` (a later snooze replaces an earlier one). */
export async function setSnooze(store: Store, model: string, signal: string, snooze: DriftSnooze, now: Date): Promise<void> {
  const ttl = Math.max(1000, Date.parse(snooze.until) - now.getTime());
  await store.set(storeKeys.driftSnooze(model, signal), JSON.stringify(snooze), ttl);
}

export async function readDriftActions(store: Store, alertId: string): Promise<StoredDriftActions> {
  const raw = await store.get(storeKeys.driftAlert(alertId));
  const parsed = raw === null ? undefined : actionsSchema.safeParse(safeJson(raw));
  return parsed?.success === true ? parsed.data : {};
}

/** Compare-and-set change of an alert's actions; `change` returns undefined to leave them. */
export async function updateDriftActions(
  store: Store,
  alertId: string,
  change: (current: StoredDriftActions) => StoredDriftActions | undefined,
): Promise<StoredDriftActions | undefined> {
  return updateJson<StoredDriftActions>(store, storeKeys.driftAlert(alertId), DRIFT_ALERT_TTL_MS, (current) => change(current ?? {}));
}

export interface DriftRenderContext {
  config: Config;
  store: Store;
  clock: Clock;
  runs: RunRegistry;
}

/**
 * The message of a drift event: the root of its group (`count` set: buttons, what was done, the
 * snooze in force) or a reply in the root's thread (`occurrence`). The retrain's run link comes
 * from the run record once the pipeline's events gave it.
 */
export async function renderDriftAlert(
  ctx: DriftRenderContext,
  event: PipelineEvent,
  opts: { count?: number; occurrence?: number; modelChannel?: string },
): Promise<SlackMessage> {
  const signal = event.drift?.signal ?? 'data';
  const root = opts.count !== undefined;
  const [stored, snooze] = root
    ? await Promise.all([readDriftActions(ctx.store, event.id), activeSnooze(ctx.store, event.model, signal, ctx.clock.now())])
    : [{}, undefined];
  const actions: DriftAlertActions = {};
  if (stored.retrain !== undefined) {
    const run = await ctx.runs.get(`run:${stored.retrain.runId}`);
    actions.retrain = {
      ...stored.retrain,
      ...(run?.runUrl !== undefined ? { runUrl: run.runUrl } : {}),
      ...(run?.dagId !== undefined ? { dagId: run.dagId } : {}),
    };
  } else if (stored.askedRetrain !== undefined) {
    // Confirmed through the "start another?" question: shown once the run was started.
    const run = await ctx.runs.get(`run:${stored.askedRetrain.runId}`);
    if (run !== undefined) {
      actions.retrain = {
        by: stored.askedRetrain.by,
        at: run.startedAt,
        runId: stored.askedRetrain.runId,
        ...(run.runUrl !== undefined ? { runUrl: run.runUrl } : {}),
        ...(run.dagId !== undefined ? { dagId: run.dagId } : {}),
      };
    }
  }
  if (stored.snooze !== undefined) actions.snooze = stored.snooze;
  return driftAlertView({
    event,
    windowMinutes: ctx.config.file.alerts.groupWindowMinutes,
    ...(opts.count !== undefined ? { count: opts.count } : {}),
    ...(opts.occurrence !== undefined ? { occurrence: opts.occurrence } : {}),
    ...(opts.modelChannel !== undefined ? { modelChannel: opts.modelChannel } : {}),
    actions,
    ...(snooze !== undefined ? { snoozedUntil: snooze.until } : {}),
  });
}

/** The recorded drift event behind an alert id (the hook's record, kept by the outbox). */
export async function loadDriftEvent(store: Store, alertId: string): Promise<PipelineEvent | undefined> {
  const item = await loadRecordedItem<{ receivedAt: string; event?: PipelineEvent }>(store, alertId);
  return item?.event?.type === 'drift.detected' ? item.event : undefined;
}

/**
 * Re-renders an alert after a click, in every channel where it is the group's root (the model's
 * channel and, for a high severity, the alert channel), through the outbox.
 */
export async function refreshDriftAlert(ctx: DriftRenderContext & { updateMessage: UpdateMessage }, event: PipelineEvent): Promise<void> {
  const raw = await ctx.store.get(driftGroupKey(event.model, event.drift?.signal ?? 'data'));
  const group = raw === null ? undefined : (safeJson(raw) as AlertGroup | undefined);
  const modelChannel = ctx.config.file.models[event.model]?.channel ?? ctx.config.file.slack.defaultChannel;
  for (const [channel, entry] of Object.entries(group?.channels ?? {})) {
    if (entry.firstId !== event.id || entry.ts === undefined) continue;
    const message = await renderDriftAlert(ctx, event, {
      count: entry.count,
      ...(modelChannel !== undefined && modelChannel !== channel ? { modelChannel } : {}),
    });
    await ctx.updateMessage({ channel, ts: entry.ts }, message, { type: 'drift' });
  }
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
