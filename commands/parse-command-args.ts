import { z } from 'zod';
import { ErrorCode, MlopsError } from '../src/core/errors';
import type { CommandLine } from '../src/core/parse-command-line';

/**
 * Validates a subcommand's positional arguments and key=value options with zod: either a schema
 * `z.object({ args, options })` built once per command (preferred: building zod schemas on every
 * request showed up in profiles), or the two parts, combined here. A problem is a CommandInvalid
 * error in plain words; register-commands adds the subcommand's usage to it.
 */
export function parseCommandArgs<T extends { args: unknown; options: unknown }>(line: CommandLine, schema: z.ZodType<T>): T;
export function parseCommandArgs<A extends z.ZodType, O extends z.ZodType>(
  line: CommandLine,
  parts: { args: A; options: O },
): { args: z.output<A>; options: z.output<O> };
export function parseCommandArgs(line: CommandLine, schema: z.ZodType | { args: z.ZodType; options: z.ZodType }): unknown {
  const whole = schema instanceof z.ZodType ? schema : z.object({ args: schema.args, options: schema.options });
  const parsed = whole.safeParse({ args: line.args, options: line.options });
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  let message = issue?.message ?? 'the arguments are not valid';
  if (issue?.path.length === 1 && issue.path[0] === 'args' && issue.code === 'too_big') {
    const extra = line.args.slice(Number(issue.maximum));
    message = `unexpected argument${extra.length === 1 ? '' : 's'} ${extra.map((a) => `\`${a.slice(0, 40)}\``).join(' ')}`;
  } else if (issue?.path.length === 1 && issue.path[0] === 'options' && issue.code === 'unrecognized_keys') {
    message = `this subcommand takes no option${issue.keys.length === 1 ? '' : 's'} ${issue.keys.map((k) => `\`${k.slice(0, 40)}\``).join(', ')}`;
  }
  throw new MlopsError(ErrorCode.CommandInvalid, message);
}

/** No key=value options at all. */
export const noOptions = z.strictObject({});
