import { candidateIdFor, type Candidate } from '../core/candidate';
import { ErrorCode, isMlopsError } from '../core/errors';
import type { AlarmAlert } from '../core/alarm-alert';
import { runKeyOf, type PipelineEvent } from '../core/pipeline-event';
import { routeEvent } from '../core/route-event';
import { runOutcomeFor, runStageFor } from '../core/run-stage';
import type { Config } from '../config/config-schema';
import type { Clock, EndpointInspector } from '../core/ports';
import type { Store } from '../core/store';
import type { Logger } from '../observability/create-logger';
import type { Metrics } from '../observability/create-metrics';
import type { RunRegistry } from '../training';
import { storeKeys } from '../store/store-keys';
import { needsFullErrorText } from '../../views/failure-alert-view';
import { findDeploymentCandidate, type CandidateRepository, type ProductionRegistry } from '../deployments';
import { activeSnooze, noteDriftEvent } from '../drift';
import { deliveryIdFor, enqueueDeliveries, isRecordedMessage, loadRecordedItem, planBackgroundMessage, type DeliveryRecord } from '../outbox';
import { isRecordedAlarm, type RecordedAlarm, type RecordedEvent, type RecordedItem } from './record-event';

/**
 * The deployments feature's side of a `deployment.*` event (baseline, candidate state, lock,
 * audit, candidate messages), routed here by the event's name. It runs before the event's own
 * messages are queued, at least once per event (a crash re-plans it): it must be idempotent.
 * A failure other than the store's is logged and the event's messages are delivered anyway.
 */
export interface DeploymentEvents {
  applyPipelineEvent(event: PipelineEvent): Promise<void>;
  /** A CloudWatch alarm (at least once, before its alert is queued): the bake ends on ALARM (issue 14). */
  applyAlarm?(alarm: AlarmAlert): Promise<void>;
}

/** What planning, placing and rendering pipeline events need (a slice of BotDeps). */
export interface DeliveryContext {
  config: Config;
  store: Store;
  logger: Logger;
  metrics: Metrics;
  clock: Clock;
  runs: RunRegistry;
  candidates: CandidateRepository;
  production: ProductionRegistry;
  inspector?: EndpointInspector;
  deploymentEvents: DeploymentEvents;
}

/** Kept 30 days like runs: `/mlops models` shows the last failure of each model. */
const LAST_FAILURE_TTL_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * Turns one recorded item into queued deliveries, idempotently (it runs again after a crash):
 * applies a `deployment.*` event to the deployments feature, keeps the run's stage, creates the candidate of an evaluation,
 * records the model's last failure, then queues one delivery per channel (plus the full error
 * text of a long failure) with deterministic ids through recordUnique, so re-planning never
 * queues a message twice. Returns the channels that got work.
 * Rejects only when the store fails (the item stays claimed and is planned again).
 */
export async function planRecordedItem(ctx: DeliveryContext, id: string): Promise<string[]> {
  const item = await loadRecordedItem<RecordedItem>(ctx.store, id);
  if (item === undefined) {
    ctx.logger.warn({ eventId: id }, 'delivery: recorded event is gone (expired?); nothing to deliver');
    return [];
  }
  if (isRecordedMessage(item)) return planBackgroundMessage(ctx, id, item);
  return isRecordedAlarm(item) ? planAlarm(ctx, id, item) : planEvent(ctx, item);
}

async function planEvent(ctx: DeliveryContext, recorded: RecordedEvent): Promise<string[]> {
  const { event } = recorded;
  const log = ctx.logger.child({ eventId: event.id, eventType: event.type, model: event.model, version: event.version, runId: event.run?.runId });
  if (event.type.startsWith('deployment.')) {
    try {
      await ctx.deploymentEvents.applyPipelineEvent(event);
    } catch (error) {
      // A store outage stops planning (retried); a broken handler must not keep the message from Slack.
      if (isMlopsError(error, ErrorCode.StoreUnavailable)) throw error;
      log.error({ err: error }, 'delivery: applying the deployment event failed; delivering anyway');
    }
  }
  const route = routeEvent(event, ctx.config.file);
  if (!route.ok) {
    log.error({ missing: route.missing }, 'delivery: the event has no channel any more (configuration changed?); not delivered');
    ctx.metrics.eventsFailed.inc({ type: event.type });
    return [];
  }
  if (event.type === 'drift.detected') {
    // A snoozed model + signal is silenced (the alert says so; the event stays recorded).
    const snooze = await activeSnooze(ctx.store, event.model, event.drift?.signal ?? 'data', ctx.clock.now());
    await noteDriftEvent(ctx.store, event, recorded.receivedAt, snooze !== undefined);
    if (snooze !== undefined) {
      log.info({ until: snooze.until, by: snooze.by }, 'delivery: drift alert snoozed; not posted');
      return [];
    }
  } else {
    await recordRunStage(ctx, event);
  }
  if (event.type.endsWith('.failed'))
    await recordLastFailure(ctx, event.model, {
      at: event.timestamp,
      type: event.type,
      ...(event.error?.task !== undefined ? { task: event.error.task } : {}),
      message: (event.error?.message ?? 'failed').slice(0, 2000),
      ...(event.error?.logUrl !== undefined ? { logUrl: event.error.logUrl } : {}),
      ...(event.run?.runId !== undefined ? { runId: event.run.runId } : {}),
    });
  let candidateId: string | undefined;
  let production: DeliveryRecord['production'];
  if (event.type === 'evaluation.completed') {
    candidateId = await createCandidate(ctx, event, log);
    // The baseline as it was when the evaluation arrived, not when Slack got around to it.
    production = (await ctx.production.current(event.model)) ?? null;
  }
  const now = ctx.clock.now().toISOString();
  const records: DeliveryRecord[] = [];
  route.channels.forEach((channel, i) => {
    const base = {
      eventId: event.id,
      eventType: event.type,
      model: event.model,
      ...(event.version !== undefined ? { version: event.version } : {}),
      ...(event.run?.runId !== undefined ? { runId: event.run.runId } : {}),
      channel,
      modelChannel: route.modelChannel,
      state: 'queued' as const,
      attempts: 0,
      createdAt: now,
      updatedAt: now,
    };
    const main: DeliveryRecord = {
      ...base,
      id: deliveryIdFor(event.id, channel, 'main'),
      role: 'main',
      primary: i === 0,
      ...(candidateId !== undefined && channel === route.modelChannel ? { candidateId, production: production ?? null } : {}),
    };
    records.push(main);
    if (event.type.endsWith('.failed') && event.error !== undefined && needsFullErrorText(event.error.message)) {
      records.push({ ...base, id: deliveryIdFor(event.id, channel, 'error-detail'), role: 'error-detail', parentId: main.id, primary: false });
    }
  });
  await enqueueDeliveries(ctx.store, records);
  return route.channels;
}

async function planAlarm(ctx: DeliveryContext, id: string, recorded: RecordedAlarm): Promise<string[]> {
  const { alarm } = recorded;
  const { slack, models } = ctx.config.file;
  const modelChannel = alarm.model !== undefined ? (models[alarm.model]?.channel ?? slack.defaultChannel) : undefined;
  const channels = [...new Set([modelChannel, slack.alertChannel ?? (modelChannel === undefined ? slack.defaultChannel : undefined)])].filter(
    (c): c is string => c !== undefined,
  );
  const log = ctx.logger.child({ eventId: id, alarm: alarm.alarmName, model: alarm.model });
  if (channels.length === 0) {
    log.error('delivery: no channel for this alarm (set slack.alertChannel); not delivered');
    ctx.metrics.eventsFailed.inc({ type: 'alarm' });
    return [];
  }
  if (alarm.state === 'ALARM') {
    try {
      await ctx.deploymentEvents.applyAlarm?.(alarm);
    } catch (error) {
      if (isMlopsError(error, ErrorCode.StoreUnavailable)) throw error;
      log.error({ err: error }, 'delivery: applying the alarm to the bake failed; delivering anyway');
    }
  }
  if (alarm.state === 'ALARM' && alarm.model !== undefined) {
    await recordLastFailure(ctx, alarm.model, {
      at: alarm.changedAt,
      type: 'alarm',
      task: `CloudWatch alarm ${alarm.alarmName}`.slice(0, 250),
      message: alarm.reason.slice(0, 2000),
    });
  }
  const now = ctx.clock.now().toISOString();
  await enqueueDeliveries(
    ctx.store,
    channels.map((channel, i) => ({
      id: deliveryIdFor(id, channel, 'main'),
      eventId: id,
      eventType: 'alarm',
      ...(alarm.model !== undefined ? { model: alarm.model } : {}),
      channel,
      ...(modelChannel !== undefined ? { modelChannel } : {}),
      role: 'main' as const,
      primary: i === 0,
      state: 'queued' as const,
      attempts: 0,
      createdAt: now,
      updatedAt: now,
    })),
  );
  return channels;
}

/**
 * The run's stage after this event; the run record is created by its first event (or by
 * `/mlops train`). A deployment of a candidate also moves the stage of the training run that
 * produced it, whose top message shows deploying / live / failed.
 */
async function recordRunStage(ctx: DeliveryContext, event: PipelineEvent): Promise<void> {
  const runKey = runKeyOf(event);
  const stage = runStageFor(event.type);
  const outcome = runOutcomeFor(event.type);
  const now = ctx.clock.now().toISOString();
  const { created } = await ctx.runs.createIfAbsent({
    runKey,
    model: event.model,
    ...(event.run?.dagId !== undefined ? { dagId: event.run.dagId } : {}),
    ...(event.run?.runId !== undefined ? { runId: event.run.runId } : {}),
    ...(event.run?.url !== undefined ? { runUrl: event.run.url } : {}),
    stage,
    ...(event.requestedBy !== undefined ? { startedBy: event.requestedBy } : {}),
    startedAt: event.timestamp,
    updatedAt: now,
    ...(outcome !== undefined ? { outcome } : {}),
  });
  if (!created) {
    await ctx.runs.update(runKey, (r) =>
      r.stage === stage && (outcome === undefined || r.outcome === outcome)
        ? undefined
        : {
            ...(r.stage === stage ? r : withoutBaked(r)),
            stage,
            updatedAt: now,
            ...(outcome !== undefined ? { outcome } : {}),
            ...(r.dagId === undefined && event.run?.dagId !== undefined ? { dagId: event.run.dagId } : {}),
            ...(r.runUrl === undefined && event.run?.url !== undefined ? { runUrl: event.run.url } : {}),
          },
    );
  }
  if (event.type.startsWith('deployment.')) {
    const candidate = await findDeploymentCandidate(ctx.candidates, event);
    const trainingRunId = candidate?.run?.runId;
    if (trainingRunId !== undefined && `run:${trainingRunId}` !== runKey) {
      // A new stage drops the last bake's verdict (a later deployment of the run is baked anew).
      await ctx.runs.update(`run:${trainingRunId}`, (r) => (r.stage === stage ? undefined : { ...withoutBaked(r), stage, updatedAt: now }));
    }
  }
}

async function createCandidate(ctx: DeliveryContext, event: PipelineEvent, log: Logger): Promise<string> {
  const id = candidateIdFor(event.model, event.version ?? '0.0.0', event.id);
  const model = ctx.config.file.models[event.model];
  const run = await ctx.runs.get(runKeyOf(event));
  const startedBy = run?.startedBy ?? event.requestedBy;
  const endpoint = event.endpoint ?? model?.endpoint;
  const now = ctx.clock.now().toISOString();
  const candidate: Candidate = {
    id,
    model: event.model,
    version: event.version ?? '0.0.0',
    state: 'pending',
    origin: 'evaluation',
    metrics: event.metrics ?? {},
    ...(event.confusionMatrix !== undefined ? { confusionMatrix: event.confusionMatrix } : {}),
    ...(endpoint !== undefined ? { endpoint } : {}),
    ...(event.trainingJob !== undefined ? { trainingJob: event.trainingJob } : {}),
    ...(event.run !== undefined ? { run: pick(event.run) } : {}),
    ...(event.lineage !== undefined ? { lineage: pick(event.lineage) } : {}),
    ...(event.links !== undefined ? { links: event.links } : {}),
    evaluatedAt: event.timestamp,
    sourceEventId: event.id,
    // Only a package of the group this model follows: the bot writes its status back (IAM allows no other).
    ...(event.modelPackage !== undefined && model?.modelPackageGroup === event.modelPackage.group
      ? { registry: { packageArn: event.modelPackage.arn, group: event.modelPackage.group, packageVersion: event.modelPackage.version } }
      : {}),
    ...(startedBy !== undefined ? { startedBy } : {}),
    ...(run?.origin !== undefined ? { startedFrom: run.origin } : {}),
    requiredApprovals: model?.requiredApprovals ?? 1,
    approvals: [],
    attempt: 0,
    createdAt: now,
    updatedAt: now,
    rev: 0,
  };
  if (await ctx.candidates.create(candidate)) log.info({ candidateId: id }, 'delivery: candidate created');
  return id;
}

/** The known string fields only (events keep unknown fields; candidates should not). */
function pick<T extends Record<string, unknown>>(value: T): { [K in keyof T]?: string } {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string' && ['dagId', 'runId', 'url', 'commit', 'image', 'data'].includes(k)) out[k] = v;
  return out;
}

async function recordLastFailure(
  ctx: DeliveryContext,
  model: string,
  failure: { at: string; type: string; task?: string; message: string; logUrl?: string; runId?: string },
): Promise<void> {
  await ctx.store.set(storeKeys.lastFailure(model), JSON.stringify(failure), LAST_FAILURE_TTL_MS);
}

function withoutBaked<T extends { baked?: unknown }>(run: T): Omit<T, 'baked'> {
  const { baked: _dropped, ...rest } = run;
  return rest;
}
