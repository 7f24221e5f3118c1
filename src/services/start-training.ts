import type { BotDeps } from '../bot-deps';
import { isMlopsError } from '../core/errors';
import type { DagTrigger } from '../core/ports';
import type { Store } from '../core/store';
import type { Logger } from '../observability/create-logger';
import { trainingRequestedView } from '../../views/training-requested-view';

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
}

/**
 * Posts "training <model> requested by <@U> (run …)", registers the run under that message so
 * the pipeline's events thread there, then triggers the training DAG with
 * conf {model, requested_by, retrain, params} (contract 6). The message and the run record
 * exist before the trigger, so the run's first event can never beat them; if the trigger fails,
 * the message is deleted, the run closed as failed, the guard released and the error rethrown.
 */
export async function startTraining(deps: BotDeps, input: StartTrainingInput): Promise<StartedTraining> {
  const log = input.log.child({ model: input.model, run: input.runId, dagId: input.dagId, slackUser: input.requestedBy });
  const view = trainingRequestedView({
    model: input.model,
    dagId: input.dagId,
    runId: input.runId,
    requestedBy: input.requestedBy,
    retrain: input.retrain,
    params: input.params,
  });
  const posted = await postSomewhere(deps, [input.channelId, deps.config.file.models[input.model]?.channel], view, log);
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
    });
  } else {
    const at = input.at.toISOString();
    await deps.runs.createIfAbsent({ runKey, model: input.model, dagId: input.dagId, runId: input.runId, stage: 'requested', startedBy: input.requestedBy, startedAt: at, updatedAt: at });
  }

  let result;
  try {
    result = await input.trigger.trigger({
      dagId: input.dagId,
      dagRunId: input.runId,
      conf: { model: input.model, requested_by: input.requestedBy, retrain: input.retrain, params: input.params },
    });
  } catch (error) {
    deps.metrics.dagTriggers.inc({ purpose: 'training', result: 'error' });
    log.warn({ err: error, code: isMlopsError(error) ? error.code : undefined }, 'training trigger failed');
    await cleanUpFailedRequest(deps, input, runKey, posted, error, log);
    throw error;
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
  log.info({ state: result.state, alreadyTriggered: result.alreadyTriggered, channel: posted?.channel, ts: posted?.ts }, 'training DAG triggered');
  return { runId: input.runId, dagRunId: result.dagRunId, alreadyTriggered: result.alreadyTriggered, ...(posted !== undefined ? { posted } : {}) };
}

/** The first channel that accepts the message (the command's, else the model's). */
async function postSomewhere(
  deps: BotDeps,
  channels: (string | undefined)[],
  view: { text: string; blocks: unknown[] },
  log: Logger,
): Promise<{ channel: string; ts: string } | undefined> {
  for (const channel of [...new Set(channels)].filter((c): c is string => c !== undefined)) {
    try {
      const res = await deps.slack.chat.postMessage({ channel, text: view.text, blocks: view.blocks as never, unfurl_links: false, unfurl_media: false });
      if (res.ts !== undefined) return { channel: res.channel ?? channel, ts: res.ts };
    } catch (error) {
      // Typically not_in_channel (the bot was not invited there) or a DM: try the next channel.
      log.warn({ err: error, channel }, 'could not post the training request message');
    }
  }
  return undefined;
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
