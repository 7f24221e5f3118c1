import type { BotDeps } from '../bot-deps';
import { isDefinitiveTriggerFailure } from '../core/candidate-state-machine';
import { isMlopsError } from '../core/errors';
import type { DagTrigger, DagTriggerRequest, DagTriggerResult } from '../core/ports';
import type { Store } from '../core/store';
import { childLogger, type Logger } from '../observability/create-logger';
import { trainingRequestedView } from '../../views/training-requested-view';
import { scheduledRetrainingView } from '../../views/scheduled-retraining-view';
import { postThroughOutbox } from '../outbox';
import type { TrainingOrigin } from './run-registry';

export interface StartTrainingInput {
  model: string;
  dagId: string;
  trigger: DagTrigger;
  runId: string;
  retrain: boolean;
  params: Record<string, string>;
  requestedBy: string;
  /** Where the command was typed: the in-channel message goes there when the bot may post. */
  channelId: string;
  at: Date;
  /** A drift alert or a schedule started it: conf carries `reason` (contract 9) and the run record the origin. */
  origin?: TrainingOrigin;
  /** The duplicate-guard record this request wrote (released if the trigger fails). */
  guard?: { key: string; raw: string };
  log: Logger;
}

export interface StartedTraining {
  runId: string;
  dagRunId: string;
  /** Where "training … requested" was posted; undefined when the bot could post nowhere. */
  posted?: { channel: string; ts: string };
  alreadyTriggered: boolean;
  /**
   * The trigger's answer was unclear (timeout, reset, 5xx, crashed function) and the run state
   * could not settle it: the run may exist. The message, the run record and the duplicate guard
   * are kept (a second `train` asks first); the user must be told it is being confirmed.
   */
  confirming?: { reason: string };
  /** The answer was unclear and the run state settled it: the run existed, or it was absent and was started again with the same run id. */
  settled?: 'confirmed' | 'retriggered';
}

type UnclearOutcome = { kind: 'confirmed' | 'retriggered'; result: DagTriggerResult } | { kind: 'refused'; error: unknown } | { kind: 'confirming' };

/**
 * A trigger whose answer was unclear: asks the run state once. Found => it started. Proven absent
 * => the same run id again (idempotent: if the first request still lands, Airflow keeps one run).
 * Otherwise it stays in doubt (never "nothing was started").
 */
async function settleUnclearTrigger(trigger: DagTrigger, request: DagTriggerRequest, log: Logger): Promise<UnclearOutcome> {
  let state;
  try {
    state = await trigger.runState(request.dagId, request.dagRunId);
  } catch (error) {
    log.warn({ err: error }, 'could not read the run state of a training trigger in doubt');
    return { kind: 'confirming' };
  }
  if (state.state === 'not_found') {
    try {
      return { kind: 'retriggered', result: await trigger.trigger(request) };
    } catch (error) {
      return isMlopsError(error) && isDefinitiveTriggerFailure(error.code, error.details) ? { kind: 'refused', error } : { kind: 'confirming' };
    }
  }
  if (state.state === 'unknown' && state.raw === undefined) return { kind: 'confirming' };
  return { kind: 'confirmed', result: { dagRunId: request.dagRunId, state: state.raw ?? state.state, alreadyTriggered: true } };
}

/**
 * Posts "training <model> requested by <@U> (run …)", registers the run under that message so
 * the pipeline's events thread there, then triggers the training DAG with
 * conf {model, requested_by, retrain, params} (contract 6). The message and the run record
 * exist before the trigger, so the run's first event can never beat them; if the trigger is
 * refused, the message is deleted, the run closed as failed, the guard released and the error
 * rethrown. An unclear answer (timeout, reset, 5xx, crashed function) may have started the run: the
 * run state settles it, else everything is kept and the result says `confirming`.
 */
export async function startTraining(deps: BotDeps, input: StartTrainingInput): Promise<StartedTraining> {
  const log = childLogger(input.log, { model: input.model, run: input.runId, dagId: input.dagId, slackUser: input.requestedBy });
  const view =
    input.origin?.reason === 'schedule'
      ? scheduledRetrainingView({ model: input.model, dagId: input.dagId, runId: input.runId, slot: input.origin.slot })
      : trainingRequestedView({
          model: input.model,
          dagId: input.dagId,
          runId: input.runId,
          requestedBy: input.requestedBy,
          retrain: input.retrain,
          params: input.params,
        });
  // Through the outbox (exactly once, paced): the command's channel, else the model's.
  const posted = await postThroughOutbox(
    deps,
    {
      key: `training-requested:${input.runId}`,
      type: 'training.requested',
      channels: [input.channelId, deps.config.file.models[input.model]?.channel],
      message: view,
      model: input.model,
      runId: input.runId,
      runKey: `run:${input.runId}`,
    },
    log,
  );
  const runKey = `run:${input.runId}`;
  if (posted !== undefined) {
    await deps.runs.registerSlackStartedRun({
      runId: input.runId,
      dagId: input.dagId,
      model: input.model,
      channel: posted.channel,
      ts: posted.ts,
      requestedBy: input.requestedBy,
      at: input.at,
      ...(input.origin !== undefined ? { origin: input.origin } : {}),
    });
  } else {
    const at = input.at.toISOString();
    await deps.runs.createIfAbsent({
      runKey,
      model: input.model,
      dagId: input.dagId,
      runId: input.runId,
      stage: 'requested',
      startedBy: input.requestedBy,
      startedAt: at,
      updatedAt: at,
      ...(input.origin !== undefined ? { origin: input.origin } : {}),
    });
  }

  let result: DagTriggerResult;
  let settled: 'confirmed' | 'retriggered' | undefined;
  const request: DagTriggerRequest = {
    dagId: input.dagId,
    dagRunId: input.runId,
    conf: {
      model: input.model,
      requested_by: input.requestedBy,
      retrain: input.retrain,
      ...(input.origin !== undefined ? { reason: input.origin.reason } : {}),
      params: input.params,
    },
  };
  try {
    result = await input.trigger.trigger(request);
  } catch (error) {
    const definitive = isMlopsError(error) && isDefinitiveTriggerFailure(error.code, error.details);
    log.warn(
      { err: error, code: isMlopsError(error) ? error.code : undefined, definitive },
      definitive ? 'training trigger failed' : 'training trigger outcome unknown: asking the run state',
    );
    // An unclear answer is not "nothing was started": only a refusal (or a run proven absent and then refused) is cleaned up.
    const unclear = definitive ? ({ kind: 'refused', error } as const) : await settleUnclearTrigger(input.trigger, request, log);
    if (unclear.kind === 'refused') {
      deps.metrics.dagTriggers.inc({ purpose: 'training', result: 'error' });
      await cleanUpFailedRequest(deps, input, runKey, posted, unclear.error, log);
      throw unclear.error;
    }
    if (unclear.kind === 'confirming') {
      deps.metrics.dagTriggers.inc({ purpose: 'training', result: 'unclear' });
      const reason = error instanceof Error ? error.message : String(error);
      await deps.audit
        .append({
          at: deps.clock.now().toISOString(),
          model: input.model,
          action: 'trigger_unclear',
          actor: input.requestedBy,
          dagRunId: input.runId,
          detail: `${describeRequest(input)}: ${reason}`.slice(0, 500),
        })
        .catch((e: unknown) => log.warn({ err: e }, 'could not append the unclear training trigger to the audit log'));
      log.warn(
        { messageChannel: posted?.channel, messageTs: posted?.ts },
        'training run kept as requested while its start is unknown (guard, message and run record kept)',
      );
      return { runId: input.runId, dagRunId: input.runId, alreadyTriggered: false, confirming: { reason }, ...(posted !== undefined ? { posted } : {}) };
    }
    result = unclear.result;
    settled = unclear.kind;
    log.info({ settled }, 'training trigger in doubt settled by the run state');
  }
  deps.metrics.dagTriggers.inc({ purpose: 'training', result: result.alreadyTriggered ? 'already_triggered' : 'ok' });
  await deps.audit
    .append({
      at: input.at.toISOString(),
      model: input.model,
      action: 'training_requested',
      actor: input.requestedBy,
      dagRunId: input.runId,
      detail: describeRequest(input),
    })
    .catch((error: unknown) => log.warn({ err: error }, 'could not append the training request to the audit log'));
  log.info(
    { state: result.state, alreadyTriggered: result.alreadyTriggered, messageChannel: posted?.channel, messageTs: posted?.ts },
    'training DAG triggered',
  );
  return {
    runId: input.runId,
    dagRunId: result.dagRunId,
    alreadyTriggered: result.alreadyTriggered,
    ...(posted !== undefined ? { posted } : {}),
    ...(settled !== undefined ? { settled } : {}),
  };
}

async function cleanUpFailedRequest(
  deps: BotDeps,
  input: StartTrainingInput,
  runKey: string,
  posted: { channel: string; ts: string } | undefined,
  error: unknown,
  log: Logger,
): Promise<void> {
  const now = deps.clock.now().toISOString();
  const steps: Promise<unknown>[] = [
    deps.runs.update(runKey, (r) => ({ ...r, stage: 'failed', outcome: 'failed', updatedAt: now })),
    deps.audit.append({
      at: now,
      model: input.model,
      action: 'trigger_failed',
      actor: input.requestedBy,
      dagRunId: input.runId,
      detail: `training not started: ${error instanceof Error ? error.message : String(error)}`.slice(0, 500),
    }),
  ];
  if (posted !== undefined) steps.push(deps.slack.chat.delete({ channel: posted.channel, ts: posted.ts }));
  if (input.guard !== undefined) steps.push(releaseGuard(deps.store, input.guard));
  const results = await Promise.allSettled(steps);
  for (const r of results) if (r.status === 'rejected') log.warn({ err: r.reason }, 'cleanup after a failed training trigger was incomplete');
}

/** Frees the duplicate guard only if it still holds this request (a newer one keeps its own). */
async function releaseGuard(store: Store, guard: { key: string; raw: string }): Promise<void> {
  await store.deleteIfEquals(guard.key, guard.raw);
}

function describeRequest(input: StartTrainingInput): string {
  const params = Object.entries(input.params).map(([k, v]) => `${k}=${v}`);
  return `${input.retrain ? 'retrain' : 'train'} via ${input.dagId}${params.length > 0 ? ` (${params.join(' ')})` : ''}`.slice(0, 500);
}
