import { endpointMismatchNotice } from '../../views/trigger-confirming-view';
import type { AlertGroup } from '../core/alert-group';
import { runKeyOf } from '../core/pipeline-event';
import { routeEvent } from '../core/route-event';
import { storeKeys } from '../store/store-keys';
import { alarmAlertView } from '../../views/alarm-alert-view';
import { candidateMessageView } from '../../views/candidate-message-view';
import { deploymentProgressView } from '../../views/deployment-progress-view';
import { deploymentEventView } from '../../views/deployment-event-view';
import { errorDetailFitsInline, errorDetailView } from '../../views/error-detail-view';
import { escapeTruncate } from '../../views/format';
import { failureAlertView } from '../../views/failure-alert-view';
import { runTopMessageView } from '../../views/run-top-message-view';
import type { SlackMessage } from '../../views/slack-message';
import { trainingStartedView } from '../../views/training-started-view';
import { trainingSucceededView } from '../../views/training-succeeded-view';
import { withTimeout } from '../core/time-limit';
import { renderDriftAlert } from '../drift';
import {
  isRecordedMessage,
  loadRecordedItem,
  type DeliveryRecord,
  type Enrichment,
  type Placement,
  type Prepared,
  type Rendered,
  type RootUpdate,
} from '../outbox';
import { decidePlacement, type RunMessage } from './decide-placement';
import { isRecordedAlarm, isRecordedEvent, type RecordedItem } from './record-event';
import type { DeliveryContext } from './plan-recorded-item';

/** AWS gets this long to add details; the message goes out without them otherwise. */
const ENRICH_TIMEOUT_MS = 3000;

/**
 * What the outbox posts for a delivery (OutboxContent.prepare): its placement and AWS details,
 * decided at the first attempt and kept, and the message rendered at that placement now.
 */
export async function prepareDelivery(ctx: DeliveryContext, d: DeliveryRecord, item: RecordedItem): Promise<Prepared> {
  let placement = d.placement;
  let enrichment = d.enrichment;
  if (placement === undefined) {
    const decision = await decidePlacement(ctx, d, item);
    if (!decision.ok) return decision;
    placement = decision.placement;
    enrichment = await enrichDelivery(ctx, d, item);
  }
  const rendered = await renderDelivery(ctx, d, item, placement, enrichment);
  if (rendered.kind === 'fail') return { ok: false, fail: rendered.reason };
  return { ok: true, placement, ...(enrichment !== undefined ? { enrichment } : {}), rendered };
}

/** The message of a delivery at its placement (pure views fed from the store). */
export async function renderDelivery(
  ctx: DeliveryContext,
  d: DeliveryRecord,
  item: RecordedItem,
  placement: Placement,
  enrichment: Enrichment | undefined,
): Promise<Rendered> {
  if (d.role === 'error-detail') {
    if (!isRecordedEvent(item) || item.event.error === undefined) return { kind: 'fail', reason: 'no error text' };
    const { event } = item;
    const title = `Full error of ${event.model}${event.version !== undefined ? ` ${event.version}` : ''} ${event.type}${event.error?.task !== undefined ? ` (task ${event.error.task})` : ''}`;
    const text = event.error?.message ?? '';
    // The comment is mrkdwn (the title, plain text, is shown as is): outside text escaped.
    if (!errorDetailFitsInline(text))
      return { kind: 'file', content: text, title, comment: `${escapeTruncate(title, 600)}: ${text.length} characters, attached.` };
    return { kind: 'message', message: errorDetailView({ title, text }) };
  }
  let opts: BodyOptions = {};
  if (placement.kind === 'top' && placement.root === 'alert') opts = { count: 1 };
  if (placement.kind === 'reply' && placement.update?.kind === 'alert') {
    const raw = await ctx.store.get(placement.update.groupKey);
    const entry = raw === null ? undefined : (JSON.parse(raw) as AlertGroup).channels[d.channel];
    if (entry !== undefined) opts = { occurrence: entry.count + (entry.ids.includes(d.eventId) ? 0 : 1) };
  }
  const body = await renderBody(ctx, d, item, enrichment, opts);
  if (body.kind !== 'message') return body;
  if (placement.kind === 'top' && placement.root === 'run' && placement.runKey !== undefined) {
    const run = await ctx.runs.get(placement.runKey);
    if (run !== undefined)
      return {
        kind: 'message',
        message: runTopMessageView({ stage: run.stage, body: body.message, run: { dagId: run.dagId, runId: run.runId }, baked: run.baked }),
      };
  }
  return body;
}

interface BodyOptions {
  count?: number;
  occurrence?: number;
}

/** The item's own message, without thread-root decorations. */
async function renderBody(
  ctx: DeliveryContext,
  d: Pick<DeliveryRecord, 'channel' | 'modelChannel' | 'candidateId' | 'production'>,
  item: RecordedItem,
  enrichment: Enrichment | undefined,
  opts: BodyOptions,
): Promise<Rendered> {
  const windowMinutes = ctx.config.file.alerts.groupWindowMinutes;
  const modelChannel = d.modelChannel !== undefined && d.modelChannel !== d.channel ? { modelChannel: d.modelChannel } : {};
  // A background message was rendered when it was recorded.
  if (isRecordedMessage(item)) return { kind: 'message', message: item.message };
  if (isRecordedAlarm(item)) {
    return {
      kind: 'message',
      message: alarmAlertView({ alarm: item.alarm, windowMinutes, ...modelChannel, ...(opts.count !== undefined ? { count: opts.count } : {}) }),
    };
  }
  const { event } = item;
  const model = ctx.config.file.models[event.model];
  switch (event.type) {
    case 'training.started': {
      const run = await ctx.runs.get(runKeyOf(event));
      const startedBy = run?.startedBy ?? event.requestedBy;
      return { kind: 'message', message: trainingStartedView({ event, ...(startedBy !== undefined ? { startedBy } : {}) }) };
    }
    case 'training.succeeded': {
      const run = await ctx.runs.get(runKeyOf(event));
      const runStartedAt = run !== undefined && Date.parse(run.startedAt) < Date.parse(event.timestamp) ? { runStartedAt: run.startedAt } : {};
      return { kind: 'message', message: trainingSucceededView({ event, ...(enrichment?.job !== undefined ? { job: enrichment.job } : {}), ...runStartedAt }) };
    }
    case 'training.failed':
    case 'deployment.failed':
      return {
        kind: 'message',
        message: failureAlertView({
          event,
          windowMinutes,
          ...modelChannel,
          ...(opts.count !== undefined ? { count: opts.count } : {}),
          ...(opts.occurrence !== undefined ? { occurrence: opts.occurrence } : {}),
        }),
      };
    case 'evaluation.completed': {
      const candidate = d.candidateId !== undefined ? await ctx.candidates.get(d.candidateId) : undefined;
      if (candidate === undefined) return { kind: 'fail', reason: `candidate ${d.candidateId ?? '(none)'} is not known` };
      // The configured endpoint wins: say so on the first card, not only after a refused click.
      const mismatch =
        model?.endpoint !== undefined && candidate.endpoint !== undefined && candidate.endpoint !== model.endpoint
          ? endpointMismatchNotice({ candidate, named: candidate.endpoint, configured: model.endpoint })
          : undefined;
      return {
        kind: 'message',
        message: candidateMessageView({
          candidate,
          ...(mismatch !== undefined ? { notice: mismatch } : {}),
          ...(d.production !== undefined && d.production !== null ? { production: d.production } : {}),
          metricDirections: model?.metrics ?? {},
          ...(model?.primaryMetric !== undefined ? { primaryMetric: model.primaryMetric } : {}),
          ...(model?.deploymentDag !== undefined ? { deploymentDag: model.deploymentDag } : {}),
          ...(model?.strategies !== undefined ? { strategies: model.strategies } : {}),
        }),
      };
    }
    case 'drift.detected': {
      const message = await renderDriftAlert(ctx, event, {
        ...modelChannel,
        ...(opts.count !== undefined ? { count: opts.count } : {}),
        ...(opts.occurrence !== undefined ? { occurrence: opts.occurrence } : {}),
      });
      return { kind: 'message', message };
    }
    case 'deployment.progress': {
      const endpoint = event.endpoint ?? model?.endpoint;
      return { kind: 'message', message: deploymentProgressView({ event, ...(endpoint !== undefined ? { endpoint } : {}) }) };
    }
    case 'deployment.started':
    case 'deployment.succeeded': {
      const endpoint = event.endpoint ?? model?.endpoint;
      return {
        kind: 'message',
        message: deploymentEventView({
          event,
          ...(endpoint !== undefined ? { endpoint } : {}),
          ...(enrichment?.endpoint !== undefined ? { details: enrichment.endpoint } : {}),
        }),
      };
    }
  }
}

/** A thread root re-rendered after a reply: the run's top message with its stage, or an alert with its count. */
export async function renderRootUpdate(
  ctx: DeliveryContext,
  update: RootUpdate,
  channel: string,
): Promise<{ channel: string; ts: string; message: SlackMessage } | undefined> {
  if (update.kind === 'run') {
    let runKey = update.runKey;
    let raw = await ctx.store.get(storeKeys.runMessage(runKey));
    const alias = raw === null ? undefined : (JSON.parse(raw) as RunMessage).alias;
    if (alias !== undefined) {
      runKey = alias;
      raw = await ctx.store.get(storeKeys.runMessage(runKey));
    }
    if (raw === null) return undefined; // not a message the outbox posted (e.g. `/mlops train`'s reply): left alone
    const root = JSON.parse(raw) as RunMessage;
    if (root.channel === undefined || root.ts === undefined || root.eventId === undefined) return undefined;
    const [run, item, firstRaw] = await Promise.all([
      ctx.runs.get(runKey),
      loadRecordedItem<RecordedItem>(ctx.store, root.eventId),
      root.deliveryId !== undefined ? ctx.store.get(storeKeys.delivery(root.deliveryId)) : Promise.resolve(null),
    ]);
    if (run === undefined || item === undefined) return undefined;
    const first = firstRaw === null ? undefined : (JSON.parse(firstRaw) as DeliveryRecord);
    const body = await renderBody(
      ctx,
      { channel: root.channel, ...(first?.modelChannel !== undefined ? { modelChannel: first.modelChannel } : {}) },
      item,
      first?.enrichment,
      {},
    );
    if (body.kind !== 'message') return undefined;
    return {
      channel: root.channel,
      ts: root.ts,
      message: runTopMessageView({ stage: run.stage, body: body.message, run: { dagId: run.dagId, runId: run.runId }, baked: run.baked }),
    };
  }
  const raw = await ctx.store.get(update.groupKey);
  const entry = raw === null ? undefined : (JSON.parse(raw) as AlertGroup).channels[channel];
  if (entry?.ts === undefined) return undefined;
  const item = await loadRecordedItem<RecordedItem>(ctx.store, entry.firstId);
  if (item === undefined) return undefined;
  const modelChannel = modelChannelOf(ctx, item);
  const body = await renderBody(ctx, { channel, ...(modelChannel !== undefined ? { modelChannel } : {}) }, item, undefined, { count: entry.count });
  return body.kind === 'message' ? { channel, ts: entry.ts, message: body.message } : undefined;
}

/** The channel an item's model posts to (the alert channel's messages point to it). */
function modelChannelOf(ctx: DeliveryContext, item: RecordedItem): string | undefined {
  const { models, slack } = ctx.config.file;
  if (isRecordedAlarm(item)) return item.alarm.model !== undefined ? (models[item.alarm.model]?.channel ?? slack.defaultChannel) : undefined;
  if (isRecordedMessage(item)) return item.model !== undefined ? (models[item.model]?.channel ?? slack.defaultChannel) : undefined;
  const route = routeEvent(item.event, ctx.config.file);
  return route.ok ? route.modelChannel : undefined;
}

/**
 * Details from AWS for a message, asked once before its first attempt: DescribeTrainingJob for
 * training.succeeded (duration, instance, billable time), DescribeEndpoint for
 * deployment.succeeded. An AWS error or a slow answer never blocks delivery: it is logged and
 * the message goes out without the details.
 */
async function enrichDelivery(ctx: DeliveryContext, d: DeliveryRecord, item: RecordedItem): Promise<Enrichment | undefined> {
  const inspector = ctx.inspector;
  if (inspector === undefined || d.role !== 'main' || !isRecordedEvent(item)) return undefined;
  const { event } = item;
  const log = ctx.logger.child({ eventId: event.id, model: event.model, version: event.version, runId: event.run?.runId });
  try {
    if (event.type === 'training.succeeded' && event.trainingJob !== undefined) {
      const job = await withTimeout(inspector.describeTrainingJob(event.trainingJob), ENRICH_TIMEOUT_MS);
      return {
        job: {
          status: job.status,
          ...(job.startedAt !== undefined ? { startedAt: job.startedAt.toISOString() } : {}),
          ...(job.endedAt !== undefined ? { endedAt: job.endedAt.toISOString() } : {}),
          ...(job.billableSeconds !== undefined ? { billableSeconds: job.billableSeconds } : {}),
          ...(job.instanceType !== undefined ? { instanceType: job.instanceType } : {}),
          ...(job.instanceCount !== undefined ? { instanceCount: job.instanceCount } : {}),
        },
      };
    }
    const endpoint = event.endpoint ?? ctx.config.file.models[event.model]?.endpoint;
    if (event.type === 'deployment.succeeded' && endpoint !== undefined) {
      const described = await withTimeout(inspector.describeEndpoint(endpoint), ENRICH_TIMEOUT_MS);
      return {
        endpoint: {
          status: described.status,
          variants: described.variants.map((v) => ({
            name: v.variantName,
            ...(v.modelName !== undefined ? { modelName: v.modelName } : {}),
            ...(v.instanceType !== undefined ? { instanceType: v.instanceType } : {}),
            ...(v.instanceCount !== undefined ? { instanceCount: v.instanceCount } : {}),
            ...(v.weight !== undefined ? { weight: v.weight } : {}),
          })),
        },
      };
    }
  } catch (error) {
    log.warn({ err: error, code: (error as { code?: string }).code }, 'delivery: could not read details from AWS; posting without them');
  }
  return undefined;
}
