import { decideAlertPlacement, type AlertGroup } from '../core/alert-group';
import { runKeyOf } from '../core/pipeline-event';
import { storeKeys } from '../store/store-keys';
import { alertGroupKeyOf } from './alert-group-key';
import type { DeliveryContext } from './delivery-context';
import { isRecordedAlarm, isRecordedMessage, type DeliveryRecord, type Placement, type RecordedItem } from './delivery-record';
import { findDeploymentCandidate } from '../deployments';

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
