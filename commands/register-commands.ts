import type { App } from '@slack/bolt';
import type { BotDeps } from '../src/bot-deps';
import { checkCommandLine } from '../src/core/check-command-line';
import { ErrorCode, isMlopsError } from '../src/core/errors';
import { didYouMean, parseCommandLine, type CommandLine } from '../src/core/parse-command-line';
import { SLASH_COMMAND } from '../src/slack/slack-ids';
import { commandErrorView } from '../views/command-error-view';
import { errorView } from '../views/error-view';
import { helpView } from '../views/help-view';
import type { SlackMessage } from '../views/slack-message';
import type { CommandContext, CommandReply, CommandSpec } from './command-spec';
import { commandRegistry } from './command-registry';
import { acknowledge, ackThenWork, respondInTime, slackRequest } from '../src/slack/listener-kit';

/** Errors caused by what the user typed or who they are: logged at info, not as failures. */
const USER_ERRORS = new Set<string>([ErrorCode.CommandInvalid, ErrorCode.UnknownModel, ErrorCode.NotAuthorized, ErrorCode.UnknownCommand]);

/**
 * `/mlops`: ack at once (Slack allows 3 s), then run the subcommand after the ack, which answers
 * through response_url. Help, parse errors, missing arguments and unknown models are answered in
 * the ack itself: no extra round trip. Request id, logger, timing and metrics come from the listener
 * kit (src/slack/listener-kit.ts); an unexpected error after the ack goes to its app.error.
 */
export function registerCommands(app: App, deps: BotDeps, specs: CommandSpec[] = commandRegistry()): void {
  const byName = new Map(specs.map((s) => [s.name, s]));
  app.command(SLASH_COMMAND, async ({ command, ack, context }) => {
    const request = slackRequest(context);
    const { log } = request;
    // Not Bolt's respond(): that one has no timeout, and a hung response_url would hold a work slot.
    const respond =
      respondInTime(command.response_url) ??
      (async () => {
        throw new Error('the command has no response_url');
      });
    const answerInAck = async (message: CommandReply | SlackMessage, outcome: string) => {
      request.outcome = outcome;
      await acknowledge({ ack, context }, toAck(message));
    };
    let line: CommandLine;
    try {
      // Bolt types `text` as a string, but the form body is outside input: a hand-made request may leave it out.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
      line = parseCommandLine(command.text ?? '');
    } catch (error) {
      // The metric name stays 'unreadable' (the kit's default for commands).
      await answerInAck(
        errorView({ message: isMlopsError(error) ? error.message : 'could not read the command', hint: `Try \`${SLASH_COMMAND} help\`.` }),
        'parse_error',
      );
      return;
    }
    const name = line.subcommand ?? 'help';
    const spec = byName.get(name);
    // The metric label: a registered subcommand's name, never what was typed (a typed word would
    // mint a series per distinct value).
    request.name = spec?.name ?? 'unknown';
    if (spec === undefined) {
      log.info({ subcommand: name }, 'unknown /mlops subcommand');
      await answerInAck(
        helpView({ command: SLASH_COMMAND, entries: specs, unknown: name, ...optional('suggestion', didYouMean(name, [...byName.keys()])) }),
        'unknown',
      );
      return;
    }
    const ctx = (respondWith: (reply: CommandReply) => Promise<void>): CommandContext => ({
      line,
      userId: command.user_id,
      channelId: command.channel_id,
      triggerId: command.trigger_id,
      responseUrl: command.response_url,
      respond: respondWith,
      deps,
      log: log.child({ subcommand: name }),
    });
    if (spec.name === 'help') {
      // Answer help inside the ack: instant and no response_url round trip.
      let reply: CommandReply | undefined;
      await spec.run(ctx(async (r) => void (reply = r)));
      if (reply !== undefined) await answerInAck(reply, 'ok');
      else await acknowledge({ ack, context });
      return;
    }
    try {
      // Pure checks against the usage and the configured models: their answer rides in the ack.
      checkCommandLine(spec.usage, line, deps.config.file);
    } catch (error) {
      if (!isMlopsError(error)) {
        log.error({ err: error, subcommand: name }, '/mlops command line check failed');
        await answerInAck(errorView({ message: 'something went wrong on our side; the error is logged' }), 'error');
        return;
      }
      log.info({ subcommand: name, code: error.code }, '/mlops subcommand refused before it ran');
      await answerInAck(
        commandErrorView({ command: SLASH_COMMAND, usage: spec.usage, example: spec.example, code: error.code, message: error.message }),
        'invalid',
      );
      return;
    }
    await ackThenWork({ ack, context }, deps, async () => {
      try {
        await spec.run(ctx((reply) => respond(toResponse(reply))));
        return 'ok';
      } catch (error) {
        // Unexpected errors go on to app.error (logged, the user told); ours are answered with the usage.
        if (!isMlopsError(error)) throw error;
        const userError = USER_ERRORS.has(error.code);
        if (userError) log.info({ subcommand: name, code: error.code, reason: error.message }, '/mlops subcommand refused');
        else log.warn({ err: error, subcommand: name, code: error.code }, '/mlops subcommand failed');
        const view = commandErrorView({ command: SLASH_COMMAND, usage: spec.usage, example: spec.example, code: error.code, message: error.message });
        await respond({ response_type: 'ephemeral', ...view }).catch((e: unknown) => log.error({ err: e }, 'could not answer the user'));
        return userError ? 'invalid' : 'error';
      }
    });
  });
}

function toResponse(reply: CommandReply) {
  return {
    text: reply.text,
    ...(reply.blocks !== undefined ? { blocks: reply.blocks } : {}),
    response_type: reply.responseType ?? 'ephemeral',
    ...(reply.replaceOriginal !== undefined ? { replace_original: reply.replaceOriginal } : {}),
  } as const;
}

function toAck(reply: CommandReply | { text: string; blocks?: unknown[] }) {
  const r = reply as CommandReply;
  return { text: r.text, ...(r.blocks !== undefined ? { blocks: r.blocks } : {}), response_type: r.responseType ?? 'ephemeral' } as const;
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}
