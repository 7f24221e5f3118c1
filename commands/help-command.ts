import { didYouMean } from '../src/core/parse-command-line';
import { SLASH_COMMAND } from '../src/slack/slack-ids';
import { helpView } from '../views/help-view';
import type { CommandSpec } from './command-spec';

/** `help [subcommand]`; needs the registry's entries, so it is built from them. */
export function helpCommand(entries: () => readonly CommandSpec[]): CommandSpec {
  return {
    name: 'help',
    usage: 'help [subcommand]',
    summary: 'list the subcommands, or explain one with an example',
    example: 'help train',
    details: 'Answers only you. `<…>` arguments are required, `[…]` optional; quote values with spaces ("…").',
    run: async (ctx) => {
      const focus = ctx.line.args[0]?.toLowerCase();
      const all = entries();
      const known = focus !== undefined && all.some((e) => e.name === focus);
      const suggestion =
        focus !== undefined && !known
          ? didYouMean(
              focus,
              all.map((e) => e.name),
            )
          : undefined;
      await ctx.respond({
        ...helpView({
          command: SLASH_COMMAND,
          entries: all,
          ...(known ? { focus } : {}),
          ...(focus !== undefined && !known ? { unknown: focus } : {}),
          ...(suggestion !== undefined ? { suggestion: `help ${suggestion}` } : {}),
        }),
        responseType: 'ephemeral',
      });
    },
  };
}
