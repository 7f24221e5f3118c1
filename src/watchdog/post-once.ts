import type { WebClient } from '@slack/web-api';
import type { Store } from '../core/store';
import type { Metrics } from '../observability/create-metrics';
import { storeKeys } from '../store/store-keys';
import type { SlackMessage } from '../../views/slack-message';
import { postWatchdogMessage, type PostResult, type SlackTarget } from './post-watchdog-message';

/** Kept as long as the run record itself. */
const DONE_TTL_MS = 30 * 24 * 60 * 60 * 1000;
/**
 * A claim taken before posting. If the poster dies between claim and post, the claim lapses and
 * the next tick posts; if it dies between post and record, that one message may repeat.
 */
const CLAIM_TTL_MS = 10 * 60 * 1000;

interface Marker {
  state: 'posting' | 'posted' | 'refused';
  at: string;
  by?: string;
  channel?: string;
  ts?: string;
  error?: string;
}

export type PostOnceResult =
  /** Posted now, or earlier (also when Slack refused for good, or there was nowhere to post). */
  | { status: 'done'; at: Date; postedNow: boolean }
  /** Not posted yet: try again next tick. */
  | { status: 'pending'; reason: string };

function markerKey(id: string): string {
  return storeKeys.delivery(`watchdog:${id}`);
}

function parse(raw: string | null): Marker | undefined {
  if (raw === null) return undefined;
  try {
    return JSON.parse(raw) as Marker;
  } catch {
    return undefined;
  }
}

/** When the message `id` was posted (or given up on), if it was. */
export async function postedAt(store: Store, id: string): Promise<Date | undefined> {
  const marker = parse(await store.get(markerKey(id)));
  return marker !== undefined && marker.state !== 'posting' ? new Date(marker.at) : undefined;
}

/**
 * Posts `message` once per `id`, whatever the number of ticks, retries and racing pollers:
 * a claim in the store (SET NX) before the post, the outcome recorded after it, the claim
 * dropped on a transient failure so the next tick tries again. Without a target (no channel
 * configured anywhere) the message is recorded as done, so that nothing waits for it forever.
 */
export async function postOnce(opts: {
  store: Store;
  client: WebClient;
  metrics: Metrics;
  id: string;
  target: SlackTarget | undefined;
  message: SlackMessage;
  holder: string;
  now: Date;
}): Promise<PostOnceResult & { result?: PostResult }> {
  const { store, id, target, now } = opts;
  const key = markerKey(id);
  if (target === undefined) {
    const marker: Marker = { state: 'refused', at: now.toISOString(), error: 'no channel configured' };
    await store.setIfAbsent(key, JSON.stringify(marker), DONE_TTL_MS);
    return { status: 'done', at: (await postedAt(store, id)) ?? now, postedNow: false };
  }
  const claim = JSON.stringify({ state: 'posting', at: now.toISOString(), by: opts.holder } satisfies Marker);
  if (!(await store.setIfAbsent(key, claim, CLAIM_TTL_MS))) {
    const existing = parse(await store.get(key));
    if (existing === undefined || existing.state === 'posting') return { status: 'pending', reason: 'another poster holds the claim' };
    return { status: 'done', at: new Date(existing.at), postedNow: false };
  }
  const result = await postWatchdogMessage(opts.client, opts.metrics, target, opts.message);
  if (result.status === 'retry') {
    await store.deleteIfEquals(key, claim);
    return { status: 'pending', reason: result.error, result };
  }
  const done: Marker =
    result.status === 'posted'
      ? { state: 'posted', at: now.toISOString(), channel: target.channel, ...(result.ts !== undefined ? { ts: result.ts } : {}) }
      : { state: 'refused', at: now.toISOString(), channel: target.channel, error: result.error };
  await store.set(key, JSON.stringify(done), DONE_TTL_MS);
  return { status: 'done', at: now, postedNow: result.status === 'posted', result };
}
