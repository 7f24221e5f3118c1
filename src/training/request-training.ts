import { randomBytes, randomUUID } from 'node:crypto';
import type { BotDeps } from '../bot-deps';
import { trainingRunId } from '../core/training-run-id';
import { childLogger, type Logger } from '../observability/create-logger';
import { storeKeys } from '../store/store-keys';
import { updateJsonWith } from '../store/update-json';
import { pendingTraining } from './pending-training';
import { prepareTraining } from './prepare-training';
import { startTraining, type StartedTraining } from './start-training';
import { parseTrainingRequestRecord, type TrainingRequestRecord } from './training-request-record';

export interface TrainingRequest {
  model: string;
  retrain: boolean;
  params: Record<string, string>;
  userId: string;
  channelId: string;
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
  const prepared = await prepareTraining(deps, req.model, req.userId);
  const at = deps.clock.now();
  const runId = trainingRunId(req.model, at, randomBytes(3).toString('hex'));
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
