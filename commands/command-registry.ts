import type { CommandSpec } from './command-spec';
import { deployCommand } from './deploy-command';
import { helpCommand } from './help-command';
import { historyCommand } from './history-command';
import { modelsCommand } from './models-command';
import { rollbackCommand } from './rollback-command';
import { statusCommand } from './status-command';
import { retrainCommand, trainCommand } from './train-command';
import { scheduleCommand } from './schedule-command';
import { lineageCommand } from './lineage-command';

/**
 * Every `/mlops` subcommand, in the order help lists them. Add a subcommand by writing
 * commands/<name>-command.ts and listing it here (`retrain` is train's variant and lives in
 * train-command.ts: one path, retrain without parameters).
 */
export function commandRegistry(): CommandSpec[] {
  const specs: CommandSpec[] = [];
  specs.push(helpCommand(() => specs));
  specs.push(trainCommand());
  specs.push(retrainCommand());
  specs.push(statusCommand());
  specs.push(modelsCommand());
  specs.push(historyCommand());
  specs.push(deployCommand());
  specs.push(rollbackCommand());
  specs.push(scheduleCommand());
  specs.push(lineageCommand());
  return specs;
}
