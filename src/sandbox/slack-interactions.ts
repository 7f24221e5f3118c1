import { randomUUID } from 'node:crypto';
import { FAKE_SLACK_IDS, type FakeSlack, type FakeSlackResponseContext } from './fake-slack-server';
import type { SandboxChannel, SandboxUser } from './sandbox-config';
import {
  appHomeOpenedBody,
  interactionBody,
  messageActionPayload,
  slackHeaders,
  slashCommandBody,
  viewInteractionPayload,
  type InteractionOrigin,
} from './sign-requests';

/**
 * What a person does on the sandbox page, sent to the bot as Slack sends it: a signed request to
 * the bot's own /slack/events (the production route, the real Bolt receiver), with the payload
 * Slack would build from what the Slack stand-in holds (the message clicked, the modal submitted),
 * a response_url and a trigger_id the stand-in serves. What Slack does with the bot's HTTP answer
 * (a slash command's ack body shown to the user, a modal closed or its errors shown) is done here.
 */

export type InteractionResult = { ok: true; response_action?: string; errors?: Record<string, string> } | { ok: false; error: string };

export interface SlackInteractions {
  command(input: { user: string; channel: string; text: string }): Promise<InteractionResult>;
  action(input: {
    user: string;
    channel?: string | undefined;
    messageTs?: string | undefined;
    actionId: string;
    blockId?: string | undefined;
    value?: string | undefined;
    selectedOption?: unknown;
    isEphemeral?: boolean | undefined;
  }): Promise<InteractionResult>;
  submitView(input: { user: string; viewId: string; values: Record<string, Record<string, Record<string, unknown>>> }): Promise<InteractionResult>;
  closeView(input: { user: string; viewId: string }): Promise<InteractionResult>;
  homeOpened(input: { user: string }): Promise<InteractionResult>;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The Slack-side DM channel of a user with the bot (as the stand-in's conversations.open names it). */
export function directChannelOf(userId: string): string {
  return `D${userId.replace(/^[UW]/, '')}`;
}

/** Interactive elements of a block list: each with the block id Slack reports for it. */
/** `state.values` of a message's static selects: the user's choice, else the initial option. */
function selectState(blocks: unknown, chosen: Readonly<Record<string, unknown>>): Record<string, Record<string, unknown>> {
  const values: Record<string, Record<string, unknown>> = {};
  if (!Array.isArray(blocks)) return values;
  for (const block of blocks) {
    if (!isObject(block) || typeof block.block_id !== 'string' || !Array.isArray(block.elements)) continue;
    for (const element of block.elements as unknown[]) {
      if (!isObject(element) || element.type !== 'static_select' || typeof element.action_id !== 'string') continue;
      const selected = chosen[`${block.block_id}|${element.action_id}`] ?? element.initial_option ?? null;
      (values[block.block_id] ??= {})[element.action_id] = { type: 'static_select', selected_option: selected };
    }
  }
  return values;
}

function findElement(
  blocks: unknown,
  actionId: string,
  blockId: string | undefined,
): (Json & { action_id: string; block_id: string; type: string }) | undefined {
  if (!Array.isArray(blocks)) return undefined;
  for (const [index, block] of blocks.entries()) {
    if (!isObject(block)) continue;
    // Slack gives a block without an id a generated one; the index stands in for it here.
    const id = typeof block.block_id === 'string' ? block.block_id : `sandbox-block-${index}`;
    if (blockId !== undefined && id !== blockId) continue;
    const elements: unknown[] = [
      ...(Array.isArray(block.elements) ? (block.elements as unknown[]) : []),
      ...(isObject(block.accessory) ? [block.accessory] : []),
    ];
    for (const element of elements) {
      if (isObject(element) && element.action_id === actionId && typeof element.type === 'string') {
        return { ...element, action_id: actionId, block_id: id, type: element.type };
      }
    }
  }
  return undefined;
}

export function createSlackInteractions(opts: {
  slack: FakeSlack;
  /** The bot's base URL now (it changes when the sandbox is reset). */
  botUrl: () => string;
  signingSecret: string;
  users: readonly SandboxUser[];
  channels: readonly SandboxChannel[];
}): SlackInteractions {
  const { slack } = opts;

  function userOf(id: string): SandboxUser | undefined {
    return opts.users.find((u) => u.id === id);
  }
  /** Each user's choices in message selects, by `channel|ts|user` then `block|action` (Slack keeps them client-side). */
  const selections = new Map<string, Record<string, unknown>>();

  function origin(user: SandboxUser): InteractionOrigin {
    return {
      userId: user.id,
      userName: user.name,
      teamId: FAKE_SLACK_IDS.team,
      teamDomain: FAKE_SLACK_IDS.teamDomain,
      appId: FAKE_SLACK_IDS.app,
      triggerId: slack.triggerFor(user.id),
    };
  }
  function channelOf(id: string): SandboxChannel | undefined {
    return opts.channels.find((c) => c.id === id);
  }

  async function send(body: string, contentType: string): Promise<{ status: number; text: string }> {
    const response = await fetch(`${opts.botUrl()}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': contentType, ...slackHeaders(opts.signingSecret, body) },
      body,
    });
    return { status: response.status, text: await response.text() };
  }
  const sendForm = (body: string) => send(body, 'application/x-www-form-urlencoded');

  function refused(status: number, text: string): InteractionResult {
    return { ok: false, error: `the bot answered HTTP ${status}${text !== '' ? `: ${text.slice(0, 200)}` : ''}` };
  }

  /** A JSON or text ack body, as Slack reads it. */
  function ackBody(text: string): Json | undefined {
    if (text.trim() === '') return undefined;
    try {
      const parsed: unknown = JSON.parse(text);
      return isObject(parsed) ? parsed : { text };
    } catch {
      return { text };
    }
  }

  return {
    async command({ user: userId, channel: channelId, text }) {
      const user = userOf(userId);
      const channel = channelOf(channelId);
      if (user === undefined) return { ok: false, error: `unknown user ${userId}` };
      if (channel === undefined) return { ok: false, error: `unknown channel ${channelId}` };
      const context: FakeSlackResponseContext = { channel: channel.id, user: user.id };
      const o = origin(user);
      const body = slashCommandBody({
        text,
        userId: user.id,
        userName: user.name,
        channelId: channel.id,
        channelName: channel.name,
        teamId: o.teamId,
        teamDomain: o.teamDomain,
        appId: o.appId,
        triggerId: o.triggerId,
        responseUrl: slack.responseUrl(`cmd-${randomUUID()}`, context),
      });
      const answer = await sendForm(body);
      if (answer.status !== 200) return refused(answer.status, answer.text);
      // Slack shows a slash command's ack body to the user, as a response_url message would be.
      const shown = ackBody(answer.text);
      if (shown !== undefined) slack.applyResponse(context, shown);
      return { ok: true };
    },

    async action(input) {
      const user = userOf(input.user);
      if (user === undefined) return { ok: false, error: `unknown user ${input.user}` };
      const o = origin(user);
      let payload: Json;
      if (input.channel === undefined || input.messageTs === undefined) {
        // A button of the user's App Home.
        const home = slack.views().find((v) => v.type === 'home' && v.user_id === user.id);
        const element = home === undefined ? undefined : findElement(home['blocks'], input.actionId, input.blockId);
        if (home === undefined || element === undefined) return { ok: false, error: `no ${input.actionId} element in the App Home of ${user.id}` };
        payload = {
          type: 'block_actions',
          user: { id: user.id, username: user.name, name: user.name, team_id: o.teamId },
          api_app_id: o.appId,
          token: 'legacy-verification-token',
          container: { type: 'view', view_id: home.id },
          trigger_id: o.triggerId,
          team: { id: o.teamId, domain: o.teamDomain },
          view: home,
          actions: [{ ...element, ...(input.value !== undefined ? { value: input.value } : {}), action_ts: nowTs() }],
        };
      } else {
        const channel = channelOf(input.channel) ?? { id: input.channel, name: input.channel, purpose: '' };
        const isEphemeral = input.isEphemeral === true;
        const message = isEphemeral
          ? slack.ephemerals(channel.id).find((e) => e.message_ts === input.messageTs && e.user === user.id)
          : slack.message(channel.id, input.messageTs);
        if (message === undefined) return { ok: false, error: `no message ${input.messageTs} in ${channel.id}${isEphemeral ? ` for ${user.id}` : ''}` };
        const element = findElement(message.blocks, input.actionId, input.blockId);
        if (element === undefined) return { ok: false, error: `message ${input.messageTs} has no ${input.actionId} element` };
        const action: Json & { action_id: string; block_id: string; type: string } = { ...element };
        delete action['confirm'];
        if (input.value !== undefined) action['value'] = input.value;
        if (input.selectedOption !== undefined) action['selected_option'] = input.selectedOption;
        // Like Slack's client, remember this user's choice in a message's select and send every select's state with each click.
        const stateKey = `${channel.id}|${input.messageTs}|${user.id}`;
        if (action.type === 'static_select' && input.selectedOption !== undefined) {
          selections.set(stateKey, { ...selections.get(stateKey), [`${action.block_id}|${action.action_id}`]: input.selectedOption });
        }
        const stateValues = selectState(message.blocks, selections.get(stateKey) ?? {});
        const threadTs = 'thread_ts' in message && typeof message.thread_ts === 'string' ? message.thread_ts : undefined;
        const context: FakeSlackResponseContext = {
          channel: channel.id,
          user: user.id,
          messageTs: input.messageTs,
          isEphemeral,
          ...(threadTs !== undefined ? { threadTs } : {}),
        };
        const { channel: _channel, ...messageBody } = message as unknown as Json;
        payload = messageActionPayload({
          origin: o,
          channel: { id: channel.id, name: channel.name },
          // Slack sends the message for a channel message only, not for an ephemeral one.
          message: { ts: input.messageTs, isEphemeral, ...(isEphemeral ? {} : { body: messageBody }) },
          action,
          responseUrl: slack.responseUrl(`act-${randomUUID()}`, context),
          actionTs: nowTs(),
          stateValues,
        });
      }
      const answer = await sendForm(interactionBody(payload));
      return answer.status === 200 ? { ok: true } : refused(answer.status, answer.text);
    },

    async submitView({ user: userId, viewId, values }) {
      const user = userOf(userId);
      if (user === undefined) return { ok: false, error: `unknown user ${userId}` };
      const modal = slack.modals().find((m) => m.viewId === viewId && m.user === user.id);
      if (modal === undefined) return { ok: false, error: `no open modal ${viewId} for ${user.id}` };
      const answer = await sendForm(interactionBody(viewInteractionPayload({ type: 'view_submission', origin: origin(user), view: modal.view, values })));
      if (answer.status !== 200) return refused(answer.status, answer.text);
      const ack = ackBody(answer.text);
      const responseAction = typeof ack?.['response_action'] === 'string' ? ack['response_action'] : undefined;
      if (responseAction === 'errors') {
        const errors = isObject(ack?.['errors']) ? (ack['errors'] as Record<string, string>) : {};
        return { ok: true, response_action: 'errors', errors };
      }
      if (responseAction === 'clear') {
        for (const m of slack.modals()) if (m.user === user.id) slack.closeModal(m.viewId);
        return { ok: true, response_action: 'clear' };
      }
      // An empty ack closes the modal (update / push are not used by the bot; they close it here too).
      slack.closeModal(viewId);
      return { ok: true, ...(responseAction !== undefined ? { response_action: responseAction } : {}) };
    },

    async closeView({ user: userId, viewId }) {
      const user = userOf(userId);
      if (user === undefined) return { ok: false, error: `unknown user ${userId}` };
      const modal = slack.modals().find((m) => m.viewId === viewId && m.user === user.id);
      if (modal === undefined) return { ok: false, error: `no open modal ${viewId} for ${user.id}` };
      slack.closeModal(viewId);
      // Slack tells the app only when the view asked for it.
      if (modal.view['notify_on_close'] !== true) return { ok: true };
      const answer = await sendForm(interactionBody(viewInteractionPayload({ type: 'view_closed', origin: origin(user), view: modal.view })));
      return answer.status === 200 ? { ok: true } : refused(answer.status, answer.text);
    },

    async homeOpened({ user: userId }) {
      const user = userOf(userId);
      if (user === undefined) return { ok: false, error: `unknown user ${userId}` };
      const body = appHomeOpenedBody({
        teamId: FAKE_SLACK_IDS.team,
        appId: FAKE_SLACK_IDS.app,
        botUserId: FAKE_SLACK_IDS.botUser,
        userId: user.id,
        channel: directChannelOf(user.id),
        eventTs: nowTs(),
        eventId: `Ev${randomUUID().replace(/-/g, '').slice(0, 10).toUpperCase()}`,
      });
      const answer = await send(body, 'application/json');
      return answer.status === 200 ? { ok: true } : refused(answer.status, answer.text);
    },
  };
}

function nowTs(): string {
  return (Date.now() / 1000).toFixed(6);
}
