import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FileConfig } from '../config/config-schema';
import { checkSnsUrl } from '../core/check-sns-url';
import { ErrorCode } from '../core/errors';
import { isCloudwatchAlarm, mapCloudwatchAlarm } from '../core/map-cloudwatch-alarm';
import { TRAINING_JOB_STATE_CHANGE, mapTrainingJobEvent } from '../core/map-training-job-event';
import { isModelMonitorEvent, mapModelMonitorEvent } from '../core/map-model-monitor-event';
import { MODEL_PACKAGE_STATE_CHANGE, mapModelPackageEvent, type ModelPackageDecision } from '../core/map-model-package-event';
import { parsePipelineEvent } from '../core/pipeline-event';
import type { Clock } from '../core/ports';
import { routeEvent } from '../core/route-event';
import { parseSnsEnvelope, type SnsEnvelope } from '../core/sns-envelope';
import type { Store } from '../core/store';
import type { RecordAlarm, RecordEvent } from './record-event';
import type { Logger } from '../observability/create-logger';
import type { Metrics } from '../observability/create-metrics';
import { EVENT_TTL_MS, storeKeys } from '../store/store-keys';
import { readHookRequest } from './pipeline-hook-route';
import { sendJson } from '../http/create-http-server';
import { createSnsVerifier, type FetchLike } from './verify-sns-message';

export const SNS_HOOK_PATH = '/hooks/sns';

/** Applies an Approved / Rejected package of a followed group to its candidate (the approvals feature); its outcome is logged. */
export type ApplyPackageDecision = (decision: ModelPackageDecision, log: Logger) => Promise<string>;
const SUBSCRIBE_TIMEOUT_MS = 5000;

/**
 * POST /hooks/sns (contract 5.2): an Amazon SNS HTTP(S) subscription. In order, each check
 * before anything is fetched: size (413), JSON and envelope shape (400), TopicArn in
 * `sns.topicArns` (403), SigningCertURL on an SNS host (403), then the signature (401; the
 * certificate download is the route's only request besides confirming a subscription).
 * SubscriptionConfirmation: GET SubscribeURL (SNS host only). UnsubscribeConfirmation: logged.
 * Notification: its Message is a pipeline event (5.3), an EventBridge "SageMaker Training Job
 * State Change" (mapped to training.*), a SageMaker Model Monitor execution with violations
 * (mapped to drift.detected, see map-model-monitor-event), a "SageMaker Model Package State Change" of a
 * followed group (PendingManualApproval: an evaluation.completed with its candidate; Approved / Rejected:
 * applied to that candidate, see map-model-package-event) or a CloudWatch alarm (an alert), recorded like hook
 * events: 202 recorded, 200 duplicate or ignored, 422 no channel, 503 store down.
 */
export function snsHookRoute(deps: {
  config: FileConfig;
  store: Store;
  recordEvent: RecordEvent;
  recordAlarm: RecordAlarm;
  applyPackageDecision?: ApplyPackageDecision;
  clock: Clock;
  metrics: Metrics;
  fetch: FetchLike;
}) {
  const verifier = createSnsVerifier({ fetch: deps.fetch, now: () => deps.clock.now().getTime() });
  const allowedTopics = new Set(deps.config.sns.topicArns);
  const configuredModels = Object.keys(deps.config.models);
  const endpointsByModel = Object.fromEntries(Object.entries(deps.config.models).map(([name, m]) => [name, m.endpoint]));
  const modelsByGroup = Object.fromEntries(
    Object.entries(deps.config.models).flatMap(([name, m]) => (m.modelPackageGroup !== undefined ? [[m.modelPackageGroup, name]] : [])),
  );

  return async (req: IncomingMessage, res: ServerResponse, requestLog: Logger): Promise<void> => {
    const count = (type: string, result: string) => deps.metrics.eventsReceived.inc({ source: 'sns', type, result });
    const envelope = await readHookRequest(req, res, {
      count,
      log: requestLog,
      invalidCode: ErrorCode.SnsInvalid,
      invalidLog: 'sns hook: not an SNS message',
      parse: parseSnsEnvelope,
    });
    if (envelope === undefined) return;
    const log = requestLog.child({ snsMessageId: envelope.MessageId, snsType: envelope.Type, topicArn: envelope.TopicArn });
    const headerType = req.headers['x-amz-sns-message-type'];
    if (typeof headerType === 'string' && headerType !== envelope.Type) {
      count('unknown', 'invalid');
      sendJson(res, 400, { error: ErrorCode.SnsInvalid, problems: [`x-amz-sns-message-type says ${headerType}, the body says ${envelope.Type}`] });
      return;
    }
    if (!allowedTopics.has(envelope.TopicArn)) {
      count('unknown', 'forbidden');
      if (envelope.Type === 'SubscriptionConfirmation') {
        // The usual setup slip (subscribing before listing the topic): say how to recover, since
        // SNS does not send this confirmation again.
        log.warn(
          'sns hook: subscription confirmation from a topic not in sns.topicArns; NOT confirmed. If the topic is yours: add it to sns.topicArns, restart, then subscribe again (terraform apply -replace=aws_sns_topic_subscription.bot)',
        );
        sendJson(res, 403, {
          error: ErrorCode.SignatureInvalid,
          message: 'this topic is not in sns.topicArns: the subscription was not confirmed; add the topic, restart the bot and subscribe again',
        });
        return;
      }
      log.warn('sns hook: topic is not in sns.topicArns; refused');
      sendJson(res, 403, { error: ErrorCode.SignatureInvalid, message: 'this topic is not accepted (sns.topicArns)' });
      return;
    }
    const verification = await verifier.verify(envelope);
    if (!verification.ok) {
      count('unknown', verification.status === 503 ? 'unavailable' : 'unauthorized');
      log.warn({ reason: verification.reason }, 'sns hook: message refused');
      sendJson(
        res,
        verification.status,
        { error: verification.status === 503 ? ErrorCode.AwsFailed : ErrorCode.SignatureInvalid, message: verification.reason },
        verification.status === 503 ? { 'retry-after': '5' } : {},
      );
      return;
    }
    const now = deps.clock.now();
    if (now.getTime() - Date.parse(envelope.Timestamp) > EVENT_TTL_MS) {
      // Older than the dedup memory: a replay could not be told from a first delivery.
      count('unknown', 'unauthorized');
      sendJson(res, 401, { error: ErrorCode.SignatureInvalid, message: 'the message is too old' });
      return;
    }
    switch (envelope.Type) {
      case 'SubscriptionConfirmation':
        await confirmSubscription(envelope, res, log);
        return;
      case 'UnsubscribeConfirmation':
        log.warn('sns hook: the subscription was removed (UnsubscribeConfirmation); re-subscribe to keep receiving events');
        sendJson(res, 200, { ok: true });
        return;
      case 'Notification':
        await notification(envelope, now, res, log, count);
        return;
    }
  };

  async function confirmSubscription(envelope: SnsEnvelope, res: ServerResponse, log: Logger): Promise<void> {
    const url = checkSnsUrl(envelope.SubscribeURL, 'subscribe');
    if (!url.ok) {
      log.warn({ reason: url.reason }, 'sns hook: SubscribeURL refused');
      sendJson(res, 403, { error: ErrorCode.SignatureInvalid, message: url.reason });
      return;
    }
    try {
      if ((await deps.store.get(storeKeys.snsMessage(envelope.MessageId))) !== null) {
        sendJson(res, 200, { confirmed: true, duplicate: true });
        return;
      }
      const answer = await deps.fetch(envelope.SubscribeURL ?? '', { method: 'GET', redirect: 'error', signal: AbortSignal.timeout(SUBSCRIBE_TIMEOUT_MS) });
      await answer.text().catch(() => '');
      if (answer.status !== 200) throw new Error(`SubscribeURL answered HTTP ${answer.status}`);
      await deps.store.set(storeKeys.snsMessage(envelope.MessageId), 'confirmed', EVENT_TTL_MS);
      log.info('sns hook: subscription confirmed');
      sendJson(res, 200, { confirmed: true });
    } catch (error) {
      log.error({ err: error }, 'sns hook: could not confirm the subscription');
      sendJson(res, 503, { error: ErrorCode.AwsFailed, message: 'could not confirm the subscription; retry' }, { 'retry-after': '5' });
    }
  }

  async function notification(
    envelope: SnsEnvelope,
    now: Date,
    res: ServerResponse,
    log: Logger,
    count: (type: string, result: string) => void,
  ): Promise<void> {
    let message: unknown;
    try {
      message = JSON.parse(envelope.Message);
    } catch {
      count('unknown', 'invalid');
      sendJson(res, 400, { error: ErrorCode.EventInvalid, problems: ['Message: not valid JSON'] });
      return;
    }
    const body = typeof message === 'object' && message !== null && !Array.isArray(message) ? (message as Record<string, unknown>) : {};
    try {
      if (isCloudwatchAlarm(body)) {
        const alarm = mapCloudwatchAlarm(body, endpointsByModel, now);
        if (alarm === undefined || alarm.state === 'INSUFFICIENT_DATA') {
          count('alarm', 'ignored');
          sendJson(res, 200, { ignored: `alarm state ${String(body['NewStateValue'])} is not reported` });
          return;
        }
        const { slack } = deps.config;
        const hasChannel =
          slack.alertChannel !== undefined ||
          slack.defaultChannel !== undefined ||
          (alarm.model !== undefined && deps.config.models[alarm.model]?.channel !== undefined);
        if (!hasChannel) {
          count('alarm', 'unroutable');
          sendJson(res, 422, {
            error: ErrorCode.EventUnroutable,
            message: 'no Slack channel for this alarm: set slack.alertChannel',
            missing: 'slack.alertChannel',
          });
          return;
        }
        const outcome = await deps.recordAlarm(alarm, now);
        count('alarm', outcome);
        log.info({ alarm: alarm.alarmName, state: alarm.state, model: alarm.model, outcome }, 'sns hook: CloudWatch alarm recorded');
        sendJson(res, outcome === 'duplicate' ? 200 : 202, outcome === 'duplicate' ? { duplicate: true, id: alarm.id } : { accepted: true, id: alarm.id });
        return;
      }
      let candidate: unknown = message;
      if (body['detail-type'] === TRAINING_JOB_STATE_CHANGE) {
        const mapped = mapTrainingJobEvent(body, configuredModels);
        if (!mapped.ok) {
          count('sagemaker', 'ignored');
          log.warn({ reason: mapped.ignored }, 'sns hook: SageMaker event not reported');
          sendJson(res, 200, { ignored: mapped.ignored });
          return;
        }
        candidate = { timestamp: now.toISOString(), ...mapped.event };
      } else if (body['detail-type'] === MODEL_PACKAGE_STATE_CHANGE) {
        const mapped = mapModelPackageEvent(body, modelsByGroup);
        if (!mapped.ok) {
          if ('problems' in mapped) {
            count('sagemaker', 'invalid');
            log.warn({ problems: mapped.problems }, 'sns hook: model package event refused');
            sendJson(res, 400, { error: ErrorCode.EventInvalid, problems: mapped.problems });
            return;
          }
          count('sagemaker', 'ignored');
          log.info({ reason: mapped.ignored }, 'sns hook: model package event not followed');
          sendJson(res, 200, { ignored: mapped.ignored });
          return;
        }
        if (mapped.kind === 'decision') {
          if (deps.applyPackageDecision === undefined) {
            count('sagemaker', 'ignored');
            sendJson(res, 200, { ignored: 'the model registry sync is not running' });
            return;
          }
          const outcome = await deps.applyPackageDecision(mapped.decision, log);
          count('sagemaker', 'recorded');
          log.info({ modelPackage: mapped.decision.package.arn, status: mapped.decision.status, outcome }, 'sns hook: model package decision applied');
          sendJson(res, 200, { applied: outcome });
          return;
        }
        candidate = { timestamp: now.toISOString(), ...mapped.event };
      } else if (isModelMonitorEvent(body)) {
        const mapped = mapModelMonitorEvent(body, deps.config.models);
        if (!mapped.ok) {
          count('sagemaker', 'ignored');
          log.warn({ reason: mapped.ignored }, 'sns hook: Model Monitor event not reported');
          sendJson(res, 200, { ignored: mapped.ignored });
          return;
        }
        candidate = { timestamp: now.toISOString(), ...mapped.event };
      }
      const parsedEvent = parsePipelineEvent(candidate);
      if (!parsedEvent.ok) {
        count('unknown', 'invalid');
        log.info({ problems: parsedEvent.problems }, 'sns hook: the message is not a pipeline event, a SageMaker event or an alarm');
        sendJson(res, 400, { error: ErrorCode.EventInvalid, problems: parsedEvent.problems });
        return;
      }
      const event = parsedEvent.value;
      if (parsedEvent.warnings !== undefined) log.warn({ warnings: parsedEvent.warnings }, 'sns hook: accepted with fields dropped');
      const route = routeEvent(event, deps.config);
      if (!route.ok) {
        count(event.type, 'unroutable');
        sendJson(res, 422, { error: ErrorCode.EventUnroutable, message: `no Slack channel for this event: set ${route.missing}`, missing: route.missing });
        return;
      }
      const outcome = await deps.recordEvent(event, 'sns', now);
      count(event.type, outcome);
      log.info({ eventId: event.id, eventType: event.type, model: event.model, outcome }, 'sns hook: pipeline event recorded');
      sendJson(res, outcome === 'duplicate' ? 200 : 202, outcome === 'duplicate' ? { duplicate: true, id: event.id } : { accepted: true, id: event.id });
    } catch (error) {
      count('unknown', 'unavailable');
      log.error({ err: error }, 'sns hook: could not record the message');
      sendJson(res, 503, { error: ErrorCode.StoreUnavailable, message: 'the message could not be recorded; retry later' }, { 'retry-after': '5' });
    }
  }
}
