import type { App } from '@slack/bolt';
import type { BotDeps } from '../src/bot-deps';
import { checkCommandLine } from '../src/core/check-command-line';
import { ErrorCode, isMlopsError } from '../src/core/errors';
import { didYouMean, parseCommandLine, type CommandLine } from '../src/core/parse-command-line';
import { respondInTime } from '../src/slack/respond-in-time';
import { SLASH_COMMAND } from '../src/slack/slack-ids';
import { commandErrorView } from '../views/command-error-view';
import { errorView } from '../views/error-view';
import { helpView } from '../views/help-view';
import type { CommandReply, CommandSpec } from './command-spec';
import { commandRegistry } from './command-registry';
import { contextRequestId } from '../src/http/request-context';

/** Errors caused by what the user typed or who they are: logged at info, not as failures. */
const USER_ERRORS = new Set<string>([ErrorCode.CommandInvalid, ErrorCode.UnknownModel, ErrorCode.NotAuthorized, ErrorCode.UnknownCommand]);

/**
 * `/mlops`: ack at once (Slack allows 3 s), then run the subcommand, which answers through
 * response_url. Help, parse errors, missing arguments and unknown models are answered in the ack
 * itself: no extra round trip.
 */
export function registerCommands(app: App, deps: BotDeps, specs: CommandSpec[] = commandRegistry()): void {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const work = deps.postAckWork;
  app.command(SLASH_COMMAND, async ({ command, ack, context }) => {
    const started = process.hrtime.bigint();
    // Not Bolt's respond(): that one has no timeout, and a hung response_url would hold a work slot.
    const respond =
      respondInTime(command.response_url) ??
      (async () => {
        throw new Error('the command has no response_url');
      });
    // The metric label: a registered subcommand's name, never what was typed (a typed word
    // would mint a series per distinct value). Declared first: observe() reads it on every path.
    let metricName = 'unreadable';
    const log = deps.logger.child({ requestId: contextRequestId(context), slackUser: command.user_id, channel: command.channel_id, command: 'mlops' });
    let line: CommandLine;
    try {
      // Bolt types `text` as a string, but the form body is outside input: a hand-made request may leave it out.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
      line = parseCommandLine(command.text ?? '');
    } catch (error) {
      await ack(toAck(errorView({ message: isMlopsError(error) ? error.message : 'could not read the command', hint: `Try \`${SLASH_COMMAND} help\`.` })));
      observe('parse_error');
      return;
    }
    const name = line.subcommand ?? 'help';
    const spec = byName.get(name);
    metricName = spec?.name ?? 'unknown';
    if (spec === undefined) {
      await ack(toAck(helpView({ command: SLASH_COMMAND, entries: specs, unknown: name, ...optional('suggestion', didYouMean(name, [...byName.keys()])) })));
      log.info({ subcommand: name }, 'unknown /mlops subcommand');
      observe('unknown');
      return;
    }
    if (spec.name === 'help') {
      // Answer help inside the ack: instant and no response_url round trip.
      let reply: CommandReply | undefined;
      await spec.run({ ...baseContext(), respond: async (r) => void (reply = r) });
      await ack(reply !== undefined ? toAck(reply) : undefined);
      observe('ok');
      return;
    }
    try {
      // Pure checks against the usage and the configured models: their answer rides in the ack.
      checkCommandLine(spec.usage, line, deps.config.file);
    } catch (error) {
      if (!isMlopsError(error)) {
        log.error({ err: error, subcommand: name }, '/mlops command line check failed');
        await ack(toAck(errorView({ message: 'something went wrong on our side; the error is logged' })));
        observe('error');
        return;
      }
      await ack(toAck(commandErrorView({ command: SLASH_COMMAND, usage: spec.usage, example: spec.example, code: error.code, message: error.message })));
      log.info({ subcommand: name, code: error.code }, '/mlops subcommand refused before it ran');
      observe('invalid');
      return;
    }
    const chosen: CommandSpec = spec;
    await ack();
    deps.metrics.slackAckDuration.observe({ kind: 'command', name: metricName }, Number(process.hrtime.bigint() - started) / 1e9);
    // The work after the ack waits for a slot (deps.postAckWork); the listener resolves when it is done.
    await new Promise<void>((resolve) => {
      const accepted = work.offer(async () => {
        try {
          await runAfterAck();
        } finally {
          resolve();
        }
      });
      if (!accepted) {
        log.warn({ subcommand: name, running: work.running, queued: work.queued }, '/mlops subcommand refused: too much work queued');
        observe('busy', false);
        respond({
          response_type: 'ephemeral',
          ...errorView({ message: 'The bot is busy with many requests right now; nothing was done. Try again in a minute.' }),
        })
          .catch((e: unknown) => log.error({ err: e }, 'could not answer the user'))
          .finally(resolve);
      }
    });

    async function runAfterAck(): Promise<void> {
      try {
        await chosen.run(baseContext());
        observe('ok', false);
      } catch (error) {
        const code = isMlopsError(error) ? error.code : undefined;
        if (code !== undefined && USER_ERRORS.has(code)) log.info({ subcommand: name, code, reason: (error as Error).message }, '/mlops subcommand refused');
        else if (code !== undefined) log.warn({ err: error, subcommand: name, code }, '/mlops subcommand failed');
        else log.error({ err: error, subcommand: name }, '/mlops subcommand failed');
        const view = isMlopsError(error)
          ? commandErrorView({ command: SLASH_COMMAND, usage: chosen.usage, example: chosen.example, code: error.code, message: error.message })
          : errorView({ message: 'something went wrong on our side; the error is logged' });
        await respond({ response_type: 'ephemeral', ...view }).catch((e: unknown) => log.error({ err: e }, 'could not answer the user'));
        observe(code !== undefined && USER_ERRORS.has(code) ? 'invalid' : 'error', false);
      }
    }

    function baseContext() {
      return {
        line,
        userId: command.user_id,
        channelId: command.channel_id,
        triggerId: command.trigger_id,
        responseUrl: command.response_url,
        respond: async (reply: CommandReply) => {
          await respond({
            text: reply.text,
            ...(reply.blocks !== undefined ? { blocks: reply.blocks } : {}),
            response_type: reply.responseType ?? 'ephemeral',
            ...(reply.replaceOriginal !== undefined ? { replace_original: reply.replaceOriginal } : {}),
          });
        },
        deps,
        log: log.child({ subcommand: name }),
      };
    }
    function observe(outcome: string, acked = true) {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (acked) deps.metrics.slackAckDuration.observe({ kind: 'command', name: metricName }, seconds);
      deps.metrics.slackRequests.inc({ kind: 'command', name: metricName, outcome });
      if (!acked) deps.metrics.slackHandlerDuration.observe({ kind: 'command', name: metricName }, seconds);
    }
  });
}

function toAck(reply: CommandReply | { text: string; blocks?: unknown[] }) {
  const r = reply as CommandReply;
  return { text: r.text, ...(r.blocks !== undefined ? { blocks: r.blocks } : {}), response_type: r.responseType ?? 'ephemeral' } as const;
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}
