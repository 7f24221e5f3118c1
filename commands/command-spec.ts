import type { BotDeps } from '../src/bot-deps';
import type { CommandLine } from '../src/core/parse-command-line';
import type { Logger } from '../src/observability/create-logger';
import type { SlackMessage } from '../views/slack-message';

export interface CommandReply extends Partial<SlackMessage> {
  text: string;
  /** Default ephemeral: only the typing user sees it. */
  responseType?: 'ephemeral' | 'in_channel';
  replaceOriginal?: boolean;
}

export interface CommandContext {
  line: CommandLine;
  userId: string;
  channelId: string;
  triggerId: string;
  responseUrl: string;
  /** Answers through response_url (works after the ack, for 30 minutes, up to 5 times). */
  respond(reply: CommandReply): Promise<void>;
  deps: BotDeps;
  log: Logger;
}

/** One `/mlops` subcommand; each lives in its own file in commands/ and is listed in command-registry.ts. */
export interface CommandSpec {
  name: string;
  usage: string;
  summary: string;
  example: string;
  details?: string;
  run(ctx: CommandContext): Promise<void>;
}
