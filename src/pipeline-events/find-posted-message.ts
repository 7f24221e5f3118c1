import type { WebClient } from '@slack/web-api';
import type { Metrics } from '../observability/create-metrics';
import { callSlack, type SlackOutcome } from './call-slack';
import { DELIVERY_METADATA_TYPE } from './delivery-record';

/** How far before the attempt to look (clock skew between us and Slack). */
const LOOKBACK_MS = 120_000;
const PAGE_SIZE = 200;
const MAX_PAGES = 10;

export type FindOutcome = { found: true; ts: string } | { found: false } | { error: Exclude<SlackOutcome, { ok: true }> };

/**
 * Looks in Slack for a message an earlier attempt may have posted before it could record the
 * answer (crash, timeout, 5xx): top-level messages with conversations.history, thread replies
 * with conversations.replies, both with include_all_metadata and `oldest` = the attempt time
 * minus a margin. A message matches by its metadata delivery id, or (file uploads) by file name,
 * and only if this bot posted it (bot_id or bot user id from the startup auth.test).
 */
export async function findPostedMessage(
  client: WebClient,
  metrics: Metrics,
  opts: {
    channel: string;
    deliveryId: string;
    threadTs?: string;
    attemptAt: string;
    filename?: string;
    /** This bot's ids (startup auth.test): only its own messages count. Undefined: not known yet. */
    self: { botId: string; botUserId: string } | undefined;
  },
): Promise<FindOutcome> {
  // Another app (or a person's workflow) can post a message carrying any metadata: trusting it
  // would drop our message. Without our ids there is no telling, so the look is tried again later.
  if (opts.self === undefined) return { error: { ok: false, kind: 'transient', error: "the bot's own Slack ids are not known yet (auth.test pending)" } };
  const self = opts.self;
  const oldest = ((Date.parse(opts.attemptAt) - LOOKBACK_MS) / 1000).toFixed(6);
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const args: Record<string, unknown> = {
      channel: opts.channel,
      oldest,
      limit: PAGE_SIZE,
      include_all_metadata: true,
      ...(opts.threadTs !== undefined ? { ts: opts.threadTs } : {}),
      ...(cursor !== undefined ? { cursor } : {}),
    };
    const res = await callSlack(client, opts.threadTs !== undefined ? 'conversations.replies' : 'conversations.history', args, metrics);
    if (!res.ok) return { error: res };
    const messages = (res.data['messages'] ?? []) as {
      ts?: string;
      bot_id?: string;
      user?: string;
      metadata?: { event_type?: string; event_payload?: Record<string, unknown> };
      files?: { name?: string }[];
    }[];
    for (const m of messages) {
      if (m.bot_id !== self.botId && m.user !== self.botUserId) continue;
      const byMetadata = m.metadata?.event_type === DELIVERY_METADATA_TYPE && m.metadata.event_payload?.['delivery_id'] === opts.deliveryId;
      const byFile = opts.filename !== undefined && (m.files ?? []).some((f) => f.name === opts.filename);
      if ((byMetadata || byFile) && typeof m.ts === 'string') return { found: true, ts: m.ts };
    }
    const next = (res.data['response_metadata'] as { next_cursor?: string } | undefined)?.next_cursor;
    if (next === undefined || next === '') return { found: false };
    cursor = next;
  }
  return { found: false };
}
