import type { CommandSpec } from './command-spec';
import { runTrainingCommand } from './run-training-command';

/** `train <model> [key=value…]`: operators start the model's training DAG. */
export function trainCommand(): CommandSpec {
  return {
    name: 'train',
    usage: 'train <model> [key=value…]',
    summary: "start the model's training DAG, with optional parameters",
    example: 'train fraud-detector epochs=20 learning_rate=0.01',
    details: [
      'Triggers the model\'s `trainingDag` with conf `{model, requested_by, retrain: false, params}`; `key=value` pairs become `params` (strings, as typed; quote values with spaces: `note="new features"`).',
      'Posts "training … requested" in this channel; the run\'s pipeline updates follow in its thread.',
      'Operators only (config `operators`, or `models.<name>.operators`; everyone when empty). If the previous requested run has no outcome yet, you are asked to confirm before a second one starts.',
    ].join('\n'),
    run: (ctx) => runTrainingCommand(ctx, false),
  };
}
