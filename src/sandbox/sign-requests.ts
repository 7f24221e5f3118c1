import { createHmac } from 'node:crypto';

/** Slack's v0 request signature (also the pipeline hook's scheme, contract 5.1). */
export function signV0(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export function slackHeaders(secret: string, body: string, timestamp = nowSeconds()): Record<string, string> {
  return {
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': signV0(secret, timestamp, body),
  };
}

export function pipelineHeaders(secret: string, body: string, timestamp = nowSeconds()): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-mlops-request-timestamp': String(timestamp),
    'x-mlops-signature': signV0(secret, timestamp, body),
  };
}

/** The form body Slack sends for a slash command. */
export function slashCommandBody(opts: {
  text: string;
  userId?: string;
  channelId?: string;
  responseUrl: string;
  triggerId?: string;
  command?: string;
  channelName?: string;
  userName?: string;
  teamId?: string;
  teamDomain?: string;
  appId?: string;
}): string {
  return new URLSearchParams({
    token: 'legacy-verification-token',
    team_id: opts.teamId ?? 'T0TEAM',
    team_domain: opts.teamDomain ?? 'acme',
    channel_id: opts.channelId ?? 'C0FRAUD',
    channel_name: opts.channelName ?? 'ml-fraud',
    user_id: opts.userId ?? 'U0ALICE',
    user_name: opts.userName ?? 'alice',
    command: opts.command ?? '/mlops',
    text: opts.text,
    api_app_id: opts.appId ?? 'A0MLOPS',
    is_enterprise_install: 'false',
    response_url: opts.responseUrl,
    trigger_id: opts.triggerId ?? `trigger-${Math.random().toString(36).slice(2)}`,
  }).toString();
}

/** The form body Slack sends for interactivity (block_actions, view_submission): `payload=<json>`. */
export function interactionBody(payload: object): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** A block_actions payload for a button click on a message. */
export function blockActionPayload(opts: {
  actionId: string;
  value: string;
  userId: string;
  channelId: string;
  messageTs: string;
  responseUrl: string;
  blockId?: string;
  /** The message's stateful elements (`state.values`), as Slack sends them with every click. */
  stateValues?: Record<string, Record<string, unknown>>;
}): object {
  return {
    type: 'block_actions',
    ...(opts.stateValues !== undefined ? { state: { values: opts.stateValues } } : {}),
    team: { id: 'T0TEAM', domain: 'acme' },
    user: { id: opts.userId, username: opts.userId.toLowerCase(), name: opts.userId.toLowerCase(), team_id: 'T0TEAM' },
    api_app_id: 'A0MLOPS',
    token: 'legacy-verification-token',
    container: { type: 'message', message_ts: opts.messageTs, channel_id: opts.channelId, is_ephemeral: false },
    trigger_id: `trigger-${Math.random().toString(36).slice(2)}`,
    channel: { id: opts.channelId, name: 'ml-fraud' },
    message: { type: 'message', ts: opts.messageTs, text: 'candidate', blocks: [] },
    response_url: opts.responseUrl,
    actions: [
      {
        type: 'button',
        action_id: opts.actionId,
        block_id: opts.blockId ?? 'actions',
        value: opts.value,
        action_ts: `${Date.now() / 1000}`,
        text: { type: 'plain_text', text: 'Deploy' },
      },
    ],
  };
}

/** A view_submission payload for a modal. */
export function viewSubmissionPayload(opts: {
  callbackId: string;
  userId: string;
  privateMetadata: string;
  values: Record<string, Record<string, { type: string; value?: string | null }>>;
}): object {
  return {
    type: 'view_submission',
    team: { id: 'T0TEAM', domain: 'acme' },
    user: { id: opts.userId, username: opts.userId.toLowerCase(), name: opts.userId.toLowerCase(), team_id: 'T0TEAM' },
    api_app_id: 'A0MLOPS',
    token: 'legacy-verification-token',
    trigger_id: `trigger-${Math.random().toString(36).slice(2)}`,
    view: {
      id: 'V0MODAL',
      team_id: 'T0TEAM',
      type: 'modal',
      callback_id: opts.callbackId,
      private_metadata: opts.privateMetadata,
      state: { values: opts.values },
      hash: 'hash',
      title: { type: 'plain_text', text: 'Reject' },
      blocks: [],
    },
    response_urls: [],
  };
}

/** Who, where and from which message a sandbox interaction comes (the fields Slack fills in). */
export interface InteractionOrigin {
  userId: string;
  userName: string;
  teamId: string;
  teamDomain: string;
  appId: string;
  triggerId: string;
}

/**
 * A block_actions payload as Slack sends it for a click on a message's interactive element: the
 * element as it is in the message (type, text, value, style), the whole message for a channel
 * message (Slack leaves it out for an ephemeral one), `container`, `state` and `response_url`.
 */
export function messageActionPayload(opts: {
  origin: InteractionOrigin;
  channel: { id: string; name: string };
  message: { ts: string; isEphemeral: boolean; body?: Record<string, unknown> };
  action: Record<string, unknown> & { action_id: string; block_id: string; type: string };
  responseUrl: string;
  actionTs: string;
  /** The message's stateful elements (selects) as this user left them: Slack sends them with every click. */
  stateValues?: Record<string, Record<string, unknown>>;
}): Record<string, unknown> {
  const { origin } = opts;
  return {
    type: 'block_actions',
    user: { id: origin.userId, username: origin.userName, name: origin.userName, team_id: origin.teamId },
    api_app_id: origin.appId,
    token: 'legacy-verification-token',
    container: { type: 'message', message_ts: opts.message.ts, channel_id: opts.channel.id, is_ephemeral: opts.message.isEphemeral },
    trigger_id: origin.triggerId,
    team: { id: origin.teamId, domain: origin.teamDomain },
    enterprise: null,
    is_enterprise_install: false,
    channel: opts.channel,
    ...(opts.message.body !== undefined ? { message: opts.message.body } : {}),
    state: { values: opts.stateValues ?? {} },
    response_url: opts.responseUrl,
    actions: [{ ...opts.action, action_ts: opts.actionTs }],
  };
}

/** A view_submission / view_closed payload for a modal as stored by Slack, with the user's input as its state. */
export function viewInteractionPayload(opts: {
  type: 'view_submission' | 'view_closed';
  origin: InteractionOrigin;
  view: Record<string, unknown>;
  values?: Record<string, Record<string, Record<string, unknown>>>;
}): Record<string, unknown> {
  const { origin } = opts;
  return {
    type: opts.type,
    team: { id: origin.teamId, domain: origin.teamDomain },
    user: { id: origin.userId, username: origin.userName, name: origin.userName, team_id: origin.teamId },
    api_app_id: origin.appId,
    token: 'legacy-verification-token',
    ...(opts.type === 'view_submission' ? { trigger_id: origin.triggerId, response_urls: [] } : { is_cleared: false }),
    view: { ...opts.view, state: { values: opts.values ?? {} } },
    enterprise: null,
    is_enterprise_install: false,
  };
}

/** The Events API body of `app_home_opened` (JSON, signed like every Slack request). */
export function appHomeOpenedBody(opts: {
  teamId: string;
  appId: string;
  botUserId: string;
  userId: string;
  channel: string;
  eventTs: string;
  eventId: string;
}): string {
  return JSON.stringify({
    token: 'legacy-verification-token',
    team_id: opts.teamId,
    api_app_id: opts.appId,
    event: { type: 'app_home_opened', user: opts.userId, channel: opts.channel, tab: 'home', event_ts: opts.eventTs },
    type: 'event_callback',
    event_id: opts.eventId,
    event_time: Math.floor(Number(opts.eventTs)),
    authorizations: [{ enterprise_id: null, team_id: opts.teamId, user_id: opts.botUserId, is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false,
  });
}
