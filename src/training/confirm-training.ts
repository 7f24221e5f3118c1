import type { BotDeps } from '../bot-deps';
import type { Logger } from '../observability/create-logger';
import { storeKeys } from '../store/store-keys';
import type { PendingTraining } from './pending-training';
import { prepareTraining } from './prepare-training';
import { startTraining, type StartedTraining } from './start-training';
import type { TrainingRequestRecord } from './training-request-record';

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
    ...(guard !== undefined ? { guard } : {}),
    log,
  });
}
