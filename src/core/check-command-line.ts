import type { FileConfig } from '../config/config-schema';
import { ErrorCode, MlopsError } from './errors';
import type { CommandLine } from './parse-command-line';
import { resolveModel } from './resolve-model';

/**
 * Checks a command line against its subcommand's usage string before any work starts (it is
 * pure and fast, so the answer can ride in Slack's ack): every `<required>` argument must be
 * present, and an argument in a `<model>` position must be a configured model.
 * Usage grammar: `name <required> [optional] [key=value…]`. Anything finer (extra arguments,
 * option names, numbers) is each command's own zod schema's job.
 */
export function checkCommandLine(usage: string, line: CommandLine, config: FileConfig): void {
  const placeholders = usage
    .trim()
    .split(/\s+/)
    .slice(1)
    .filter((t) => !t.includes('='));
  const required = placeholders.filter((t) => t.startsWith('<')).map((t) => t.replace(/^<|>$/g, ''));
  const missing = required.slice(line.args.length);
  if (missing.length > 0) {
    throw new MlopsError(ErrorCode.CommandInvalid, `missing ${missing.map((m) => `<${m}>`).join(' and ')}`, { missing });
  }
  placeholders.forEach((token, i) => {
    const arg = line.args[i];
    if (arg !== undefined && (token === '<model>' || token === '[model]')) resolveModel(arg, config);
  });
}
