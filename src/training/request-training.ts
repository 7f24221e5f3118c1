import { randomBytes, randomUUID } from 'node:crypto';
import type { BotDeps } from '../bot-deps';
import { trainingRunId } from '../core/training-run-id';
import { childLogger, type Logger } from '../observability/create-logger';
import { storeKeys } from '../store/store-keys';
import { updateJsonWith } from '../store/update-json';
import { describePrincipals, operatorsFor } from '../core/authorization';
import { ErrorCode, MlopsError } from '../core/errors';
import type { DagTrigger } from '../core/ports';
import { startTraining, type StartedTraining } from './start-training';
import type { TrainingOrigin } from './run-registry';
import { parseTrainingRequestRecord, pendingTraining, type PendingTraining, type TrainingRequestRecord } from './training-records';

export interface TrainingRequest {
  model: string;
  retrain: boolean;
  params: Record<string, string>;
  userId: string;
  channelId: string;
  /** A drift alert's Retrain or a schedule (contract 9): conf `reason`, kept on the run. */
  origin?: TrainingOrigin;
  /** The run id to use (a schedule's per-slot id, its idempotency key); else a fresh one. */
  runId?: string;
  log: Logger;
}

export type TrainingRequestOutcome =
  { kind: 'started'; started: StartedTraining } | { kind: 'needs-confirmation'; pendingId: string; previous: TrainingRequestRecord; runId: string };

/** Two writers racing for the guard: the loser re-reads and sees the winner's request. */
const MAX_GUARD_ATTEMPTS = 3;

/**
 * `/mlops train|retrain`: checks who and what (prepareTraining), then either starts the run or,
 * when the model's previous requested run has no outcome yet and is younger than
 * `training.duplicateWindowMinutes`, stores the request and asks the user to confirm. The guard
 * record is claimed with compare-and-set, so two concurrent requests (even on two replicas)
 * cannot both start.
 */
export async function requestTraining(deps: BotDeps, req: TrainingRequest): Promise<TrainingRequestOutcome> {
  // A schedule is the config's own (no user to authorize); everything else is a user's request.
  const prepared = await prepareTraining(deps, req.model, req.userId, { authorize: req.origin?.reason !== 'schedule' });
  const at = deps.clock.now();
  const runId = req.runId ?? trainingRunId(req.model, at, randomBytes(3).toString('hex'));
  const record: TrainingRequestRecord = { runId, dagId: prepared.dagId, requestedBy: req.userId, at: at.toISOString(), retrain: req.retrain };
  const windowMs = deps.config.file.training.duplicateWindowMinutes * 60_000;
  const key = storeKeys.trainingRequest(req.model);
  const raw = JSON.stringify(record);

  let guard: { key: string; raw: string } | undefined;
  if (windowMs > 0) {
    const claimed = await updateJsonWith<TrainingRequestRecord, { previous: TrainingRequestRecord } | undefined>(
      deps.store,
      key,
      { ttlMs: windowMs, maxAttempts: MAX_GUARD_ATTEMPTS, tooFast: () => new Error(`the training request guard of ${req.model} is changing too fast`) },
      async (_current, currentRaw) => {
        const previous = parseTrainingRequestRecord(currentRaw);
        if (previous !== undefined && (await isStillOpen(deps, previous, at, windowMs))) return { result: { previous } };
        return { write: record, result: undefined };
      },
    );
    if (claimed !== undefined) {
      const pendingId = randomUUID();
      await pendingTraining(deps.store).save({
        id: pendingId,
        model: req.model,
        retrain: req.retrain,
        params: req.params,
        requestedBy: req.userId,
        channelId: req.channelId,
        runId,
        createdAt: at.toISOString(),
        ...(req.origin !== undefined ? { origin: req.origin } : {}),
      });
      childLogger(req.log, { model: req.model }).info(
        { previousRun: claimed.previous.runId, pendingId },
        'training request waits for confirmation (previous run has no outcome)',
      );
      return { kind: 'needs-confirmation', pendingId, previous: claimed.previous, runId };
    }
    guard = { key, raw };
  }
  const started = await startTraining(deps, {
    model: req.model,
    dagId: prepared.dagId,
    trigger: prepared.trigger,
    runId,
    retrain: req.retrain,
    params: req.params,
    requestedBy: req.userId,
    channelId: req.channelId,
    at,
    ...(req.origin !== undefined ? { origin: req.origin } : {}),
    ...(guard !== undefined ? { guard } : {}),
    log: req.log,
  });
  return { kind: 'started', started };
}

/** A previous request counts while it is inside the window and its run has no outcome. */
async function isStillOpen(deps: BotDeps, previous: TrainingRequestRecord, now: Date, windowMs: number): Promise<boolean> {
  const age = now.getTime() - Date.parse(previous.at);
  if (!(age < windowMs)) return false;
  const run = await deps.runs.get(`run:${previous.runId}`);
  return run?.outcome === undefined;
}

/**
 * The user confirmed a duplicate `train`: check again (rights and config may have changed),
 * take over the duplicate guard and start the run with the id chosen when the question was asked.
 */
export async function confirmTraining(deps: BotDeps, pending: PendingTraining, log: Logger): Promise<StartedTraining> {
  const prepared = await prepareTraining(deps, pending.model, pending.requestedBy);
  const at = deps.clock.now();
  const windowMs = deps.config.file.training.duplicateWindowMinutes * 60_000;
  let guard: { key: string; raw: string } | undefined;
  if (windowMs > 0) {
    const record: TrainingRequestRecord = {
      runId: pending.runId,
      dagId: prepared.dagId,
      requestedBy: pending.requestedBy,
      at: at.toISOString(),
      retrain: pending.retrain,
    };
    guard = { key: storeKeys.trainingRequest(pending.model), raw: JSON.stringify(record) };
    // Deliberately unconditional: the user chose to start another run, which becomes the latest.
    await deps.store.set(guard.key, guard.raw, windowMs);
  }
  return startTraining(deps, {
    model: pending.model,
    dagId: prepared.dagId,
    trigger: prepared.trigger,
    runId: pending.runId,
    retrain: pending.retrain,
    params: pending.params,
    requestedBy: pending.requestedBy,
    channelId: pending.channelId,
    at,
    ...(pending.origin !== undefined ? { origin: pending.origin } : {}),
    ...(guard !== undefined ? { guard } : {}),
    log,
  });
}

export interface PreparedTraining {
  dagId: string;
  trigger: DagTrigger;
}

/**
 * Everything that must hold before a training run is requested: the user is an operator of the
 * model (everyone when no operators are configured), a trigger is configured and the model has a
 * training DAG. Checked again on Confirm, since both may change in between.
 */
export async function prepareTraining(deps: BotDeps, model: string, userId: string, opts: { authorize?: boolean } = {}): Promise<PreparedTraining> {
  const operators = operatorsFor(deps.config.file, model);
  if (opts.authorize !== false && !(await deps.principals.includes(userId, operators, true))) {
    throw new MlopsError(ErrorCode.NotAuthorized, `Only operators of ${model} may start training: ${describePrincipals(operators)}.`, { model, userId });
  }
  const dagId = deps.config.file.models[model]?.trainingDag;
  if (dagId === undefined) {
    throw new MlopsError(ErrorCode.ConfigInvalid, `${model} has no training DAG configured: set \`models.${model}.trainingDag\` in the config file.`, {
      model,
      missing: `models.${model}.trainingDag`,
    });
  }
  if (deps.trigger === undefined) {
    throw new MlopsError(
      ErrorCode.ConfigInvalid,
      'No DAG trigger is configured, so the bot cannot start DAGs: add a `trigger` section to the config file (`kind: lambda` with `functionName`, or `kind: mwaa` with `environment`).',
      { model, missing: 'trigger' },
    );
  }
  return { dagId, trigger: deps.trigger };
}
