import type { CommandSpec } from './command-spec';
import { helpCommand } from './help-command';

/**
 * Every `/mlops` subcommand, in the order help lists them. Add a subcommand by writing
 * commands/<name>-command.ts and listing it here.
 */
export function commandRegistry(): CommandSpec[] {
  const specs: CommandSpec[] = [];
  specs.push(helpCommand(() => specs));
  return specs;
}
