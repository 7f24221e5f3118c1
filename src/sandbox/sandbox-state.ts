import { directChannelId, type FakeSlack } from './fake-slack-server';
import type { SandboxClock } from './sandbox-clock';
import type { SandboxChannel, SandboxUser } from './sandbox-config';
import type { NextRun, SimulatedPipeline } from './simulated-pipeline';

/** GET /api/state (the page contract, /tmp/helpers/sandbox-api.md): what the Slack stand-in holds, as a Slack client would show it. */
export interface SandboxState {
  workspace: { name: string };
  users: { id: string; name: string; role: SandboxUser['role']; description: string }[];
  channels: SandboxChannel[];
  /** Each user's DM with the bot (approval reminders); its messages are in `messages` under `channel`. */
  directMessages: { user: string; channel: string }[];
  /** The sandbox's time (what the bot's clock says) and how far the page skipped ahead. */
  clock: { now: string; skippedMs: number; digest?: { time: string; timezone: string } };
  messages: {
    channel: string;
    ts: string;
    threadTs?: string;
    user?: string;
    botId?: string;
    text: string;
    blocks?: unknown[];
    edited?: boolean;
    replyCount?: number;
  }[];
  ephemerals: { channel: string; user: string; ts: string; threadTs?: string; text: string; blocks?: unknown[] }[];
  modals: { viewId: string; user: string; view: Record<string, unknown> }[];
  home: Record<string, { blocks: unknown[] }>;
  pipeline: { nextRun: NextRun; runs: { runId: string; dagId: string; model: string; state: string; startedAt: string; kind: string; behaviour: NextRun }[] };
  version: number;
}

const tsValue = (ts: string) => Number.parseFloat(ts);

export function sandboxState(opts: {
  workspace: { name: string };
  users: readonly SandboxUser[];
  channels: readonly SandboxChannel[];
  slack: FakeSlack;
  pipeline: SimulatedPipeline;
  clock: SandboxClock;
  digest?: { time: string; timezone: string };
  version: number;
}): SandboxState {
  const { slack } = opts;
  const directMessages = opts.users.map((u) => ({ user: u.id, channel: directChannelId(u.id) }));
  const messages = [...opts.channels.map((c) => c.id), ...directMessages.map((d) => d.channel)]
    .flatMap((channel) => slack.messages(channel))
    .sort((a, b) => tsValue(a.ts) - tsValue(b.ts))
    .map((m) => ({
      channel: m.channel,
      ts: m.ts,
      // A thread's parent carries its own ts as thread_ts on Slack; only replies point elsewhere.
      ...(m.thread_ts !== undefined && m.thread_ts !== m.ts ? { threadTs: m.thread_ts } : {}),
      user: m.user,
      botId: m.bot_id,
      text: m.text,
      ...(m.blocks !== undefined ? { blocks: m.blocks } : {}),
      ...(m.edited !== undefined ? { edited: true } : {}),
      ...(m.reply_count !== undefined ? { replyCount: m.reply_count } : {}),
    }));
  const ephemerals = slack.ephemerals().map((e) => ({
    channel: e.channel,
    user: e.user,
    ts: e.message_ts,
    ...(e.thread_ts !== undefined ? { threadTs: e.thread_ts } : {}),
    text: e.text,
    ...(e.blocks !== undefined ? { blocks: e.blocks } : {}),
  }));
  const home: SandboxState['home'] = {};
  for (const view of slack.views()) {
    if (view.type === 'home' && view.user_id !== undefined) home[view.user_id] = { blocks: Array.isArray(view['blocks']) ? view['blocks'] : [] };
  }
  return {
    workspace: opts.workspace,
    users: opts.users.map((u) => ({ id: u.id, name: u.realName, role: u.role, description: u.description })),
    channels: [...opts.channels],
    directMessages,
    clock: {
      now: opts.clock.now().toISOString(),
      skippedMs: opts.clock.skippedMs(),
      ...(opts.digest !== undefined ? { digest: { time: opts.digest.time, timezone: opts.digest.timezone } } : {}),
    },
    messages,
    ephemerals,
    modals: slack.modals().map((m) => ({ viewId: m.viewId, user: m.user, view: m.view })),
    home,
    pipeline: {
      nextRun: opts.pipeline.nextRun(),
      runs: opts.pipeline.runs().map((r) => ({
        runId: r.runId,
        dagId: r.dagId,
        model: r.model,
        state: r.state,
        startedAt: r.startedAt,
        kind: r.kind,
        behaviour: r.behaviour,
      })),
    },
    version: opts.version,
  };
}
