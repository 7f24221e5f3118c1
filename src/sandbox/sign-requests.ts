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
}): string {
  return new URLSearchParams({
    token: 'legacy-verification-token',
    team_id: 'T0TEAM',
    team_domain: 'acme',
    channel_id: opts.channelId ?? 'C0FRAUD',
    channel_name: 'ml-fraud',
    user_id: opts.userId ?? 'U0ALICE',
    user_name: 'alice',
    command: opts.command ?? '/mlops',
    text: opts.text,
    api_app_id: 'A0MLOPS',
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
}): object {
  return {
    type: 'block_actions',
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
