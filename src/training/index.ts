/**
 * The training feature's public API: the rest of the bot (commands/, pipeline-events/, watchdog/,
 * the composition root) imports training only from here. Inside: the request with its duplicate
 * guard and "start another?" question (request-training, training-records), the trigger and its
 * doubt handling (start-training), the run registry, and the Confirm / Cancel listeners.
 */
export { requestTraining, type TrainingRequest, type TrainingRequestOutcome } from './request-training';
export type { StartedTraining } from './start-training';
export { createRunRegistry, type RunRecord, type RunRegistry, type RunStage, type TrainingOrigin } from './run-registry';
export { registerTrainActions } from './register-train-actions';
