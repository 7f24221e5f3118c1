import { countInAlertGroup, decideAlertPlacement, openAlertGroup, type AlertGroup } from '../core/alert-group';
import { runKeyOf } from '../core/pipeline-event';
import type { Logger } from '../observability/create-logger';
import { DELIVERY_TTL_MS, isRecordedMessage, type DeliveryRecord, type Placement } from '../outbox';
import { storeKeys } from '../store/store-keys';
import { updateJson } from '../store/update-json';
import { isRecordedAlarm, isRecordedEvent, type RecordedItem } from './record-event';
import type { DeliveryContext } from './plan-recorded-item';
import { findDeploymentCandidate } from '../deployments';
import { driftGroupKey } from '../drift';

export type PlacementDecision = { ok: true; placement: Placement } | { ok: false; wait: true } | { ok: false; fail: string };

/**
 * Where a delivery's message goes, decided when it is first sent (the thread it needs exists by
 * then: each channel's queue is processed in order):
 * - failures in the alert channel, and failures whose run has no thread yet: the model + DAG's
 *   open alert (a reply, counted in the root) or a new alert;
 * - a run that has a thread in this channel: a reply in it (the root shows the new stage);
 * - deployment events of a known candidate: the thread of the training run that produced it,
 *   else the candidate's own message;
 * - otherwise a new top-level message that becomes the run's thread root.
 */
export async function decidePlacement(ctx: DeliveryContext, d: DeliveryRecord, item: RecordedItem): Promise<PlacementDecision> {
  if (d.role === 'error-detail') {
    const parentRaw = d.parentId !== undefined ? await ctx.store.get(storeKeys.delivery(d.parentId)) : null;
    if (parentRaw === null) return { ok: false, fail: 'its alert is unknown' };
    const parent = JSON.parse(parentRaw) as DeliveryRecord;
    if (parent.state === 'failed') return { ok: false, fail: 'its alert could not be posted' };
    if ((parent.state !== 'posted' && parent.state !== 'done') || parent.ts === undefined) return { ok: false, wait: true };
    const threadTs = parent.placement?.kind === 'reply' ? parent.placement.threadTs : parent.ts;
    return { ok: true, placement: { kind: 'reply', threadTs } };
  }

  const windowMs = ctx.config.file.alerts.groupWindowMinutes * 60_000;
  const alertPlacement = async (linkRunKey?: string): Promise<PlacementDecision> => {
    const groupKey = alertGroupKeyOf(item);
    const raw = await ctx.store.get(groupKey);
    const group = raw === null ? undefined : (JSON.parse(raw) as AlertGroup);
    const decision = decideAlertPlacement(group, d.channel, new Date(item.receivedAt), windowMs);
    if (decision.kind === 'reply') {
      return {
        ok: true,
        placement: { kind: 'reply', threadTs: decision.threadTs, update: { kind: 'alert', groupKey }, ...(linkRunKey !== undefined ? { linkRunKey } : {}) },
      };
    }
    return { ok: true, placement: { kind: 'top', root: 'alert', groupKey, ...(linkRunKey !== undefined ? { runKey: linkRunKey } : {}) } };
  };

  if (isRecordedAlarm(item)) {
    if (item.alarm.state === 'ALARM') return alertPlacement();
    // A resolution goes under the alarm's alert when there is one, whatever its age.
    const raw = await ctx.store.get(alertGroupKeyOf(item));
    const entry = raw === null ? undefined : (JSON.parse(raw) as AlertGroup).channels[d.channel];
    return { ok: true, placement: entry?.ts !== undefined ? { kind: 'reply', threadTs: entry.ts } : { kind: 'top', root: 'plain' } };
  }

  // Background messages are planned with their placement (planMessage); this only guards a record without one.
  if (isRecordedMessage(item)) return { ok: true, placement: { kind: 'top', root: 'plain' } };
  const { event } = item;
  // Drift alerts belong to no run: always an alert (grouped by model + signal).
  if (event.type === 'drift.detected') return alertPlacement();
  const failure = event.type.endsWith('.failed');
  const runKey = runKeyOf(event);
  if (failure && d.modelChannel !== undefined && d.channel !== d.modelChannel) return alertPlacement();

  const run = await ctx.runs.get(runKey);
  if (run?.channel === d.channel && run.ts !== undefined && run.ts !== '') {
    return {
      ok: true,
      placement: { kind: 'reply', threadTs: run.ts, update: { kind: 'run', runKey }, ...(event.type === 'evaluation.completed' ? { broadcast: true } : {}) },
    };
  }
  if (event.type.startsWith('deployment.')) {
    const candidate = await findDeploymentCandidate(ctx.candidates, event);
    const trainingRunKey = candidate?.run?.runId !== undefined ? `run:${candidate.run.runId}` : undefined;
    const trainingRun = trainingRunKey !== undefined ? await ctx.runs.get(trainingRunKey) : undefined;
    if (trainingRunKey !== undefined && trainingRun?.channel === d.channel && trainingRun.ts !== undefined) {
      return { ok: true, placement: { kind: 'reply', threadTs: trainingRun.ts, update: { kind: 'run', runKey: trainingRunKey }, linkRunKey: runKey } };
    }
    if (candidate?.message?.channel === d.channel) {
      return { ok: true, placement: { kind: 'reply', threadTs: candidate.message.ts, linkRunKey: runKey } };
    }
  }
  if (failure) return alertPlacement(runKey);
  return { ok: true, placement: { kind: 'top', root: event.type === 'evaluation.completed' ? 'candidate' : 'run', runKey } };
}

/** Failures group by model + DAG; alarms by model + alarm name. */
export function alertGroupKeyOf(item: RecordedItem): string {
  if (isRecordedAlarm(item)) return storeKeys.alertGroup(item.alarm.model ?? '-', `alarm:${item.alarm.alarmName}`);
  // Background messages never group (their placement is fixed when recorded); a key of their own.
  if (isRecordedMessage(item)) return storeKeys.alertGroup(item.model ?? '-', `message:${item.type}`);
  if (item.event.type === 'drift.detected') return driftGroupKey(item.event.model, item.event.drift?.signal ?? 'data');
  return storeKeys.alertGroup(item.event.model, item.event.run?.dagId ?? '-');
}

/**
 * Bookkeeping once Slack gave a main message its ts (idempotent: a recovery runs it again): the
 * run's thread, the run's top message, the alert group it opened or counted in, the candidate's
 * message. (The outbox then re-renders the thread root the placement names.)
 */
export async function recordPlacement(ctx: DeliveryContext, d: DeliveryRecord, item: RecordedItem, ts: string, log: Logger): Promise<void> {
  const placement = d.placement;
  if (placement === undefined) return;
  if (placement.kind === 'top') {
    const runKey = placement.runKey ?? (isRecordedEvent(item) ? runKeyOf(item.event) : undefined);
    // `/mlops train`'s "requested" message: the run's later events thread under it.
    if (placement.root === 'plain' && runKey !== undefined && isRecordedMessage(item)) await linkRunThread(ctx, runKey, d.channel, ts, item);
    if (placement.root === 'run' && runKey !== undefined) {
      await linkRunThread(ctx, runKey, d.channel, ts, item);
      const root: RunMessage = { channel: d.channel, ts, eventId: d.eventId, deliveryId: d.id };
      await ctx.store.setIfAbsent(storeKeys.runMessage(runKey), JSON.stringify(root), DELIVERY_TTL_MS * 4);
    }
    if (placement.root === 'candidate' && runKey !== undefined) await linkRunThread(ctx, runKey, d.channel, ts, item);
    if (placement.root === 'alert' && placement.groupKey !== undefined) {
      const at = new Date(item.receivedAt);
      await updateJson<AlertGroup>(ctx.store, placement.groupKey, DELIVERY_TTL_MS, (g) => {
        const entry = g?.channels[d.channel];
        return entry?.firstId === d.eventId && entry.ts === ts ? undefined : openAlertGroup(g, d.channel, d.eventId, ts, at);
      });
      if (placement.runKey !== undefined && d.channel === d.modelChannel) await linkRunThread(ctx, placement.runKey, d.channel, ts, item);
    }
  } else {
    if (placement.update?.kind === 'alert') {
      await updateJson<AlertGroup>(ctx.store, placement.update.groupKey, DELIVERY_TTL_MS, (g) => {
        if (g === undefined) return undefined;
        const next = countInAlertGroup(g, d.channel, d.eventId);
        return next === g ? undefined : next;
      });
    }
    if (placement.linkRunKey !== undefined) {
      await linkRunThread(ctx, placement.linkRunKey, d.channel, placement.threadTs, item);
      if (placement.update?.kind === 'run' && placement.update.runKey !== placement.linkRunKey) {
        const alias: RunMessage = { alias: placement.update.runKey };
        await ctx.store.setIfAbsent(storeKeys.runMessage(placement.linkRunKey), JSON.stringify(alias), DELIVERY_TTL_MS * 4);
      }
    }
  }
  if (d.candidateId !== undefined) {
    const message = { channel: d.channel, ts };
    await ctx.candidates
      .update(d.candidateId, (c) =>
        c.message !== undefined ? { result: undefined } : { write: { ...c, message, updatedAt: ctx.clock.now().toISOString() }, result: undefined },
      )
      .catch((error: unknown) => log.warn({ err: error, candidateId: d.candidateId }, 'delivery: could not store the candidate message'));
  }
}

/** The run's later events thread here (first writer wins: an existing thread is kept). */
async function linkRunThread(ctx: DeliveryContext, runKey: string, channel: string, ts: string, item: RecordedItem): Promise<void> {
  const now = ctx.clock.now().toISOString();
  const existing = await ctx.runs.get(runKey);
  if (existing === undefined) {
    if (!isRecordedEvent(item)) return;
    const { event } = item;
    await ctx.runs.createIfAbsent({
      runKey,
      model: event.model,
      ...(event.run?.dagId !== undefined ? { dagId: event.run.dagId } : {}),
      ...(event.run?.runId !== undefined ? { runId: event.run.runId } : {}),
      channel,
      ts,
      stage: 'started',
      startedAt: event.timestamp,
      updatedAt: now,
    });
    return;
  }
  // '' is a thread not known yet (a "requested" message still on its way, see postThroughOutbox in outbox/record-message.ts).
  if (existing.ts !== undefined && existing.ts !== '') return;
  await ctx.runs.update(runKey, (r) => (r.ts !== undefined && r.ts !== '' ? undefined : { ...r, channel, ts, updatedAt: now }));
}

/** storeKeys.runMessage: the run top message the outbox posted, or an alias to the run whose thread a run joined. */
export interface RunMessage {
  channel?: string;
  ts?: string;
  eventId?: string;
  deliveryId?: string;
  alias?: string;
}
