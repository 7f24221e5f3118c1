import { backoffDelayMs } from '../core/backoff-delay';
import type { Logger } from '../observability/create-logger';
import { storeKeys } from '../store/store-keys';
import { DELIVERY_TTL_MS, type MessageUpdateRecord, type OutboxContext } from './delivery-record';
import { callSlack } from './outbox-slack';
import { IN_FLIGHT_GRACE_MS, NEXT, realNowMs, waitUntil, type SenderState, type StepResult } from './send-delivery';

/**
 * Advances one queued message update (record: MessageUpdateRecord) as far as it can go now:
 * claim the latest content (compare-and-set to `sending`), chat.update it, record the outcome.
 * - ok: done, unless a newer content was queued meanwhile (then that one is sent next: coalesced).
 * - 429: queued again; the channel (pacer) and every chat.update (per workspace) wait Retry-After.
 * - 5xx, timeout, lost answer: queued again after the backoff; a try.
 * - Slack refuses (message_not_found, cant_update_message…) or tries run out: failed, logged, counted.
 * An attempt of another worker whose outcome is unknown is sent again only once it cannot still be
 * on the wire, so an older content never lands after a newer one.
 * Time as in send-delivery: scheduling in real wall-clock time, record timestamps from the Clock port.
 */
export async function processUpdate(ctx: OutboxContext, st: SenderState, id: string): Promise<StepResult> {
  const key = storeKeys.delivery(id);
  for (let round = 0; round < 10; round++) {
    const raw = await ctx.store.get(key);
    if (raw === null) return NEXT;
    const u = JSON.parse(raw) as MessageUpdateRecord;
    if (u.state === 'done' || u.state === 'failed') return NEXT;
    const log = ctx.logger.child({ updateId: id, updateType: u.type, channel: u.channel, messageTs: u.ts });
    const now = realNowMs();
    const notBefore = Math.max(Date.parse(u.nextAttemptAt ?? '') || 0, st.pacer.readyAt(u.channel), st.updateBlockedUntil);
    if (notBefore > now) return waitUntil(notBefore);
    const attemptMs = Date.parse(u.attemptAt ?? '') || 0;
    const settled = u.owner === st.owner && st.settled.has(`${id}#${u.attemptAt ?? ''}`);
    if (u.inFlight === true && !settled && now < attemptMs + IN_FLIGHT_GRACE_MS) return waitUntil(attemptMs + IN_FLIGHT_GRACE_MS);
    if (u.attempts >= st.maxTries) {
      if (await fail(ctx, raw, u, `gave up after ${u.attempts} tries (last error: ${u.error ?? 'none'})`, 'attempts', log)) return NEXT;
      continue;
    }

    const attemptAt = new Date(now).toISOString();
    const claimed: MessageUpdateRecord = {
      ...u,
      state: 'sending',
      attempts: u.attempts + 1,
      attemptAt,
      owner: st.owner,
      inFlight: true,
      updatedAt: ctx.clock.now().toISOString(),
    };
    const claimedRaw = JSON.stringify(claimed);
    if (!(await ctx.store.compareAndSet(key, raw, claimedRaw, DELIVERY_TTL_MS))) continue;
    const res = await callSlack(ctx.client, 'chat.update', { channel: u.channel, ts: u.ts, text: u.message.text, blocks: u.message.blocks }, ctx.metrics);
    const after = realNowMs();
    st.settled.add(`${id}#${attemptAt}`);
    st.pacer.posted(u.channel, after);
    const at = ctx.clock.now().toISOString();
    if (res.ok) {
      const done: MessageUpdateRecord = { ...claimed, state: 'done', inFlight: false, sentRev: claimed.rev, updatedAt: at };
      delete done.error;
      // A newer content queued meanwhile changed the record: the next round sends it.
      if (await ctx.store.compareAndSet(key, claimedRaw, JSON.stringify(done), DELIVERY_TTL_MS)) {
        log.debug({ rev: claimed.rev, attempts: claimed.attempts }, 'delivery: message updated');
        return NEXT;
      }
      continue;
    }
    if (res.kind === 'permanent') {
      if (await fail(ctx, claimedRaw, claimed, `Slack refused it: ${res.error}`, 'refused', log)) return NEXT;
      continue;
    }
    // Certainly not done (429, not counted as a try), or maybe done (5xx, timeout): queued again.
    const limited = res.kind === 'ratelimited';
    const waitMs = limited ? res.retryAfterMs : backoffDelayMs(claimed.attempts, st.backoff, st.random);
    st.pacer.blockUntil(u.channel, after + waitMs);
    // chat.update is rate limited per workspace, not per channel.
    if (limited) st.updateBlockedUntil = Math.max(st.updateBlockedUntil, after + waitMs);
    const requeued: MessageUpdateRecord = {
      ...claimed,
      state: 'queued',
      inFlight: false,
      attempts: limited ? u.attempts : claimed.attempts,
      error: res.error,
      ...(limited ? {} : { nextAttemptAt: new Date(after + waitMs).toISOString() }),
      updatedAt: at,
    };
    if (await ctx.store.compareAndSet(key, claimedRaw, JSON.stringify(requeued), DELIVERY_TTL_MS)) {
      log.warn({ error: res.error, attempt: claimed.attempts, retryInMs: waitMs }, 'delivery: Slack did not take the message update; will retry');
      return waitUntil(after + waitMs);
    }
  }
  return waitUntil(realNowMs() + 1000);
}

async function fail(ctx: OutboxContext, raw: string, u: MessageUpdateRecord, why: string, reason: 'attempts' | 'refused', log: Logger): Promise<boolean> {
  const failed: MessageUpdateRecord = { ...u, state: 'failed', inFlight: false, error: why, updatedAt: ctx.clock.now().toISOString() };
  delete failed.nextAttemptAt;
  if (!(await ctx.store.compareAndSet(storeKeys.delivery(u.id), raw, JSON.stringify(failed), DELIVERY_TTL_MS))) return false;
  ctx.metrics.deliveriesGivenUp.inc({ reason });
  log.error({ reason: why, attempts: u.attempts }, 'delivery: the message could not be updated');
  return true;
}
