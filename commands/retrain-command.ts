import type { CommandSpec } from './command-spec';
import { runTrainingCommand } from './run-training-command';

/** `retrain <model>`: operators start the training DAG with `retrain: true`. */
export function retrainCommand(): CommandSpec {
  return {
    name: 'retrain',
    usage: 'retrain <model>',
    summary: 'retrain the model on fresh data (training DAG with `retrain: true`)',
    example: 'retrain fraud-detector',
    details: [
      "Triggers the model's `trainingDag` with conf `{model, requested_by, retrain: true, params: {}}`; takes no parameters (use `train` for those).",
      'Posts "retraining … requested" in this channel; pipeline updates follow in its thread. Operators only; a second request while one has no outcome asks for confirmation.',
    ].join('\n'),
    run: (ctx) => runTrainingCommand(ctx, true),
  };
}
